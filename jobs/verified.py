"""Which questions already have an answer a champion verified: such a question, or one asked in the very same
words, is neither a knowledge gap in a digest nor worth another nudge."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.tables.curation import VerifiedAnswer
from bot.tables.questions import Question


@dataclass(frozen=True)
class Verified:
    ids: frozenset[int]
    keys: frozenset[str]  # the normalised wording (Question.text_key) of each verified question

    def covers(self, question: Question) -> bool:
        return question.id in self.ids or bool(question.text_key) and question.text_key in self.keys


def verified(session: Session, before: datetime | None = None) -> Verified:
    """Questions with an active verified answer (verified before ``before``, when given)."""
    query = (select(Question.id, Question.text_key).join(VerifiedAnswer, VerifiedAnswer.question_id == Question.id)
             .where(VerifiedAnswer.status == "active"))
    if before is not None:
        query = query.where(VerifiedAnswer.verified_at < before)
    rows = session.exec(query).all()
    return Verified(ids=frozenset(qid for qid, _ in rows), keys=frozenset(key for _, key in rows if key))
