"""The knowledge base: ingest documents, keep curated entries, search both.

A thin front over its parts (ingesting, entries, searching, index_lifecycle), usable on its own as a library::

    kb = KnowledgeBase.open("data")
    kb.ingest(["handbook/"])
    kb.search("How many days of leave do I get?")
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import sqlalchemy
from sqlmodel import Session, select

from knowledge import entries, store
from knowledge.embed import Embedder
from knowledge.entries import VERIFIED_COLLECTION
from knowledge.errors import KnowledgeError
from knowledge.index_lifecycle import LiveIndexes
from knowledge.ingesting import Ingester, TextItem
from knowledge.loaders import title_of
from knowledge.searching import MODES, search_chunks
from knowledge.store import KbChunk, KbDocument, KbEntry
from knowledge.types import Hit, IngestReport


class KnowledgeBase:
    def __init__(self, home: Path, engine: sqlalchemy.Engine, embedder: Embedder) -> None:
        self.home = home
        self.embedder = embedder
        self._engine = engine
        self._ingester = Ingester(engine, embedder)
        self._live = LiveIndexes(engine, embedder, self.index_dir)

    @classmethod
    def open(cls, home: Path | str, *, database_url: str | None = None, embedder: Embedder | None = None,
             model: str | None = None) -> "KnowledgeBase":
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        engine = store.make_engine(database_url, home)
        store.create_tables(engine)
        kb = cls(home, engine, embedder or Embedder(model))
        kb._live.refresh(force=True)
        return kb

    @property
    def engine(self) -> sqlalchemy.Engine:
        return self._engine

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def _index(self):
        """The chunk index in use (benchmarks report its kind)."""
        return self._live.chunks

    def close(self) -> None:
        self._engine.dispose()

    # -- ingest -----------------------------------------------------------------------------------------------
    def ingest(self, paths: Sequence[Path | str], *, collection: str | None = None,
               progress: bool = False) -> IngestReport:
        """Add new documents, replace changed ones, drop ones no longer under an ingested folder."""
        report, changed = self._ingester.ingest(paths, collection=collection, progress=progress)
        if changed:
            self.rebuild_index()
        return report

    def ingest_texts(self, items: Iterable[TextItem], *, progress: bool = False) -> IngestReport:
        report, changed = self._ingester.ingest_texts(items, progress=progress)
        if changed:
            self.rebuild_index()
        return report

    # -- curated entries ----------------------------------------------------------------------------------------
    def add_entry(self, question: str, answer: str, *, source: str, verified_by: str,
                  collection: str = VERIFIED_COLLECTION) -> int:
        entry_id = entries.add(self._engine, self.embedder, question, answer, source=source,
                               verified_by=verified_by, collection=collection)
        self._live.refresh(force=True)
        return entry_id

    def update_entry(self, entry_id: int, *, answer: str | None = None, stale: bool | None = None) -> None:
        entries.update(self._engine, self.embedder, entry_id, answer=answer, stale=stale)
        self._live.refresh(force=True)

    def remove_entry(self, entry_id: int) -> None:
        entries.remove(self._engine, entry_id)
        self._live.refresh(force=True)

    # -- search -------------------------------------------------------------------------------------------------
    def search(self, query: str, k: int = 5, *, collections: Sequence[str] | None = None,
               mode: str = "hybrid") -> list[Hit]:
        """Best passages and verified entries for the query, best first; entries that match go first."""
        if mode not in MODES:
            raise KnowledgeError(f"unknown search mode {mode!r} (use one of {', '.join(MODES)})")
        query = " ".join(query.split())
        if not query or k <= 0:
            return []
        self._live.refresh()
        vector = self.embedder.encode([query])[0] if mode != "keyword" else None
        chunk_hits = search_chunks(self._engine, self._live.chunks, query, vector, k, collections, mode)
        if vector is None:
            return chunk_hits[:k]
        fresh, stale = entries.search(self._engine, self._live.entries, vector, collections)
        ranked = fresh + chunk_hits[:1] + stale + chunk_hits[1:]
        return ranked[:k]

    # -- indexes ------------------------------------------------------------------------------------------------
    def rebuild_index(self) -> None:
        """Rebuild both indexes from the database alone (no re-embedding) and swap them in atomically."""
        self._live.rebuild()

    # -- facts ----------------------------------------------------------------------------------------------------
    def collections(self) -> list[str]:
        with Session(self._engine) as session:
            return sorted(set(session.exec(select(KbDocument.collection)).all()))

    def stats(self) -> dict:
        with Session(self._engine) as session:
            count = lambda model: int(session.exec(select(sqlalchemy.func.count()).select_from(model)).one())  # noqa: E731
            return {"documents": count(KbDocument), "chunks": count(KbChunk), "entries": count(KbEntry)}

    def document_title(self, path: str) -> str | None:
        with Session(self._engine) as session:
            return session.exec(select(KbDocument.title).where(KbDocument.path == path)).first()


__all__ = ["KnowledgeBase", "TextItem", "VERIFIED_COLLECTION", "title_of"]
