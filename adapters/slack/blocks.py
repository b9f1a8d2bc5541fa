"""Block Kit rendering of the core's platform-neutral replies, kept inside Slack's limits whatever the
documents hold: at most 50 blocks, 3,000 characters per section, 75 per button label, 2,000 per value."""
from __future__ import annotations

from adapters.slack.mrkdwn import escape, plain_text, to_mrkdwn
from bot.markdown import plain
from bot.replies import Reply, ReplyAction, SourceRef

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_CONTEXT = 2000
MAX_FALLBACK = 3000
MAX_BUTTONS = 25  # per actions block
MAX_SOURCES = 10
ACTION_PREFIX = "lorebot:"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fallback_text(reply: Reply) -> str:
    """Plain text for notifications and clients that cannot show blocks."""
    text = " ".join(plain_text(part) for part in (reply.title, reply.text) if part)
    return clip(text or "Lorebot", MAX_FALLBACK)


def render(reply: Reply) -> list[dict]:
    blocks: list[dict] = []
    if reply.title:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": clip(plain(reply.title), 150)}})
    for part in _sections(to_mrkdwn(reply.text)):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": part}})
    if reply.sources:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "*Sources*"}]})
        for number, source in enumerate(reply.sources[:MAX_SOURCES], start=1):
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _source_text(number, source)}})
    if reply.context:
        context = clip(to_mrkdwn(reply.context), MAX_CONTEXT)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    action_blocks = [
        {"type": "actions", "elements": [_button(action) for action in reply.actions[start:start + MAX_BUTTONS]]}
        for start in range(0, len(reply.actions), MAX_BUTTONS)
    ]
    room = MAX_BLOCKS - len(action_blocks)
    if len(blocks) > room:
        blocks = blocks[: room - 1] + [{"type": "context", "elements": [
            {"type": "mrkdwn", "text": "…more was cut to fit Slack's message limits."}]}]
    return blocks + action_blocks[:MAX_BLOCKS]


def _sections(text: str) -> list[str]:
    """Split long text at paragraph or line breaks into sections under the 3,000-character limit."""
    parts: list[str] = []
    remaining = text.strip() or " "
    while len(remaining) > MAX_SECTION:
        cut = max(remaining.rfind("\n\n", 0, MAX_SECTION), remaining.rfind("\n", 0, MAX_SECTION),
                  remaining.rfind(" ", 0, MAX_SECTION))
        if cut <= 0:
            cut = MAX_SECTION
        parts.append(remaining[:cut].rstrip())
        remaining = remaining[cut:].lstrip()
    parts.append(remaining)
    return parts


def _source_text(number: int, source: SourceRef) -> str:
    name = escape(source.source)
    label = f"<{escape(source.url)}|{name}>" if source.url else f"*{name}*"
    if source.verified_by:
        label += f"  ✅ verified by {escape(source.verified_by)}"
    snippet = f"\n>{plain_text(source.snippet)}" if source.snippet else ""
    return clip(f"{number}. {label}{snippet}", MAX_SECTION)


def _button(action: ReplyAction) -> dict:
    button = {
        "type": "button",
        "action_id": f"{ACTION_PREFIX}{action.name}:{action.value}"[:255],
        "text": {"type": "plain_text", "text": clip(action.label, MAX_BUTTON_TEXT)},
        "value": action.value[:MAX_BUTTON_VALUE],
    }
    if action.style in ("primary", "danger"):
        button["style"] = action.style
    return button
