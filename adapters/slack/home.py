"""The App Home tab: a champion's waiting questions and their own impact, and a member's recent questions."""
from __future__ import annotations

from adapters.slack import messages
from adapters.slack.blocks import MAX_SECTION, clip
from adapters.slack.mrkdwn import escape, to_mrkdwn
from bot.replies import Reply

MAX_LISTED = 15


def home_view(waiting: list, recent: list, *, is_champion: bool, sources: list[str] = (),
              impact: Reply | None = None) -> dict:
    """``sources``: one line per source, for an admin (``Lorebot.source_health``); ``impact``: a champion's own
    figures (``bot.messages.own_impact``)."""
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": messages.HOME_TITLE}},
        {"type": "section", "text": {"type": "mrkdwn", "text": messages.HOME_INTRO}},
    ]
    if is_champion:
        blocks.append({"type": "divider"})
        blocks.append(_section(messages.HOME_WAITING.format(count=len(waiting))))
        blocks.extend(_section(_line(q)) for q in waiting[:MAX_LISTED])
        if not waiting:
            blocks.append(_section(messages.HOME_NOTHING_WAITING))
    if is_champion and impact is not None:
        blocks.append({"type": "divider"})
        blocks.append(_section(messages.HOME_IMPACT.format(title=impact.title)))
        blocks.append(_section(to_mrkdwn(impact.text)))
    if sources:
        blocks.append({"type": "divider"})
        blocks.append(_section(messages.HOME_SOURCES))
        blocks.extend(_section(to_mrkdwn(line)) for line in sources[:MAX_LISTED])
    blocks.append({"type": "divider"})
    blocks.append(_section(messages.HOME_RECENT))
    blocks.extend(_section(_line(q)) for q in recent[:MAX_LISTED])
    if not recent:
        blocks.append(_section(messages.HOME_NO_QUESTIONS))
    return {"type": "home", "blocks": blocks[:100]}


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION)}}


def _line(question) -> str:
    link = f" · <{question.link}|open>" if getattr(question, "link", None) else ""
    return messages.HOME_QUESTION.format(text=escape(clip(question.text, 300)),
                                         status=messages.STATUS_LABELS.get(question.status, question.status), link=link)
