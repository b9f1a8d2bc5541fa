"""A question asked again while an equivalent one waits for its champions joins that one instead of being routed
a second time: its asker is told, and gets the champion's answer and its verification when they come.

"Equivalent" is decided in two steps, both conservative:
- the same wording (``bot.tables.questions.text_key``) on the same platform. The ``open_wordings`` row, unique per
  (platform, wording), names the question being routed for it, so of two identical questions asked at the same
  moment exactly one inserts the row and routes; the other finds it and joins.
- else a waiting question of the same topic whose embedding is very close (cosine >= ``SAME_MEANING``), among the
  few newest. This check embeds those few texts, so it stays cheap; two rewordings asked at the very same moment
  may both be routed (only identical wordings are guarded by the unique key).
A question joins only one the same audience concerns (``bot.people.audiences``), so no answer reaches someone it would
not have reached anyway, and only one still "routed": answered questions are not open any more.
"""
from __future__ import annotations

import logging
import math
from typing import Sequence

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.people import audiences
from bot.context import LorebotContext
from bot.tables.joining import OpenWording
from bot.tables.questions import Question

log = logging.getLogger(__name__)

OPEN = "routed"
JOINED = "joined"
SAME_MEANING = 0.92
CANDIDATES = 10


def open_equivalent(ctx: LorebotContext, session: Session, question: Question,
                    vector: Sequence[float] | None = None) -> Question | None:
    """The open question this one should join, or None when this one is to be routed (it then holds its
    wording). Commits the session."""
    if question.joined_to is not None:  # joined by an earlier attempt that a crash cut short
        return session.get(Question, question.joined_to)
    for _ in range(3):
        row = session.get(OpenWording, (question.platform, question.text_key))
        if row is None:
            session.add(OpenWording(platform=question.platform, text_key=question.text_key, question_id=question.id))
            try:
                session.commit()
            except IntegrityError:  # the same words asked at the same moment: look again, and join
                session.rollback()
                continue
            return _same_meaning(ctx, session, question, vector)
        if row.question_id == question.id:
            return _same_meaning(ctx, session, question, vector)
        holder = _open_root(session, row.question_id)
        if holder is not None and _may_join(question, holder):
            return holder
        taken = session.execute(
            update(OpenWording).where(OpenWording.platform == question.platform,
                                      OpenWording.text_key == question.text_key,
                                      OpenWording.question_id == row.question_id)
            .values(question_id=question.id)).rowcount
        session.commit()
        if taken:
            return _same_meaning(ctx, session, question, vector)
        session.expire_all()
    return None


def join(ctx: LorebotContext, session: Session, question: Question, primary: Question) -> None:
    """Make ``question`` (and any that joined it) wait for ``primary``'s answer. Commits the session."""
    for follower in [question, *joined(session, question.id)]:
        follower.status = JOINED
        follower.joined_to = primary.id
        follower.routed_at = None
        session.add(follower)
    session.commit()
    log.info("question %s joined question %s", question.id, primary.id)


def merge(session: Session, question: Question, into: Question) -> bool:
    """A champion's merge: ``question`` (still routed) joins ``into``; False when it stopped waiting meanwhile.
    Commits the session."""
    taken = session.execute(update(Question).where(Question.id == question.id, Question.status == OPEN)
                            .values(status=JOINED, joined_to=into.id)).rowcount
    session.commit()
    if not taken:
        return False
    session.refresh(question)
    for follower in joined(session, question.id):
        follower.joined_to = into.id
        session.add(follower)
    session.commit()
    return True


def joined(session: Session, question_id: int) -> list[Question]:
    """The questions waiting for (or answered with) this one's answer, oldest first."""
    return list(session.exec(select(Question).where(Question.joined_to == question_id)
                             .order_by(Question.id)).all())


def may_merge(question: Question, into: Question) -> bool:
    """A routed question may join another that is still open, on the same platform and for the same readers."""
    return question.id != into.id and question.status == OPEN and into.status == OPEN and _may_join(question, into)


def _open_root(session: Session, question_id: int) -> Question | None:
    """The open question a wording's holder stands for: itself, or the one it joined."""
    holder = session.get(Question, question_id)
    if holder is not None and holder.status == JOINED and holder.joined_to is not None:
        holder = session.get(Question, holder.joined_to)
    return holder if holder is not None and holder.status == OPEN else None


def _may_join(question: Question, primary: Question) -> bool:
    return (primary.platform == question.platform
            and set(audiences.loads(primary.audience)) == set(audiences.loads(question.audience)))


def _same_meaning(ctx: LorebotContext, session: Session, question: Question,
                  vector: Sequence[float] | None) -> Question | None:
    """A waiting question of the same topic worded differently but meaning the same, if one is very close."""
    if question.topic is None or ctx.knowledge is None:
        return None
    candidates = [other for other in session.exec(
        select(Question).where(Question.platform == question.platform, Question.topic == question.topic,
                               Question.status == OPEN, Question.id != question.id,
                               Question.text_key != question.text_key)
        .order_by(Question.id.desc()).limit(CANDIDATES)).all() if _may_join(question, other)]
    if not candidates:
        return None
    mine = list(vector) if vector is not None else list(ctx.knowledge.embed_question(question.text))
    best, score = None, SAME_MEANING
    for other in candidates:
        similarity = _cosine(mine, list(ctx.knowledge.embed_question(other.text)))
        if similarity >= score:
            best, score = other, similarity
    return best


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b)) / norms if norms else 0.0
