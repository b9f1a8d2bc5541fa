"""Small text helpers shared by the jobs' messages."""
from __future__ import annotations

from datetime import timedelta

from bot.addresses import MessageRef
from bot.context import LorebotContext
from bot.markdown import literal
from bot.messages import duration
from jobs import messages


def shorten(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def said(text: str, limit: int = 140) -> str:
    """What a person wrote, shortened, and shown as written: never read as formatting, links or mentions."""
    return literal(shorten(text, limit))


def hours(value: float) -> str:
    return duration(timedelta(hours=value))


def thread_link(ctx: LorebotContext, ref: MessageRef) -> str:
    """"[open thread](url)" for a message on a platform this process serves; empty when there is no link."""
    url = ctx.messenger.link(ref) if ctx.serves(ref.address.platform) else None
    return messages.THREAD_LINK.format(url=url) if url else ""
