"""Knowledge captured in chat that no document holds yet: the verified answers whose question no passage of any
source covers, for the admins' digest ("Worth adding to the handbook"), so what champions explain once flows back
to where people look it up.

"Covered" means one search of the verified answer's question, through the real knowledge base, finds a document
passage (a chunk hit, never a verified entry, which would always find the answer itself) at or above
``RELATED_FLOOR``, the confidence below which answering does not even call a passage related.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.asking.answering import RELATED_FLOOR
from bot.context import LorebotContext
from bot.people import audiences
from bot.people.audiences import Reader
from bot.ports import Knowledge
from bot.tables.curation import VerifiedAnswer

# Listed at most: a digest section to act on this week, not an inventory. Newest verified first: fresh knowledge
# is the likeliest to be missing from the documents, and an older answer has had its turn in earlier digests.
MAX_LISTED = 5
# Checked at most, newest first: one search each, so a digest costs at most this many searches per admin
# however many answers have been verified over the years.
MAX_CHECKED = 100
# Hits asked of each search. Verified entries that match the question rank first, but the best passage always
# follows them, so a few places are enough to see it.
SEARCH_HITS = 5


@dataclass(frozen=True)
class HandbookGap:
    """A verified answer worth writing into a document: its question, its answer and who verified it."""

    question: str
    answer: str
    champion: str


def handbook_gaps(ctx: LorebotContext, session: Session, end: datetime, reader: Reader) -> list[HandbookGap]:
    """The active verified answers (verified before ``end``, not stale) that no document covers, newest first,
    as ``reader`` may read them: one filed in a restricted audience collection is listed only to a reader of
    that whole audience. An answer whose knowledge entry is gone is no knowledge to add and is left out.

    Each question is searched in every document collection, not only those the reader may read: the section asks
    whether the knowledge is written down anywhere, and a document the admin may not read still holds it (listing
    it would ask for a second, unrestricted copy). What is quoted still follows the reader's audience rule, and
    a line left out says no more than that some document covers the question.
    """
    knowledge = ctx.knowledge
    if knowledge is None:
        return []
    documents = [name for name in knowledge.collections() if not audiences.is_verified_collection(name)]
    gaps: list[HandbookGap] = []
    for answer in _newest(session, end):
        if len(gaps) >= MAX_LISTED:
            break
        entry = knowledge.entry(answer.entry_id) if answer.entry_id is not None else None
        if entry is None or not audiences.may_read(ctx.config, reader, entry.collection):
            continue
        if not _covered(knowledge, answer.question_text, documents):
            gaps.append(HandbookGap(question=answer.question_text, answer=answer.answer_text,
                                    champion=answer.champion_name or answer.champion_id))
    return gaps


def _newest(session: Session, end: datetime) -> list[VerifiedAnswer]:
    """The newest active, trusted verified answers: a stale one may be outdated, not worth copying anywhere."""
    return list(session.exec(select(VerifiedAnswer).where(
        VerifiedAnswer.status == "active", VerifiedAnswer.stale == False,  # noqa: E712 (a SQL comparison)
        VerifiedAnswer.verified_at < end,
    ).order_by(VerifiedAnswer.verified_at.desc(), VerifiedAnswer.id.desc()).limit(MAX_CHECKED)).all())


def _covered(knowledge: Knowledge, question: str, documents: list[str]) -> bool:
    """Whether a passage of some document is related to the question (no documents: nothing is covered)."""
    if not documents:
        return False
    hits = knowledge.search(question, k=SEARCH_HITS, collections=documents)
    return any(hit.kind == "chunk" and hit.confidence >= RELATED_FLOOR for hit in hits)
