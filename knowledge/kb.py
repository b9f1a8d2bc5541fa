"""The knowledge base: ingest documents, keep curated entries, search both.

A thin front over its parts (ingesting, entries, searching, index_lifecycle), usable on its own as a library::

    kb = KnowledgeBase.open("data")
    kb.ingest(["handbook/"])
    kb.search("How many days of leave do I get?")
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import sqlalchemy
from sqlmodel import Session, select

from knowledge import entries, entry_matching, store
from knowledge.embed import Embedder
from knowledge.embedding_batcher import EmbeddingBatcher
from knowledge.entries import VERIFIED_COLLECTION
from knowledge.entry_matching import DOCUMENTS_COMPARED
from knowledge.errors import KnowledgeError
from knowledge.index_lifecycle import LiveIndexes
from knowledge.ingesting import Ingester, TextItem
from knowledge.loaders import title_of
from knowledge.searching import MODES, idf_for, search_chunks
from knowledge.sources import tables as source_tables
from knowledge.sources.folder import ingest_paths
from knowledge.sources.reports import SyncReport
from knowledge.sources.source import Source
from knowledge.sources.syncing import SyncOptions, sync_source
from knowledge.store import KbChunk, KbDocument, KbEntry
from knowledge.types import Alias, DocumentInfo, Hit, IngestReport
from knowledge.wording import Idf, question_terms

SAME_QUESTION = 0.70  # an entry matched at least this surely goes before every passage
RELATED_ENTRY = 0.45  # an entry below this match confidence is not even listed among a search's hits
SIMILAR_ENTRY = 0.10  # ...but may still be offered to a champion as a possible "Same as…"


DOCUMENT_HITS = 10  # passages read to find a wording's first few distinct documents


def _first_documents(hits: list[Hit]) -> tuple[str, ...]:
    documents: list[str] = []
    for hit in hits:
        if hit.document not in documents:
            documents.append(hit.document)
    return tuple(documents[:DOCUMENTS_COMPARED])


def _uniform_idf(terms: Sequence[str]) -> np.ndarray:
    """With no documents there are no word statistics: every word weighs the same."""
    return np.ones(len(terms))


class KnowledgeBase:
    def __init__(self, home: Path, engine: sqlalchemy.Engine, embedder: Embedder) -> None:
        self.home = home
        self.embedder = embedder
        self._engine = engine
        self._ingester = Ingester(engine, embedder)
        self._live = LiveIndexes(engine, embedder, self.index_dir)
        self._questions = EmbeddingBatcher(embedder.encode)

    @classmethod
    def open(cls, home: Path | str, *, database_url: str | None = None, embedder: Embedder | None = None,
             model: str | None = None) -> "KnowledgeBase":
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        engine = store.make_engine(database_url, home)
        store.create_tables(engine)
        source_tables.create_tables(engine)
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
        self._questions.close()
        self._engine.dispose()

    # -- ingest -----------------------------------------------------------------------------------------------
    def ingest(self, paths: Sequence[Path | str], *, collection: str | None = None,
               progress: bool = False) -> IngestReport:
        """Add new documents, replace changed ones, drop ones no longer under an ingested folder: each path is
        the local-folder source (``knowledge.sources.folder``) on the sync engine."""
        report = ingest_paths(self._engine, self._ingester, paths, collection=collection, progress=progress)
        if report.documents_added or report.documents_changed or report.documents_removed:
            self._live.refresh(force=True)
        return report

    def ingest_texts(self, items: Iterable[TextItem], *, progress: bool = False) -> IngestReport:
        report, changed = self._ingester.ingest_texts(items, progress=progress)
        if changed:
            self._live.refresh(force=True)
        return report

    def sync(self, name: str, source: Source, options: SyncOptions) -> SyncReport:
        """Bring the documents of ``source`` (stored under ``name``) in step with it: ``knowledge.sources``."""
        report = sync_source(self._engine, self._ingester, name, source, options)
        if report.added or report.changed or report.removed:
            self._live.refresh(force=True)
        return report

    def remove_documents(self, paths: Iterable[str]) -> IngestReport:
        """Remove stored documents and their chunks; ``changed`` in the report lists them, as after an ingest
        that found them gone, so answers built on them can be re-checked."""
        report, changed = self._ingester.remove(list(paths))
        if changed:
            self._live.refresh(force=True)
        return report

    def documents(self, *, collection: str | None = None, path: str | None = None) -> list[DocumentInfo]:
        """The stored documents by path, with their chunk counts. ``path`` keeps the document stored at that
        path, or every document under it when it names a folder."""
        chunks = (select(KbChunk.document_id, sqlalchemy.func.count().label("n"))
                  .group_by(KbChunk.document_id).subquery())
        query = (select(KbDocument, sqlalchemy.func.coalesce(chunks.c.n, 0))
                 .join(chunks, chunks.c.document_id == KbDocument.id, isouter=True).order_by(KbDocument.path))
        if collection is not None:
            query = query.where(KbDocument.collection == collection)
        if path is not None:
            folder = path.rstrip("/") + "/"
            query = query.where(sqlalchemy.or_(KbDocument.path == path,
                                               sqlalchemy.func.substr(KbDocument.path, 1, len(folder)) == folder))
        with Session(self._engine) as session:
            rows = session.exec(query).all()
        return [DocumentInfo(doc.path, doc.title, doc.collection, int(n), store.aware(doc.updated_at))
                for doc, n in rows]

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
    def embed_question(self, question: str) -> np.ndarray:
        """The question's vector, for ``search``, ``similar_entries`` and topic picking to share, so answering
        a question embeds it once. Concurrent callers are embedded together (``EmbeddingBatcher``)."""
        return self._questions.embed(" ".join(question.split()))

    def search(self, query: str, k: int = 5, *, collections: Sequence[str] | None = None,
               mode: str = "hybrid", vector: np.ndarray | None = None) -> list[Hit]:
        """Best passages and verified entries for the query, best first; entries that match go first.

        ``vector`` is the query's embedding when the caller has it already (``embed_question``)."""
        if mode not in MODES:
            raise KnowledgeError(f"unknown search mode {mode!r} (use one of {', '.join(MODES)})")
        query = " ".join(query.split())
        if not query or k <= 0:
            return []
        self._live.refresh()
        vector = None if mode == "keyword" else self._vector_of(query, vector)
        chunk_hits = search_chunks(self._engine, self._live.chunks, query, vector, k, collections, mode)
        if vector is None:
            return chunk_hits[:k]
        matched = self._match_entries(query, vector, collections, floor=RELATED_ENTRY, limit=k,
                                      query_hits=chunk_hits)
        fresh = [hit for hit in matched if not hit.stale]
        stale = [hit for hit in matched if hit.stale]
        leading = [hit for hit in fresh if hit.confidence >= SAME_QUESTION]
        trailing = [hit for hit in fresh if hit.confidence < SAME_QUESTION]
        ranked = leading + chunk_hits[:1] + trailing + stale + chunk_hits[1:]
        return ranked[:k]

    def similar_entries(self, question: str, n: int = 3, *, collections: Sequence[str] | None = None,
                        floor: float = SIMILAR_ENTRY, vector: np.ndarray | None = None) -> list[Hit]:
        """The verified entries closest to a question, even loosely: what a champion is offered as "Same as…"."""
        question = " ".join(question.split())
        if not question or n <= 0:
            return []
        self._live.refresh()
        vector = self._vector_of(question, vector)
        return [hit for hit in self._match_entries(question, vector, collections, floor=floor, limit=n)
                if not hit.stale]

    def _vector_of(self, text: str, vector: np.ndarray | None) -> np.ndarray:
        return self.embedder.encode([text])[0] if vector is None else np.asarray(vector, dtype="float32")

    def same_question(self, query: str, wordings: Sequence[tuple[str, np.ndarray]], *,
                      collections: Sequence[str] | None = None, vector: np.ndarray | None = None,
                      floor: float = 0.0) -> list[float]:
        """How surely ``query`` asks the same question as each of ``wordings`` (text and its ``embed_question``
        vector), decided as a verified entry's match is (meaning, word contrast, same documents found within
        ``collections``); a wording that cannot reach ``floor`` gets 0.0 without its search being run. What the
        bot learns from feedback on one question reaches another this way."""
        query = " ".join(query.split())
        if not query or not wordings:
            return [0.0] * len(wordings)
        self._live.refresh()
        vector = self._vector_of(query, vector)
        idf, best_documents = self._matching_aids(query, collections)
        query_terms = question_terms(query)
        query_documents = best_documents(query, vector)
        return [entry_matching.wording_match(
            query_terms, query_documents, float(np.dot(np.asarray(wording_vector, dtype="float32"), vector)),
            question_terms(text), lambda: best_documents(" ".join(text.split()), wording_vector), idf,
            floor=floor)[0] for text, wording_vector in wordings]

    def _match_entries(self, query: str, vector, collections: Sequence[str] | None, *, floor: float,
                       limit: int, query_hits: list[Hit] | None = None) -> list[Hit]:
        idf, best_documents = self._matching_aids(query, collections, query_hits)
        return entries.match(self._engine, self._live.entries, query, vector, collections, idf, best_documents,
                             floor=floor, limit=limit)

    def _matching_aids(self, query: str, collections: Sequence[str] | None,
                       query_hits: list[Hit] | None = None) -> tuple[Idf, entries.BestDocuments]:
        """The word weights and the "first documents a wording finds" (cached per wording on the live index)
        that deciding "the same question?" reads."""
        chunks = self._live.chunks
        idf = idf_for(chunks) if chunks is not None and len(chunks) else _uniform_idf
        scope = tuple(sorted(set(collections))) if collections else ()

        def best_documents(text: str, text_vector) -> tuple[str, ...]:
            if text == query and query_hits is not None:
                return _first_documents(query_hits)
            if chunks is None:
                return ()
            known = chunks.wording_documents
            if (scope, text) not in known:
                known[(scope, text)] = _first_documents(search_chunks(
                    self._engine, chunks, text, text_vector, DOCUMENT_HITS, collections, "hybrid"))
            return known[(scope, text)]

        return idf, best_documents

    # -- learned wordings -----------------------------------------------------------------------------------------
    def add_alias(self, entry_id: int, text: str, *, added_by: str) -> int | None:
        alias_id = entries.add_alias(self._engine, self.embedder, entry_id, text, added_by=added_by)
        if alias_id is not None:
            self._live.refresh(force=True)
        return alias_id

    def remove_alias(self, alias_id: int) -> bool:
        removed = entries.remove_alias(self._engine, alias_id)
        if removed:
            self._live.refresh(force=True)
        return removed

    def entry(self, entry_id: int) -> Hit | None:
        return entries.get(self._engine, entry_id)

    def aliases(self, entry_id: int | None = None) -> list[Alias]:
        return entries.list_aliases(self._engine, entry_id)

    def entry_ids(self, *, created_before: datetime | None = None) -> list[int]:
        """Every entry's id (those written before ``created_before`` only, when given): what a curating
        application checks its own records against, to remove entries a crash left without one."""
        return entries.ids(self._engine, created_before)

    # -- indexes ------------------------------------------------------------------------------------------------
    def rebuild_index(self) -> None:
        """Rebuild both indexes from the database alone (no re-embedding) and swap them in atomically."""
        self._live.rebuild()

    # -- facts ----------------------------------------------------------------------------------------------------
    def collections(self) -> list[str]:
        """Every collection that holds a document or an entry."""
        with Session(self._engine) as session:
            names = set(session.exec(select(KbDocument.collection).distinct()).all())
            names |= set(session.exec(select(KbEntry.collection).distinct()).all())
        return sorted(names)

    def stats(self) -> dict:
        with Session(self._engine) as session:
            count = lambda model: int(session.exec(select(sqlalchemy.func.count()).select_from(model)).one())  # noqa: E731
            return {"documents": count(KbDocument), "chunks": count(KbChunk), "entries": count(KbEntry)}

    def document_versions(self, paths: Iterable[str]) -> dict[str, str]:
        """Each stored document's content fingerprint, by path (absent: not stored): what tells whether a
        document changed since someone judged it."""
        wanted = sorted(set(paths))
        if not wanted:
            return {}
        with Session(self._engine) as session:
            rows = session.exec(select(KbDocument.path, KbDocument.content_hash)
                                .where(KbDocument.path.in_(wanted))).all()
        return dict(rows)

    def document_title(self, path: str) -> str | None:
        with Session(self._engine) as session:
            return session.exec(select(KbDocument.title).where(KbDocument.path == path)).first()


__all__ = ["KnowledgeBase", "TextItem", "VERIFIED_COLLECTION", "title_of"]
