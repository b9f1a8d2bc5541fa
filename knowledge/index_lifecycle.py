"""The in-memory indexes of one process, kept in step with the database.

The database is the truth; the vector and keyword indexes are caches of it, saved to files so a restart does
not rebuild them. Another process (an ingest while the bot serves) changes the database, so every search first
checks, at most every ``REFRESH_SECONDS``, whether the versions moved, and reloads or rebuilds what did.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import sqlalchemy
from sqlmodel import Session, select

from knowledge import entries, index_files, store
from knowledge.dense import DenseIndex
from knowledge.embed import Embedder
from knowledge.index_files import ChunkIndex
from knowledge.keyword import KeywordIndex
from knowledge.store import KbChunk

log = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0
REBUILD_BATCH = 5000


class LiveIndexes:
    """Chunk index and entry table as of the last refresh; ``chunks`` and ``entries`` are swapped whole."""

    def __init__(self, engine: sqlalchemy.Engine, embedder: Embedder, directory: Path) -> None:
        self._engine = engine
        self._embedder = embedder
        self.directory = directory
        self.chunks: ChunkIndex | None = None
        self.entries: entries.EntryTable | None = None
        self._versions = (-1, -1)
        self._checked_at = 0.0

    def rebuild(self) -> None:
        """Rebuild both chunk indexes from the database alone (no re-embedding) and swap them in atomically."""
        generation, _ = store.versions(self._engine)
        dim = self._embedder.dim
        with Session(self._engine) as session:
            total = int(session.exec(select(sqlalchemy.func.count()).select_from(KbChunk)).one())
            ids = np.zeros(total, dtype="int64")
            collections = np.empty(total, dtype=object)
            vectors = np.zeros((total, dim), dtype="float32")
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
        dense = DenseIndex.build(ids, vectors, dim)
        del vectors
        keyword = KeywordIndex.build(texts)
        del texts
        index = ChunkIndex(generation, ids, collections, dense, keyword)
        index_files.save(self.directory, index)
        self.chunks = index
        log.info("index rebuilt: %d chunks, generation %d", len(ids), generation)

    def refresh(self, force: bool = False) -> None:
        """Pick up changes made by this or another process (an ingest while the bot runs)."""
        now = time.monotonic()
        if not force and now - self._checked_at < REFRESH_SECONDS:
            return
        self._checked_at = now
        generation, entries_version = store.versions(self._engine)
        if force or self.chunks is None or self.chunks.generation != generation:
            index = index_files.load(self.directory)
            if index is None or index.generation != generation or not self._matches_database(index):
                if index is not None or generation > 0:
                    log.warning("search index missing or out of date; rebuilding it from the database")
                self.rebuild()
            else:
                self.chunks = index
        if force or self._versions[1] != entries_version:
            self.entries = entries.load_table(self._engine, self._embedder.dim)
        self._versions = (generation, entries_version)

    def _matches_database(self, index: ChunkIndex) -> bool:
        with Session(self._engine) as session:
            count = session.exec(select(sqlalchemy.func.count()).select_from(KbChunk)).one()
        return int(count) == len(index)
