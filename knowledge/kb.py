"""The knowledge base: ingest documents, keep curated entries, search both.

Usable on its own as a library::

    kb = KnowledgeBase.open("data")
    kb.ingest(["handbook/"])
    kb.search("How many days of leave do I get?")
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import sqlalchemy
from sqlmodel import Session, delete, select

from knowledge import index_files, ranking, store
from knowledge.chunking import Chunk, chunk_document
from knowledge.dense import DenseIndex
from knowledge.embed import Embedder
from knowledge.errors import KnowledgeError
from knowledge.index_files import ChunkIndex
from knowledge.keyword import KeywordIndex
from knowledge.loaders import UnreadableFile, is_supported, load, title_of
from knowledge.store import KbChunk, KbDocument, KbEntry
from knowledge.types import Hit, IngestReport, SkippedFile

log = logging.getLogger(__name__)

CHUNKER_VERSION = "1"  # part of every content hash: a new chunker re-chunks everything once
SHARED_ENTRY_COLLECTION = "verified"  # entries here are searched whatever collections a search names
REFRESH_SECONDS = 2.0
MODES = ("hybrid", "dense", "keyword")
EMBED_BATCH = 512  # chunks embedded and inserted together
REBUILD_BATCH = 5000


@dataclass(frozen=True)
class TextItem:
    """A document given as text rather than a file (evaluation corpora, benchmarks, other sources)."""

    document: str
    title: str
    text: str
    collection: str


@dataclass
class _Prepared:
    path: str
    root: str
    collection: str
    title: str
    content_hash: str
    chunks: list[Chunk]


@dataclass
class _Entries:
    ids: np.ndarray
    questions: np.ndarray
    answers: np.ndarray
    collections: list[str]
    stale: np.ndarray


class KnowledgeBase:
    def __init__(self, home: Path, engine: sqlalchemy.Engine, embedder: Embedder) -> None:
        self.home = home
        self.embedder = embedder
        self._engine = engine
        self._index: ChunkIndex | None = None
        self._entries: _Entries | None = None
        self._versions = (-1, -1)
        self._checked_at = 0.0

    @classmethod
    def open(cls, home: Path | str, *, database_url: str | None = None, embedder: Embedder | None = None,
             model: str | None = None) -> "KnowledgeBase":
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        engine = store.make_engine(database_url, home)
        store.create_tables(engine)
        kb = cls(home, engine, embedder or Embedder(model))
        kb._refresh(force=True)
        return kb

    @property
    def engine(self) -> sqlalchemy.Engine:
        return self._engine

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    def close(self) -> None:
        self._engine.dispose()

    # -- ingest -----------------------------------------------------------------------------------------------
    def ingest(self, paths: Sequence[Path | str], *, collection: str | None = None,
               progress: bool = False) -> IngestReport:
        """Add new documents, replace changed ones, drop ones no longer under an ingested folder."""
        report = IngestReport()
        prepared: list[_Prepared] = []
        removed: set[str] = set()
        with Session(self._engine) as session:
            known = store.documents_by_path(session)
        for raw in paths:
            root = Path(raw).resolve()
            if not root.exists():
                report.skipped.append(SkippedFile(str(raw), "no such file or folder"))
                continue
            root_collection = collection or (root.name if root.is_dir() else root.parent.name) or "default"
            files = _files_under(root, report)
            seen = set()
            for file in files:
                seen.add(str(file))
                item = self._prepare_file(file, str(root), root_collection, known, report)
                if item is not None:
                    prepared.append(item)
            if root.is_dir():
                removed.update(path for path, doc in known.items() if doc.root == str(root) and path not in seen)
        self._apply(prepared, removed, known, report, progress)
        return report

    def ingest_texts(self, items: Iterable[TextItem], *, progress: bool = False) -> IngestReport:
        report = IngestReport()
        with Session(self._engine) as session:
            known = store.documents_by_path(session)
        prepared = []
        for item in items:
            digest = _hash(item.text.encode("utf-8"), item.title, item.collection)
            existing = known.get(item.document)
            if existing is not None and existing.content_hash == digest:
                report.documents_unchanged += 1
                continue
            chunks = chunk_document(item.text, item.title)
            if not chunks:
                report.skipped.append(SkippedFile(item.document, "no text found"))
                continue
            prepared.append(_Prepared(item.document, "texts", item.collection, item.title, digest, chunks))
        self._apply(prepared, set(), known, report, progress)
        return report

    def _prepare_file(self, file: Path, root: str, collection: str, known: dict[str, KbDocument],
                      report: IngestReport) -> _Prepared | None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            report.skipped.append(SkippedFile(str(file), f"cannot read the file ({exc.strerror or exc})"))
            return None
        digest = _hash(data, "", collection)
        existing = known.get(str(file))
        if existing is not None and existing.content_hash == digest:
            report.documents_unchanged += 1
            return None
        try:
            document = load(file)
        except UnreadableFile as exc:
            report.skipped.append(SkippedFile(str(file), str(exc)))
            return None
        chunks = chunk_document(document.text, document.title)
        if not chunks:
            report.skipped.append(SkippedFile(str(file), "no text found"))
            return None
        return _Prepared(str(file), root, collection, document.title, digest, chunks)

    def _apply(self, prepared: list[_Prepared], removed: set[str], known: dict[str, KbDocument],
               report: IngestReport, progress: bool) -> None:
        """One transaction for the whole run (a crash leaves the previous state), embedding as it goes in
        batches so memory stays flat however large the corpus."""
        if not prepared and not removed:
            return
        with Session(self._engine) as session, _progress_bar(progress, prepared) as bar:
            for path in sorted(removed):
                document = known[path]
                report.chunks_removed += _delete_chunks(session, document.id)
                session.delete(session.get(KbDocument, document.id))
                report.documents_removed += 1
                report.changed.append(path)
            for batch in _batches(prepared, EMBED_BATCH):
                vectors = self.embedder.encode([chunk.embedding_text() for item in batch for chunk in item.chunks])
                rows: list[dict] = []
                for item in batch:
                    document = self._upsert_document(session, item, known.get(item.path), report)
                    for chunk in item.chunks:
                        rows.append({"document_id": document.id, "ordinal": chunk.ordinal,
                                     "collection": item.collection, "title": chunk.title, "heading": chunk.heading,
                                     "text": chunk.text, "embedding": store.to_blob(vectors[len(rows)])})
                    report.chunks_added += len(item.chunks)
                    session.expunge(document)
                session.execute(sqlalchemy.insert(KbChunk), rows)
                bar.update(len(rows))
            store.bump_generation(session)
            session.commit()
        self.rebuild_index()

    @staticmethod
    def _upsert_document(session: Session, item: _Prepared, existing: KbDocument | None,
                         report: IngestReport) -> KbDocument:
        if existing is not None:
            document = session.get(KbDocument, existing.id)
            report.chunks_removed += _delete_chunks(session, document.id)
            document.title, document.collection, document.root = item.title, item.collection, item.root
            document.content_hash = item.content_hash
            report.documents_changed += 1
            report.changed.append(item.path)
        else:
            document = KbDocument(path=item.path, root=item.root, collection=item.collection, title=item.title,
                                  content_hash=item.content_hash)
            report.documents_added += 1
        session.add(document)
        session.flush()
        return document

    # -- curated entries ----------------------------------------------------------------------------------------
    def add_entry(self, question: str, answer: str, *, source: str, verified_by: str,
                  collection: str = SHARED_ENTRY_COLLECTION) -> int:
        vectors = self.embedder.encode([question, f"{question}\n{answer}"])
        with Session(self._engine) as session:
            entry = KbEntry(question=question, answer=answer, source=source, verified_by=verified_by,
                            collection=collection, question_embedding=store.to_blob(vectors[0]),
                            answer_embedding=store.to_blob(vectors[1]))
            session.add(entry)
            store.bump_entries_version(session)
            session.commit()
            entry_id = entry.id
        self._refresh(force=True)
        return entry_id

    def update_entry(self, entry_id: int, *, answer: str | None = None, stale: bool | None = None) -> None:
        with Session(self._engine) as session:
            entry = session.get(KbEntry, entry_id)
            if entry is None:
                raise KnowledgeError(f"no verified entry {entry_id}")
            if answer is not None:
                entry.answer = answer
                entry.answer_embedding = store.to_blob(self.embedder.encode([f"{entry.question}\n{answer}"])[0])
            if stale is not None:
                entry.stale = stale
            session.add(entry)
            store.bump_entries_version(session)
            session.commit()
        self._refresh(force=True)

    def remove_entry(self, entry_id: int) -> None:
        with Session(self._engine) as session:
            entry = session.get(KbEntry, entry_id)
            if entry is not None:
                session.delete(entry)
                store.bump_entries_version(session)
                session.commit()
        self._refresh(force=True)

    # -- search -------------------------------------------------------------------------------------------------
    def search(self, query: str, k: int = 5, *, collections: Sequence[str] | None = None,
               mode: str = "hybrid") -> list[Hit]:
        """Best passages and verified entries for the query, best first; entries that match go first."""
        if mode not in MODES:
            raise KnowledgeError(f"unknown search mode {mode!r} (use one of {', '.join(MODES)})")
        query = " ".join(query.split())
        if not query or k <= 0:
            return []
        self._refresh()
        vector = self.embedder.encode([query])[0] if mode != "keyword" else None
        chunk_hits = self._search_chunks(query, vector, k, collections, mode)
        if vector is None:
            return chunk_hits[:k]
        fresh, stale = self._search_entries(vector, collections)
        ranked = fresh + chunk_hits[:1] + stale + chunk_hits[1:]
        return ranked[:k]

    def _search_chunks(self, query: str, vector: np.ndarray | None, k: int, collections: Sequence[str] | None,
                       mode: str) -> list[Hit]:
        index = self._index
        if index is None or len(index) == 0:
            return []
        mask = index.mask(tuple(sorted(set(collections)))) if collections else None
        if mask is not None and not mask.any():
            return []
        wanted = max(ranking.CANDIDATES, k)
        candidates: dict[int, float] = {}
        if mode != "keyword":
            ids, scores = index.dense.search(vector, wanted, index.ids[mask] if mask is not None else None)
            candidates.update(zip(map(int, ids), map(float, scores)))
        keyword_scores = index.keyword.scores(query)
        if mask is not None:
            keyword_scores = np.where(mask, keyword_scores, 0)
        if mode != "dense":
            positive = np.flatnonzero(keyword_scores > 0)
            top = positive[np.argsort(-keyword_scores[positive], kind="stable")[:wanted]]
            for row in top:
                chunk_id = int(index.ids[row])
                if chunk_id not in candidates:
                    candidates[chunk_id] = (float(index.dense.index.reconstruct(chunk_id) @ vector)
                                            if vector is not None else 0.0)
        if not candidates:
            return []
        chunk_ids = np.fromiter(candidates.keys(), dtype="int64", count=len(candidates))
        cosines = np.fromiter(candidates.values(), dtype="float32", count=len(candidates))
        keywords = np.array([keyword_scores[index.row_of[int(i)]] for i in chunk_ids], dtype="float32")
        fused = ranking.fuse(cosines, keywords, mode)
        order = np.argsort(-fused, kind="stable")[:k]
        top_keyword = float(keywords.max()) if keywords.size else 0.0
        rows = self._chunk_rows([int(chunk_ids[i]) for i in order])
        hits = []
        for i in order:
            chunk, document = rows[int(chunk_ids[i])]
            share = float(keywords[i] / top_keyword) if top_keyword > 0 else 0.0
            source = " › ".join(part for part in (chunk.title, chunk.heading) if part)
            hits.append(Hit(key=f"chunk:{chunk.id}", kind="chunk", title=chunk.title, source=source,
                            heading=chunk.heading, text=chunk.text, score=float(fused[i]),
                            confidence=ranking.confidence(float(cosines[i]), share) if vector is not None
                            else ranking.confidence(ranking.CONFIDENCE_MIDPOINT, share),
                            collection=chunk.collection, document=document))
        return hits

    def _chunk_rows(self, chunk_ids: list[int]) -> dict[int, tuple[KbChunk, str]]:
        with Session(self._engine) as session:
            rows = session.exec(
                select(KbChunk, KbDocument.path).join(KbDocument, KbDocument.id == KbChunk.document_id)
                .where(KbChunk.id.in_(chunk_ids))
            ).all()
        return {chunk.id: (chunk, path) for chunk, path in rows}

    def _search_entries(self, vector: np.ndarray, collections: Sequence[str] | None) -> tuple[list[Hit], list[Hit]]:
        entries = self._entries
        if entries is None or len(entries.ids) == 0:
            return [], []
        similarity = np.maximum(entries.questions @ vector, ranking.ENTRY_ANSWER_WEIGHT * (entries.answers @ vector))
        allowed = [
            i for i in range(len(entries.ids))
            if similarity[i] >= ranking.ENTRY_MATCH
            and (not collections or entries.collections[i] in collections
                 or entries.collections[i] == SHARED_ENTRY_COLLECTION)
        ]
        allowed.sort(key=lambda i: -similarity[i])
        if not allowed:
            return [], []
        with Session(self._engine) as session:
            rows = {e.id: e for e in session.exec(select(KbEntry).where(
                KbEntry.id.in_([int(entries.ids[i]) for i in allowed]))).all()}
        fresh, stale = [], []
        for i in allowed:
            entry = rows.get(int(entries.ids[i]))
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

    # -- indexes ------------------------------------------------------------------------------------------------
    def rebuild_index(self) -> None:
        """Rebuild both indexes from the database alone (no re-embedding) and swap them in atomically."""
        generation, _ = store.versions(self._engine)
        with Session(self._engine) as session:
            total = int(session.exec(select(sqlalchemy.func.count()).select_from(KbChunk)).one())
            ids = np.zeros(total, dtype="int64")
            collections = np.empty(total, dtype=object)
            vectors = np.zeros((total, self.embedder.dim), dtype="float32")
            texts: list[str] = []
            statement = (select(KbChunk.id, KbChunk.collection, KbChunk.title, KbChunk.heading, KbChunk.text,
                                KbChunk.embedding).order_by(KbChunk.id)
                         .execution_options(yield_per=REBUILD_BATCH))
            row = 0
            for chunk_id, collection, title, heading, text, blob in session.execute(statement):
                if row == total:
                    break  # rows added while we read belong to the next generation
                ids[row], collections[row] = chunk_id, collection
                vectors[row] = np.frombuffer(blob, dtype="float32")
                texts.append(f"{title} {heading}\n{text}")
                row += 1
        ids, collections, vectors = ids[:row], collections[:row], vectors[:row]
        dense = DenseIndex.build(ids, vectors, self.embedder.dim)
        del vectors
        keyword = KeywordIndex.build(texts)
        del texts
        index = ChunkIndex(generation, ids, collections, dense, keyword)
        index_files.save(self.index_dir, index)
        self._index = index
        log.info("index rebuilt: %d chunks, generation %d", len(ids), generation)

    def _refresh(self, force: bool = False) -> None:
        """Pick up changes made by this or another process (an ingest while the bot runs)."""
        now = time.monotonic()
        if not force and now - self._checked_at < REFRESH_SECONDS:
            return
        self._checked_at = now
        generation, entries_version = store.versions(self._engine)
        if force or self._index is None or self._index.generation != generation:
            index = index_files.load(self.index_dir)
            if index is None or index.generation != generation or not self._matches_database(index):
                if index is not None or generation > 0:
                    log.warning("search index missing or out of date; rebuilding it from the database")
                self.rebuild_index()
            else:
                self._index = index
        if force or self._versions[1] != entries_version:
            self._entries = self._load_entries()
        self._versions = (generation, entries_version)

    def _matches_database(self, index: ChunkIndex) -> bool:
        with Session(self._engine) as session:
            count = session.exec(select(sqlalchemy.func.count()).select_from(KbChunk)).one()
        return int(count) == len(index)

    def _load_entries(self) -> _Entries:
        with Session(self._engine) as session:
            rows = session.exec(select(KbEntry).order_by(KbEntry.id)).all()
        dim = self.embedder.dim
        return _Entries(
            ids=np.array([e.id for e in rows], dtype="int64"),
            questions=store.from_blobs([e.question_embedding for e in rows], dim),
            answers=store.from_blobs([e.answer_embedding for e in rows], dim),
            collections=[e.collection for e in rows],
            stale=np.array([e.stale for e in rows], dtype=bool),
        )

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


def _batches(items: list[_Prepared], chunks_per_batch: int) -> Iterable[list[_Prepared]]:
    batch: list[_Prepared] = []
    size = 0
    for item in items:
        batch.append(item)
        size += len(item.chunks)
        if size >= chunks_per_batch:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _progress_bar(enabled: bool, prepared: list[_Prepared]):
    from tqdm import tqdm

    total = sum(len(item.chunks) for item in prepared)
    return tqdm(total=total, desc="Embedding", unit="chunk", disable=not enabled or total == 0, leave=False)


def _files_under(root: Path, report: IngestReport) -> list[Path]:
    if root.is_file():
        if is_supported(root):
            return [root]
        report.skipped.append(SkippedFile(str(root), f"unsupported file type {root.suffix or '(none)'}"))
        return []
    files = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if is_supported(path):
            files.append(path)
        else:
            report.skipped.append(SkippedFile(str(path), f"unsupported file type {path.suffix or '(none)'}"))
    return files


def _hash(data: bytes, title: str, collection: str) -> str:
    digest = hashlib.sha256()
    for part in (CHUNKER_VERSION.encode(), title.encode("utf-8"), collection.encode("utf-8"), data):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def _delete_chunks(session: Session, document_id: int) -> int:
    result = session.exec(delete(KbChunk).where(KbChunk.document_id == document_id))
    return int(result.rowcount or 0)


__all__ = ["KnowledgeBase", "TextItem", "title_of"]
