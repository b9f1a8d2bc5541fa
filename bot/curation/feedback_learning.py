"""Turning a judgment of an answer into a preference later rewordings inherit (``bot.asking.preferences``):
the asker's Helpful or Not helpful, a champion's ❌. Also how an admin lists and removes what was learned.

Only a document answer teaches anything here: a judgment of a verified answer already has its own paths
(a learned wording, a re-verification), and a judgment of nothing shown has nothing to judge.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.addresses import Person
from bot.asking.preferences import to_blob
from bot.context import LorebotContext
from bot.ports import Knowledge
from bot.tables.curation import CurationAudit
from bot.tables.preferences import KINDS, LearnedPreference
from bot.tables.questions import Question, latest_shown

log = logging.getLogger(__name__)

CHUNK_KEY = "chunk:"


def learn(ctx: LorebotContext, session: Session, question: Question, person: Person, kind: str) -> int | None:
    """Remember that ``person`` judged the top source of what the bot last showed for ``question`` (``kind``
    one of ``bot.tables.preferences.KINDS``); their earlier judgment of that source for that question is
    replaced. Returns the preference's id; None when what was shown was not a document's passage. Commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown judgment {kind!r}")
    shown = latest_shown(session, question.id)
    top = shown.source_list()[0] if shown is not None and shown.source_list() else None
    if top is None or not str(top.get("key", "")).startswith(CHUNK_KEY) or not top.get("document"):
        return None
    document = top["document"]
    values = dict(kind=kind, title=top.get("title") or "", passage_key=top["key"], at=ctx.now(),
                  content_hash=ctx.knowledge.document_versions([document]).get(document))
    row = _existing(session, question.id, person.key, document)
    if row is None:
        row = LearnedPreference(question_id=question.id, question_text=question.text, person_id=person.key,
                                document=document, audience=question.audience or "[]",
                                question_vector=to_blob(ctx.knowledge.embed_question(question.text)), **values)
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # the same judgment arriving twice at once: the other one was stored
            session.rollback()
            row = _existing(session, question.id, person.key, document)
    if row is not None and (row.kind, row.passage_key) != (kind, top["key"]):
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.commit()
    log.info("question %s: %s on its top source learned (preference %s)", question.id, kind,
             row.id if row else None)
    return row.id if row else None


def withdraw(session: Session, question: Question, person: Person, kind: str) -> None:
    """Take back ``person``'s judgment ``kind`` on ``question`` (a champion lifting their ❌), in the caller's
    transaction."""
    session.exec(delete(LearnedPreference).where(
        LearnedPreference.question_id == question.id, LearnedPreference.person_id == person.key,
        LearnedPreference.kind == kind))


def _existing(session: Session, question_id: int, person_key: str, document: str) -> LearnedPreference | None:
    return session.exec(select(LearnedPreference).where(
        LearnedPreference.question_id == question_id, LearnedPreference.person_id == person_key,
        LearnedPreference.document == document)).first()


@dataclass(frozen=True)
class LearnedView:
    """A preference as an admin lists it."""

    id: int
    kind: str
    question: str
    document: str
    title: str
    person: str
    at: datetime
    audience: str
    changed: bool  # the document changed (or went) since it was judged: the judgment counts half, or nothing


def listing(engine: Engine, knowledge: Knowledge) -> list[LearnedView]:
    """Every learned preference, newest first, with whether its document changed since."""
    with Session(engine) as session:
        rows = session.exec(select(LearnedPreference).order_by(LearnedPreference.at.desc(),
                                                               LearnedPreference.id.desc())).all()
    versions = knowledge.document_versions({row.document for row in rows})
    return [LearnedView(id=row.id, kind=row.kind, question=row.question_text, document=row.document,
                        title=row.title, person=row.person_id, at=row.at, audience=row.audience,
                        changed=row.content_hash != versions.get(row.document)) for row in rows]


def forget(engine: Engine, preference_id: int, actor: str) -> bool:
    """Remove a learned preference (an admin's correction), with an audit row like every curating act."""
    with Session(engine) as session:
        row = session.get(LearnedPreference, preference_id)
        if row is None:
            return False
        reason = f"preference {preference_id}: {row.kind} {row.document} by {row.person_id}"
        session.exec(delete(LearnedPreference).where(LearnedPreference.id == preference_id))
        session.add(CurationAudit(actor_id=actor, action="preference_remove", question_id=row.question_id,
                                  reason=reason[:500], at=datetime.now(timezone.utc)))
        session.commit()
    return True
