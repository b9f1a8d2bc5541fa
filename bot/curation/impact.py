"""What champions' answers did over a span of time, read from the store only: the one definition the weekly
digests, a champion's own figures (App Home, ``/stats``) and the monthly shout-out all show.

For each champion (and, when asked, each topic):

- **answers**: the questions they answered in the span (a ``ChampionAnswer`` of theirs written in it; several
  replies to one question count once);
- **verified**: the answers they turned into verified knowledge in the span (their ✅ or Verify, a
  ``VerifiedAnswer`` still active: a withdrawn verification taught nobody);
- **median to answer**: from a question being asked to their first answer to it, over the questions they
  answered in the span;
- **served**: later askers their verified answers served, the questions Lorebot answered in the span leading
  with an entry they verified (an ``AnswerShown`` "answered" whose first source is that entry), not counting the
  question the entry was verified for. An entry is credited to the champion who verified it, the name it carries
  when it is shown ("verified by"). A suggestion the asker still had to confirm is not counted: only answers.

``concerns`` narrows the figures to some questions (a team's askers): answers and verifications of those
questions, and the later askers among them. Nothing here names an asker or quotes a question.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Collection

from sqlmodel import Session, select

from bot.asking.suggestions import ENTRY_KEY, first_entry
from bot.tables.curation import VerifiedAnswer
from bot.tables.questions import AnswerShown, ChampionAnswer, Question

Concerns = Callable[[Question], bool]


@dataclass(frozen=True)
class Impact:
    champion_id: str  # person key "platform:id"
    name: str
    topic: str | None  # None: every topic together
    answers: int = 0
    verified: int = 0
    median_to_answer: timedelta | None = None
    served: int = 0

    @property
    def helped(self) -> int:
        """One number to rank champions by: every answer, verification and later asker served counts once."""
        return self.answers + self.verified + self.served


@dataclass
class _Tally:
    name: str
    answered: dict[int, datetime] = field(default_factory=dict)  # question id -> their first answer's time
    asked: dict[int, datetime] = field(default_factory=dict)
    verified: int = 0
    served: set[int] = field(default_factory=set)

    def impact(self, champion_id: str, topic: str | None) -> Impact:
        waits = [self.answered[qid] - self.asked[qid] for qid in self.answered if self.answered[qid] >= self.asked[qid]]
        return Impact(champion_id=champion_id, name=self.name, topic=topic, answers=len(self.answered),
                      verified=self.verified, median_to_answer=statistics.median(waits) if waits else None,
                      served=len(self.served))


def impact(session: Session, start: datetime, end: datetime, *, champions: Collection[str] | None = None,
           concerns: Concerns | None = None, by_topic: bool = True) -> list[Impact]:
    """The figures in [start, end) of each champion (person keys; every champion when None) with any, one row per
    champion and topic (``by_topic``) or per champion, the most helpful first."""
    tallies: dict[tuple[str, str | None], _Tally] = {}

    def tally(champion_id: str, name: str | None, topic: str | None) -> _Tally:
        key = (champion_id, topic if by_topic else None)
        return tallies.setdefault(key, _Tally(name=name or champion_id))

    def wanted(champion_id: str) -> bool:
        return champions is None or champion_id in champions

    answers = [a for a in session.exec(select(ChampionAnswer).where(
        ChampionAnswer.answered_at >= start, ChampionAnswer.answered_at < end)
        .order_by(ChampionAnswer.answered_at, ChampionAnswer.id)).all() if wanted(a.champion_id)]
    verified = [v for v in session.exec(select(VerifiedAnswer).where(
        VerifiedAnswer.verified_at >= start, VerifiedAnswer.verified_at < end, VerifiedAnswer.status == "active")
        .order_by(VerifiedAnswer.verified_at, VerifiedAnswer.id)).all() if wanted(v.champion_id)]
    shown = session.exec(select(AnswerShown).where(
        AnswerShown.shown_at >= start, AnswerShown.shown_at < end, AnswerShown.status == "answered",
        AnswerShown.sources.contains(ENTRY_KEY)).order_by(AnswerShown.id)).all()
    served_by = _entries(session, {first_entry(row.sources) for row in shown} - {None}, wanted)
    questions = questions_by_id(session, {a.question_id for a in answers} | {v.question_id for v in verified}
                           | {row.question_id for row in shown})

    def concerned(question_id: int | None) -> bool:
        question = questions.get(question_id) if question_id is not None else None
        return concerns is None or (question is not None and concerns(question))

    for answer in answers:
        question = questions.get(answer.question_id)
        if question is None or not concerned(answer.question_id):
            continue
        counted = tally(answer.champion_id, answer.champion_name, question.topic)
        if answer.question_id not in counted.answered:  # ordered by time: the first is their first answer
            counted.answered[answer.question_id] = answer.answered_at
            counted.asked[answer.question_id] = question.asked_at
    for row in verified:
        if concerned(row.question_id):
            tally(row.champion_id, row.champion_name, row.topic).verified += 1
    for row in shown:
        entry = served_by.get(first_entry(row.sources))
        if entry is not None and row.question_id != entry.question_id and concerned(row.question_id):
            tally(entry.champion_id, entry.champion_name, entry.topic).served.add(row.question_id)

    rows = [counted.impact(champion_id, topic) for (champion_id, topic), counted in tallies.items()]
    return sorted(rows, key=lambda row: (-row.helped, -row.answers, row.name, row.topic or ""))


def _entries(session: Session, entry_ids: set[int], wanted: Callable[[str], bool]) -> dict[int, VerifiedAnswer]:
    """The verification behind each entry (withdrawn ones too: what an entry served before it went, it served)."""
    if not entry_ids:
        return {}
    rows = session.exec(select(VerifiedAnswer).where(VerifiedAnswer.entry_id.in_(list(entry_ids)))
                        .order_by(VerifiedAnswer.id)).all()
    return {row.entry_id: row for row in rows if wanted(row.champion_id)}


def questions_by_id(session: Session, question_ids: set[int | None]) -> dict[int, Question]:
    wanted = [qid for qid in question_ids if qid is not None]
    if not wanted:
        return {}
    return {q.id: q for q in session.exec(select(Question).where(Question.id.in_(wanted))).all()}
