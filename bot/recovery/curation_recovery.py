"""Curation a crash cut in half: knowledge entries no record points to, and lessons stuck "promoting".

A curated entry lives in the knowledge base and in one of our rows (an active VerifiedAnswer, a promoted
Lesson), and the two cannot be written in one transaction. Every curating step is therefore ordered so that a
crash between its two writes leaves, at worst, an entry no row points to: a verification or promotion writes
the entry first and its row second; an unverification or withdrawal retires the row first and removes the entry
second. This pass removes such entries once they are older than ``GRACE`` (a younger one may belong to a step
still running on another replica), and gives a lesson stuck "promoting" past the grace back to the candidates,
so a champion's ✅ can promote it again.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import select

from bot.people.audiences import is_verified_collection
from bot.context import LorebotContext
from bot.tables.curation import VerifiedAnswer
from bot.tables.lessons import CANDIDATE, PROMOTED, PROMOTING, Lesson

log = logging.getLogger(__name__)

# Far longer than writing one entry and its row takes, even under load.
GRACE = timedelta(minutes=5)


def remove_orphan_entries(ctx: LorebotContext, grace: timedelta = GRACE) -> int:
    """Remove knowledge entries older than ``grace`` that no active verification or promoted lesson holds.

    Only entries filed where the bot files them (``verified``, ``verified:…``) are the bot's to remove: an
    entry a program added through the knowledge library under a collection of its own is left alone. Nor does
    a trial process (``identities_verified`` False) sweep: its records live in a throwaway store, so every
    real entry would look orphaned to it."""
    if ctx.knowledge is None or not ctx.identities_verified:
        return 0
    candidates = ctx.knowledge.entry_ids(created_before=ctx.now() - grace)
    if not candidates:
        return 0
    with ctx.session() as session:
        held = set(session.exec(select(VerifiedAnswer.entry_id).where(
            VerifiedAnswer.status == "active", VerifiedAnswer.entry_id.is_not(None))).all())
        held |= set(session.exec(select(Lesson.entry_id).where(
            Lesson.status == PROMOTED, Lesson.entry_id.is_not(None))).all())
    orphans = [entry_id for entry_id in candidates if entry_id not in held and _filed_by_the_bot(ctx, entry_id)]
    for entry_id in orphans:
        ctx.knowledge.remove_entry(entry_id)
        log.info("knowledge entry %s removed: no verification or lesson holds it", entry_id)
    return len(orphans)


def release_stuck_lessons(ctx: LorebotContext, grace: timedelta = GRACE) -> int:
    """Lessons whose promotion started more than ``grace`` ago and never finished become candidates again."""
    with ctx.session() as session:
        released = session.execute(
            update(Lesson)
            .where(Lesson.status == PROMOTING,
                   or_(Lesson.promoted_at.is_(None), Lesson.promoted_at < ctx.now() - grace))
            .values(status=CANDIDATE, promoted_at=None, promoted_by=None, entry_id=None)
        ).rowcount or 0
        session.commit()
    if released:
        log.info("%s lesson(s) stuck promoting are candidates again", released)
    return released


def _filed_by_the_bot(ctx: LorebotContext, entry_id: int) -> bool:
    entry = ctx.knowledge.entry(entry_id)
    return entry is not None and is_verified_collection(entry.collection)
