"""Questions worth suggesting to someone about to ask: the verified answers asked for most, among those the
reader may read.

A new chat (Slack's assistant thread) opens with a few prompts; the best are questions people keep asking and
a champion has answered, so a click gets a checked answer at once. "Asked for" counts the recent answers that
served the verified entry first, plus the question it was verified for; ties go to the newest. Each candidate's
knowledge entry is read for its collection and shown only when the reader may read it (``bot.people.audiences``),
so a restricted answer's question never reaches someone outside its audience, not even as a prompt.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from sqlmodel import select

from bot.context import LorebotContext
from bot.people.audiences import Reader, may_read
from bot.tables.curation import VerifiedAnswer
from bot.tables.questions import AnswerShown

ENTRY_KEY = "entry:"
RECENT = timedelta(days=90)  # what people ask now, not what they asked at launch
GENERIC_PROMPTS = (  # when nothing is verified yet, or nothing the reader may read
    "How many days of annual leave do I get?",
    "How do I claim expenses?",
    "Where is the onboarding guide?",
    "Who do I ask about my laptop?",
)


def suggested_questions(ctx: LorebotContext, reader: Reader, limit: int = 4) -> list[str]:
    """At most ``limit`` verified questions ``reader`` may read, most asked for first (no fallback: see
    ``prompts_for``)."""
    if limit <= 0 or ctx.knowledge is None:
        return []
    with ctx.session() as session:
        verified = session.exec(select(VerifiedAnswer).where(VerifiedAnswer.status == "active",
                                                             VerifiedAnswer.stale == False,  # noqa: E712
                                                             VerifiedAnswer.entry_id != None)  # noqa: E711
                                ).all()
        served = session.exec(select(AnswerShown.sources).where(AnswerShown.status == "answered",
                                                                AnswerShown.shown_at >= ctx.now() - RECENT,
                                                                AnswerShown.sources.contains(ENTRY_KEY))).all()
    uses = Counter(first_entry(sources) for sources in served)
    ranked = sorted(verified, key=lambda row: (uses[row.entry_id] + 1, row.verified_at), reverse=True)
    chosen: list[str] = []
    for row in ranked:
        entry = ctx.knowledge.entry(row.entry_id)
        text = " ".join(row.question_text.split())
        if entry is None or not text or text in chosen or not may_read(ctx.config, reader, entry.collection):
            continue
        chosen.append(text)
        if len(chosen) == limit:
            break
    return chosen


def prompts_for(ctx: LorebotContext, reader: Reader, limit: int = 4) -> list[str]:
    """What to suggest: the most asked verified questions, or generic ones when there are none."""
    return suggested_questions(ctx, reader, limit) or list(GENERIC_PROMPTS[:limit])


def first_entry(sources: str) -> int | None:
    """The verified entry an answer led with (its first source), or None."""
    try:
        first = (json.loads(sources or "[]") or [{}])[0]
    except (ValueError, TypeError):
        return None
    key = str(first.get("key", "")) if isinstance(first, dict) else ""
    suffix = key[len(ENTRY_KEY):]
    return int(suffix) if key.startswith(ENTRY_KEY) and suffix.isdigit() else None
