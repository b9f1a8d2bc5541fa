"""Curated entries: the champions' verified questions and answers, and the other wordings they learned.

Entries live in one shared collection, ``VERIFIED_COLLECTION``, searched whatever collections a search names,
unless an entry was given a collection of its own. Whether a question is "the same" as an entry's is decided
in ``knowledge.entry_matching``; this module keeps the rows and the in-memory table that decision reads.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence

import numpy as np
import sqlalchemy
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from knowledge import entry_matching, store
from knowledge.embed import Embedder
from knowledge.errors import KnowledgeError
from knowledge.store import KbAlias, KbEntry
from knowledge.types import Alias, Hit
from knowledge.wording import Idf, question_terms

VERIFIED_COLLECTION = "verified"
BestDocuments = Callable[[str, np.ndarray], "tuple[str, ...]"]
CANDIDATES = 5  # entries scored in full per question, after a cheap cosine pre-selection


@dataclass
class EntryTable:
    """Every entry's phrasings (its question, then its aliases), held in memory so matching a question costs
    one matrix product plus a word and document comparison for the few closest entries. Matching rests on the
    questions alone: an answer says more than its question, and on look-alike questions it only misleads."""

    ids: np.ndarray  # entry id per entry row
    collections: list[str]
    phrasings: np.ndarray  # one vector per phrasing
    owner: np.ndarray  # entry row of each phrasing
    texts: list[str]  # each phrasing's wording
    statements: np.ndarray  # per entry row: its "question" is a statement (a promoted lesson), not a question
    terms: list[frozenset[str]]  # content terms of each phrasing

    def __len__(self) -> int:
        return len(self.ids)


def load_table(engine: sqlalchemy.Engine, dim: int) -> EntryTable:
    with Session(engine) as session:
        rows = session.exec(select(KbEntry).order_by(KbEntry.id)).all()
        aliases = session.exec(select(KbAlias).order_by(KbAlias.id)).all()
    row_of = {entry.id: row for row, entry in enumerate(rows)}
    phrasings = [(row_of[e.id], e.question, e.question_embedding) for e in rows]
    phrasings += [(row_of[a.entry_id], a.text, a.embedding) for a in aliases if a.entry_id in row_of]
    return EntryTable(
        ids=np.array([e.id for e in rows], dtype="int64"),
        collections=[e.collection for e in rows],
        phrasings=store.from_blobs([blob for _, _, blob in phrasings], dim),
        owner=np.array([row for row, _, _ in phrasings], dtype="int64"),
        texts=[text for _, text, _ in phrasings],
        statements=np.array([e.answer.startswith(e.question) for e in rows], dtype=bool),
        terms=[question_terms(text) for _, text, _ in phrasings],
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
    """The entry and the wordings it learned go together; removing one already gone (by another process at the
    same moment) does nothing."""
    with Session(engine) as session:
        session.exec(delete(KbAlias).where(KbAlias.entry_id == entry_id))
        if session.exec(delete(KbEntry).where(KbEntry.id == entry_id)).rowcount:
            store.bump_entries_version(session)
            session.commit()


def ids(engine: sqlalchemy.Engine, created_before: datetime | None = None) -> list[int]:
    with Session(engine) as session:
        query = select(KbEntry.id).order_by(KbEntry.id)
        if created_before is not None:
            query = query.where(KbEntry.created_at < created_before)
        return list(session.exec(query).all())


def add_alias(engine: sqlalchemy.Engine, embedder: Embedder, entry_id: int, text: str, *,
              added_by: str) -> int | None:
    """Teach the entry another wording of its question; None when it knows this wording already (or is its
    own question), so a doubled click adds nothing."""
    text = " ".join(text.split())
    with Session(engine) as session:
        entry = session.get(KbEntry, entry_id)
        if entry is None:
            raise KnowledgeError(f"no verified entry {entry_id}")
        if not text or text.casefold() == " ".join(entry.question.split()).casefold():
            return None
    vector = embedder.encode([text])[0]
    with Session(engine) as session:
        alias = KbAlias(entry_id=entry_id, text=text, added_by=added_by, embedding=store.to_blob(vector))
        session.add(alias)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            return None
        store.bump_entries_version(session)
        session.commit()
        return alias.id


def remove_alias(engine: sqlalchemy.Engine, alias_id: int) -> bool:
    with Session(engine) as session:
        alias = session.get(KbAlias, alias_id)
        if alias is None:
            return False
        session.delete(alias)
        store.bump_entries_version(session)
        session.commit()
        return True


def list_aliases(engine: sqlalchemy.Engine, entry_id: int | None = None) -> list[Alias]:
    with Session(engine) as session:
        statement = select(KbAlias, KbEntry.question).join(KbEntry, KbEntry.id == KbAlias.entry_id)
        if entry_id is not None:
            statement = statement.where(KbAlias.entry_id == entry_id)
        rows = session.exec(statement.order_by(KbAlias.id)).all()
    return [Alias(id=a.id, entry_id=a.entry_id, text=a.text, added_by=a.added_by, created_at=a.created_at,
                  entry_question=question) for a, question in rows]


def match(engine: sqlalchemy.Engine, table: EntryTable | None, query: str, vector: np.ndarray,
          collections: Sequence[str] | None, idf: Idf, best_documents: BestDocuments, *, floor: float,
          limit: int) -> list[Hit]:
    """Entries that may be the same question, best first, with ``confidence`` the match confidence.

    ``best_documents(text, vector)`` names the first documents a wording retrieves, by the same search the
    question itself runs, so "both find the same pages" compares like with like."""
    if table is None or len(table) == 0:
        return []
    allowed = np.array([not collections or c in collections or c == VERIFIED_COLLECTION
                        for c in table.collections], dtype=bool)
    cosines = table.phrasings @ vector
    best = np.full(len(table), -np.inf)
    np.maximum.at(best, table.owner, cosines)
    rows = [int(r) for r in np.argsort(-best, kind="stable") if allowed[r]][:CANDIDATES]
    query_terms = question_terms(query)
    query_documents = set(best_documents(query, vector)) if rows else set()  # usually known already
    scored: list[tuple[float, int, float]] = []
    for row in rows:
        confidence, chosen_contrast = 0.0, 0.0
        for phrasing in np.flatnonzero(table.owner == row):  # the entry's own question, then its aliases
            matched, contrast = entry_matching.wording_match(
                query_terms, query_documents, float(cosines[phrasing]), table.terms[phrasing],
                lambda: best_documents(table.texts[phrasing], table.phrasings[phrasing]), idf,
                statement=bool(table.statements[row]), floor=max(floor, confidence))
            if matched > confidence:
                confidence, chosen_contrast = matched, contrast
        if confidence >= floor:
            scored.append((confidence, row, chosen_contrast))
    scored.sort(key=lambda pair: -pair[0])
    scored = scored[:limit]
    if not scored:
        return []
    with Session(engine) as session:
        found = {e.id: e for e in session.exec(select(KbEntry).where(
            KbEntry.id.in_([int(table.ids[row]) for _, row, _ in scored]))).all()}
    hits = []
    for confidence, row, contrast in scored:
        entry = found.get(int(table.ids[row]))
        if entry is None:
            continue  # removed since the table was loaded
        hits.append(Hit(key=f"entry:{entry.id}", kind="entry", title=entry.question, source=entry.source,
                        heading="", text=entry.answer, score=confidence, confidence=confidence,
                        collection=entry.collection, entry_id=entry.id, verified_by=entry.verified_by,
                        verified_at=entry.created_at, stale=entry.stale, contrast=contrast))
    return hits


def get(engine: sqlalchemy.Engine, entry_id: int) -> Hit | None:
    """One entry as a hit (full confidence: it was chosen, not matched), for answering with it directly."""
    with Session(engine) as session:
        entry = session.get(KbEntry, entry_id)
    if entry is None:
        return None
    return Hit(key=f"entry:{entry.id}", kind="entry", title=entry.question, source=entry.source, heading="",
               text=entry.answer, score=1.0, confidence=1.0, collection=entry.collection, entry_id=entry.id,
               verified_by=entry.verified_by, verified_at=entry.created_at, stale=entry.stale)
