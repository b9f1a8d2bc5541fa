"""Curated entries: the champions' verified questions and answers, stored with their embeddings.

Entries live in one shared collection, ``VERIFIED_COLLECTION``, searched whatever collections a search names,
unless an entry was given a collection of its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import sqlalchemy
from sqlmodel import Session, select

from knowledge import ranking, store
from knowledge.embed import Embedder
from knowledge.errors import KnowledgeError
from knowledge.store import KbEntry
from knowledge.types import Hit

VERIFIED_COLLECTION = "verified"


@dataclass
class EntryTable:
    """Every entry's id and vectors, held in memory so matching a question costs two matrix products."""

    ids: np.ndarray
    questions: np.ndarray
    answers: np.ndarray
    collections: list[str]
    stale: np.ndarray


def load_table(engine: sqlalchemy.Engine, dim: int) -> EntryTable:
    with Session(engine) as session:
        rows = session.exec(select(KbEntry).order_by(KbEntry.id)).all()
    return EntryTable(
        ids=np.array([e.id for e in rows], dtype="int64"),
        questions=store.from_blobs([e.question_embedding for e in rows], dim),
        answers=store.from_blobs([e.answer_embedding for e in rows], dim),
        collections=[e.collection for e in rows],
        stale=np.array([e.stale for e in rows], dtype=bool),
    )


def add(engine: sqlalchemy.Engine, embedder: Embedder, question: str, answer: str, *, source: str,
        verified_by: str, collection: str = VERIFIED_COLLECTION) -> int:
    vectors = embedder.encode([question, f"{question}\n{answer}"])
    with Session(engine) as session:
        entry = KbEntry(question=question, answer=answer, source=source, verified_by=verified_by,
                        collection=collection, question_embedding=store.to_blob(vectors[0]),
                        answer_embedding=store.to_blob(vectors[1]))
        session.add(entry)
        store.bump_entries_version(session)
        session.commit()
        return entry.id


def update(engine: sqlalchemy.Engine, embedder: Embedder, entry_id: int, *, answer: str | None = None,
           stale: bool | None = None) -> None:
    with Session(engine) as session:
        entry = session.get(KbEntry, entry_id)
        if entry is None:
            raise KnowledgeError(f"no verified entry {entry_id}")
        if answer is not None:
            entry.answer = answer
            entry.answer_embedding = store.to_blob(embedder.encode([f"{entry.question}\n{answer}"])[0])
        if stale is not None:
            entry.stale = stale
        session.add(entry)
        store.bump_entries_version(session)
        session.commit()


def remove(engine: sqlalchemy.Engine, entry_id: int) -> None:
    with Session(engine) as session:
        entry = session.get(KbEntry, entry_id)
        if entry is not None:
            session.delete(entry)
            store.bump_entries_version(session)
            session.commit()


def search(engine: sqlalchemy.Engine, table: EntryTable | None, vector: np.ndarray,
           collections: Sequence[str] | None) -> tuple[list[Hit], list[Hit]]:
    """(fresh, stale) entries that match the question, best first."""
    if table is None or len(table.ids) == 0:
        return [], []
    similarity = np.maximum(table.questions @ vector, ranking.ENTRY_ANSWER_WEIGHT * (table.answers @ vector))
    allowed = [
        i for i in range(len(table.ids))
        if similarity[i] >= ranking.ENTRY_MATCH
        and (not collections or table.collections[i] in collections
             or table.collections[i] == VERIFIED_COLLECTION)
    ]
    allowed.sort(key=lambda i: -similarity[i])
    if not allowed:
        return [], []
    with Session(engine) as session:
        rows = {e.id: e for e in session.exec(select(KbEntry).where(
            KbEntry.id.in_([int(table.ids[i]) for i in allowed]))).all()}
    fresh, stale = [], []
    for i in allowed:
        entry = rows.get(int(table.ids[i]))
        if entry is None:
            continue
        score = float(similarity[i])
        hit = Hit(key=f"entry:{entry.id}", kind="entry", title=entry.question, source=entry.source, heading="",
                  text=entry.answer, score=score,
                  confidence=ranking.entry_confidence(score) * (0.8 if entry.stale else 1.0),
                  collection=entry.collection, entry_id=entry.id, verified_by=entry.verified_by,
                  stale=entry.stale)
        (stale if entry.stale else fresh).append(hit)
    return fresh, stale
