"""Writing documents: chunks -> embeddings -> rows, a short transaction per batch of whole documents.

The sync engine (``knowledge.sources``) writes every source's documents, ingested folders included, through
``Ingester.write`` and ``remove_paths``; texts (evaluation corpora, benchmarks) come through ``ingest_texts``.
Content hashes make unchanged documents free. The indexes are not touched here: every process applies the change
from the database.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

import numpy as np
import sqlalchemy
from sqlmodel import Session, delete, select

from knowledge import store
from knowledge.chunking import Chunk, chunk_document
from knowledge.embed import Embedder
from knowledge.parse_isolation import PARSE_TIMEOUT_SECONDS
from knowledge.store import KbChunk, KbDocument
from knowledge.types import IngestReport, SkippedFile

MAX_FILE_BYTES = 50 * 1024 * 1024  # larger files are skipped before they are read
CHUNKER_VERSION = "1"  # part of every content hash: a new chunker re-chunks everything once
EMBED_BATCH = 256  # chunks embedded at a time, and about as many written in one short transaction
REMOVE_BATCH = 500  # documents removed in one transaction


@dataclass(frozen=True)
class TextItem:
    """A document given as text rather than a file (evaluation corpora, benchmarks, other sources)."""

    document: str
    title: str
    text: str
    collection: str


@dataclass
class Prepared:
    """A document read, chunked and hashed, ready to be embedded and written (files, texts and sources alike)."""

    path: str
    root: str
    collection: str
    title: str
    content_hash: str
    chunks: list[Chunk]
    url: str | None = None
    version: str | None = None  # a source's own version of the document (None for files)
    modified_at: datetime | None = None  # when its source says it last changed
    author: str | None = None


class Ingester:
    """Writes documents and their embedded chunks; returns whether anything changed so the caller re-indexes."""

    def __init__(self, engine: sqlalchemy.Engine, embedder: Embedder, *,
                 parse_timeout: float = PARSE_TIMEOUT_SECONDS) -> None:
        self._engine = engine
        self.embedder = embedder
        self.parse_timeout = parse_timeout  # per file, in the parsing worker

    def ingest_texts(self, items: Iterable[TextItem], *, progress: bool = False) -> tuple[IngestReport, bool]:
        report = IngestReport()
        with Session(self._engine) as session:
            known = store.documents_by_path(session)
        prepared = []
        for item in items:
            digest = content_hash(item.text.encode("utf-8"), item.title, item.collection)
            existing = known.get(item.document)
            if existing is not None and existing.content_hash == digest:
                report.documents_unchanged += 1
                continue
            chunks = chunk_document(item.text, item.title)
            if not chunks:
                report.skipped.append(SkippedFile(item.document, "no text found"))
                continue
            prepared.append(Prepared(item.document, "texts", item.collection, item.title, digest, chunks))
        return report, self._apply(prepared, set(), report, progress)

    def _apply(self, prepared: list[Prepared], removed: set[str], report: IngestReport, progress: bool) -> bool:
        """Embeds outside any transaction, then writes each batch of whole documents in a short transaction of
        its own (with its generation bump), so the write lock is held for milliseconds at a time and a bot
        writing to the same SQLite file never waits for the embedding. A crash leaves every document whole, as
        it was or as it is now; the next ingest skips those already stored, by their content hash, and does the
        rest. New and changed documents go in before removed ones leave, so a renamed file is never missing.
        ``report.changed`` is read back from the database at the end, with what an interrupted ingest changed."""
        if prepared or removed:
            with _progress_bar(progress, prepared) as bar:
                for batch in _batches(prepared, EMBED_BATCH):
                    self.write(batch, report, bar)
            self.remove_paths(sorted(removed), report)
        report.changed = store.take_changed(self._engine)
        return bool(prepared or removed)

    def write(self, batch: list[Prepared], report: IngestReport, bar=None) -> None:
        """Embed a batch of whole documents (outside any transaction), then write it in one short transaction."""
        self._write(batch, self._embed(batch, bar), report)

    def remove_paths(self, paths: Sequence[str], report: IngestReport) -> None:
        """Remove these stored documents and their chunks, ``REMOVE_BATCH`` documents per transaction."""
        for start in range(0, len(paths), REMOVE_BATCH):
            self._remove(list(paths[start:start + REMOVE_BATCH]), report)

    def remove(self, paths: Sequence[str]) -> tuple[IngestReport, bool]:
        """Remove these stored documents and their chunks, reported as an ingest that found them gone would."""
        report = IngestReport()
        return report, self._apply([], set(paths), report, progress=False)

    def _embed(self, batch: list[Prepared], bar) -> np.ndarray:
        """The batch's vectors, embedded ``EMBED_BATCH`` chunks at a time so the bar moves even through one
        very long document (whose chunks are still written together)."""
        texts = [chunk.embedding_text() for item in batch for chunk in item.chunks]
        parts = []
        for start in range(0, len(texts), EMBED_BATCH):
            parts.append(self.embedder.encode(texts[start:start + EMBED_BATCH]))
            if bar is not None:
                bar.update(len(parts[-1]))
        return np.concatenate(parts)

    def _write(self, batch: list[Prepared], vectors: np.ndarray, report: IngestReport) -> None:
        """One transaction: each document row with all of its chunks, then the generation."""
        rows: list[dict] = []
        offset = 0
        with Session(self._engine) as session:
            for item in batch:
                item_vectors = vectors[offset:offset + len(item.chunks)]
                offset += len(item.chunks)
                document = _upsert_document(session, item, report)
                if document is None:
                    continue
                rows.extend({"document_id": document.id, "ordinal": chunk.ordinal, "collection": item.collection,
                             "title": chunk.title, "heading": chunk.heading, "text": chunk.text,
                             "embedding": store.to_blob(vector)} for chunk, vector in zip(item.chunks, item_vectors))
                report.chunks_added += len(item.chunks)
            if not rows:
                return
            session.execute(sqlalchemy.insert(KbChunk), rows)
            store.bump_generation(session)
            session.commit()

    def _remove(self, paths: list[str], report: IngestReport) -> None:
        """One transaction: these documents and their chunks, then the generation."""
        before = report.documents_removed
        with Session(self._engine) as session:
            for path in paths:
                document = _stored(session, path)
                if document is None:
                    continue  # another ingest removed it meanwhile
                report.chunks_removed += _delete_chunks(session, document.id)
                session.delete(document)
                store.note_changed(session, path)
                report.documents_removed += 1
            if report.documents_removed == before:
                return
            store.bump_generation(session)
            session.commit()


def _upsert_document(session: Session, item: Prepared, report: IngestReport) -> KbDocument | None:
    """The document's row, written, with its old chunks deleted; None when the stored row already holds this
    content (another ingest stored it meanwhile). Read in the writing session, not from the run's start."""
    document = _stored(session, item.path)
    if document is not None and document.content_hash == item.content_hash:
        report.documents_unchanged += 1
        return None
    if document is not None:
        report.chunks_removed += _delete_chunks(session, document.id)
        document.title, document.collection, document.root = item.title, item.collection, item.root
        document.content_hash, document.url = item.content_hash, item.url
        document.version, document.modified_at, document.author = item.version, item.modified_at, item.author
        document.updated_at = store.utcnow()
        store.note_changed(session, item.path)
        report.documents_changed += 1
    else:
        document = KbDocument(path=item.path, root=item.root, collection=item.collection, title=item.title,
                              content_hash=item.content_hash, url=item.url, version=item.version,
                              modified_at=item.modified_at, author=item.author)
        report.documents_added += 1
    session.add(document)
    session.flush()
    return document


def _stored(session: Session, path: str) -> KbDocument | None:
    return session.exec(select(KbDocument).where(KbDocument.path == path)).first()


def _batches(items: list[Prepared], chunks_per_batch: int) -> Iterable[list[Prepared]]:
    batch: list[Prepared] = []
    size = 0
    for item in items:
        batch.append(item)
        size += len(item.chunks)
        if size >= chunks_per_batch:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _progress_bar(enabled: bool, prepared: list[Prepared]):
    from tqdm import tqdm

    total = sum(len(item.chunks) for item in prepared)
    return tqdm(total=total, desc="Embedding", unit="chunk", disable=not enabled or total == 0, leave=False)


def content_hash(data: bytes, title: str, collection: str) -> str:
    """What decides whether a document must be chunked and embedded again: its bytes, the title it is stored
    under, its collection and the chunker's version."""
    digest = hashlib.sha256()
    for part in (CHUNKER_VERSION.encode(), title.encode("utf-8"), collection.encode("utf-8"), data):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def _delete_chunks(session: Session, document_id: int) -> int:
    result = session.exec(delete(KbChunk).where(KbChunk.document_id == document_id))
    return int(result.rowcount or 0)
