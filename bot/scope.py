"""Which collections a conversation searches: those its channel is tied to in ``[channels]`` plus the verified
answers, or everything when the channel is not tied. One rule for asking, routing and suggestions."""
from __future__ import annotations

from bot.context import LorebotContext
from knowledge import VERIFIED_COLLECTION


def collections_for(ctx: LorebotContext, platform: str, channel: str) -> list[str] | None:
    collections = ctx.config.channels.get(f"{platform}:{channel}")
    if collections is None:
        return None
    return sorted({*collections, VERIFIED_COLLECTION})
