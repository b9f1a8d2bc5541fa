"""Lorebot's platform-neutral Reply rendered as a Teams message: an Adaptive Card, or plain text when the reply
is only text. Pure functions, so the layout and the size limits are tested without a server.

Teams rejects messages over about 28 KB; cards are kept well under that (``MAX_CARD_BYTES``) by trimming the
text, then the snippets, then the sources, whatever the documents hold.
"""
from __future__ import annotations

import json

from botbuilder.schema import Activity, ActivityTypes, Attachment

from adapters.teams import messages
from adapters.teams.markdown import escape, to_markdown
from bot.markdown import plain
from bot.replies import Reply, SourceRef

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
ACTION_KEY = "lorebot_action"
MAX_CARD_BYTES = 20_000
MAX_TEXT = 3_000
MAX_TITLE = 200
MAX_SNIPPET = 280
MAX_SOURCES = 5
MAX_ACTIONS = 6
SUMMARY_LENGTH = 120

_STYLES = {"primary": "positive", "danger": "destructive"}


def trim(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + messages.TRIMMED


def is_plain(reply: Reply) -> bool:
    return not (reply.sources or reply.actions or reply.title or reply.context)


def render_activity(reply: Reply) -> Activity:
    """The message to post: a card for anything with sources, actions, a title or a context line."""
    summary = trim(plain(reply.title or reply.text), SUMMARY_LENGTH)
    if is_plain(reply):
        return Activity(type=ActivityTypes.message, text=trim(to_markdown(reply.text), MAX_TEXT),
                        text_format="markdown")
    card = render_card(reply)
    return Activity(type=ActivityTypes.message, summary=summary,
                    attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=card)])


def render_card(reply: Reply) -> dict:
    """An Adaptive Card within MAX_CARD_BYTES: shorter snippets, fewer sources, shorter text until it fits."""
    text_limit, snippet_limit, source_limit = MAX_TEXT, MAX_SNIPPET, MAX_SOURCES
    while True:
        card = _card(reply, text_limit, snippet_limit, source_limit)
        if card_size(card) <= MAX_CARD_BYTES or text_limit <= 200:
            return card
        if snippet_limit:
            snippet_limit = 0
        elif source_limit > 1:
            source_limit -= 1
        else:
            text_limit //= 2


def card_size(card: dict) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


def _card(reply: Reply, text_limit: int, snippet_limit: int, source_limit: int) -> dict:
    body: list[dict] = []
    if reply.title:
        body.append({"type": "TextBlock", "text": trim(to_markdown(reply.title), MAX_TITLE), "weight": "Bolder",
                     "size": "Medium", "wrap": True})
    body.append({"type": "TextBlock", "text": trim(to_markdown(reply.text), text_limit), "wrap": True})
    if reply.sources:
        body.append(_sources(reply.sources, snippet_limit, source_limit))
    if reply.context:
        body.append({"type": "TextBlock", "text": trim(to_markdown(reply.context), MAX_TITLE * 2), "wrap": True,
                     "isSubtle": True, "size": "Small", "spacing": "Small"})
    card = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": CARD_VERSION, "body": body}
    if reply.actions:
        card["actions"] = [_action(action) for action in reply.actions[:MAX_ACTIONS]]
    return card


def _sources(sources: tuple[SourceRef, ...], snippet_limit: int, source_limit: int) -> dict:
    items: list[dict] = [{"type": "TextBlock", "text": messages.SOURCES_HEADING, "weight": "Bolder",
                          "size": "Small", "wrap": True}]
    for source in sources[:source_limit]:
        label = escape(trim(source.title or source.source, MAX_TITLE))
        line = f"[{label}]({source.url})" if source.url else f"**{label}**"
        if source.source and source.source != source.title:
            line += f" · {escape(trim(source.source, MAX_TITLE))}"
        if source.verified_by:
            line += f" · {messages.VERIFIED_SOURCE.format(name=escape(source.verified_by))}"
        items.append({"type": "TextBlock", "text": line, "wrap": True, "size": "Small", "spacing": "Small"})
        if source.snippet and snippet_limit:
            items.append({"type": "TextBlock", "text": trim(to_markdown(source.snippet), snippet_limit), "wrap": True,
                          "isSubtle": True, "size": "Small", "spacing": "None"})
    if len(sources) > source_limit:
        items.append({"type": "TextBlock", "text": messages.MORE_SOURCES.format(count=len(sources) - source_limit),
                      "isSubtle": True, "size": "Small", "wrap": True})
    return {"type": "Container", "separator": True, "items": items}


def _action(action) -> dict:
    rendered = {"type": "Action.Submit", "title": action.label,
                "data": {ACTION_KEY: action.name, "value": action.value}}
    if action.style in _STYLES:
        rendered["style"] = _STYLES[action.style]
    return rendered

