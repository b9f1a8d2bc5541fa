"""The core's curation hints in Teams' words. The core says "react ✅" as Slack and the console do; Teams has
no ✅ reaction, and a champion's own reply cannot be reacted to at all (Teams tells a bot only about reactions
on its own messages), so champions press Verify or Pin on Lorebot's cards, or use the reaction configured in
``[teams_reactions] verify`` on those cards."""
from __future__ import annotations

from dataclasses import replace

from bot import messages as core
from bot.config import TeamsReactionsConfig
from bot.replies import Reply

# Teams' reaction types as people see them.
REACTION_EMOJI = {"like": "👍", "heart": "❤️", "laugh": "😆", "surprised": "😮", "sad": "😢", "angry": "😠"}


def verify_reaction(reactions: TeamsReactionsConfig) -> str | None:
    """The first reaction that verifies, as an emoji ("👍"); None when only the button verifies."""
    return REACTION_EMOJI.get(reactions.verify[0], reactions.verify[0]) if reactions.verify else None


def phrasebook(reactions: TeamsReactionsConfig) -> dict[str, str]:
    """Each core phrase that names a Slack reaction, and what Teams says instead."""
    emoji = verify_reaction(reactions)
    on_card = f" (or react {emoji} on it)" if emoji else ""
    on_this = f" (or react {emoji} on this card)" if emoji else ""
    return {
        core.ROUTED_VERIFY_HINT: f"then press Verify on my reply to your answer{on_card} to make it verified knowledge",
        core.ANSWER_VERIFY_HINT: f"Press Verify{on_this} to make it verified knowledge.",
        core.REVERIFY_HINT: (f"To verify your edit, take the {emoji} off my card and put it back." if emoji else
                             "Ask a champion of the topic to verify the new words."),
        core.PIN_NEEDS_VERIFIED: "Only verified answers can be pinned: press Verify first, then Pin.",
        core.reverification_outdated().text: "Thanks! It's marked outdated and ranks lower now. Verify a better answer when you have one.",
    }


def for_teams(reply: Reply, phrases: dict[str, str]) -> Reply:
    """The reply with the core's reaction hints in Teams' words (``phrases`` from ``phrasebook``)."""
    changed = {}
    for field in ("text", "context", "title"):
        value = getattr(reply, field)
        if value:
            new = value
            for phrase, teams in phrases.items():
                new = new.replace(phrase, teams)
            if new != value:
                changed[field] = new
    return replace(reply, **changed) if changed else reply
