"""The in-memory indexes of one process, kept in step with the database.

The database is the truth; the vector and keyword indexes are caches of it. Several processes (a bot, a
scheduler, an ingest) share one home or one database, and an ingest in any of them must reach every other's
search within seconds without anyone rebuilding everything. So each process keeps a base index (loaded from the
index files, or built from the database once) and applies the changes since as a delta (``index_delta``): every
search first checks, at most every ``REFRESH_SECONDS``, whether the database's generation moved; if so, it
compares the chunk ids in the database with those it serves, reads only the new rows, and swaps in a new index
over the base and the delta. When the delta grows too large, a new base is built and saved for everyone (under
the index files' lock, after checking whether another process saved one first).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import sqlalchemy

from knowledge import chunk_rows, entries, index_files, store
from knowledge.dense import DenseIndex
from knowledge.embed import Embedder
from knowledge.index_delta import IndexDelta
from knowledge.index_files import ChunkIndex
from knowledge.keyword import KeywordIndex

log = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0


class LiveIndexes:
    """Chunk index and entry table as of the last refresh; ``chunks`` and ``entries`` are swapped whole.

    ``counts`` tallies what refreshes did ("built", "loaded", "changes applied"), for tests and logs."""

    def __init__(self, engine: sqlalchemy.Engine, embedder: Embedder, directory: Path) -> None:
        self._engine = engine
        self._embedder = embedder
        self.directory = directory
        self.chunks: ChunkIndex | None = None
        self.entries: entries.EntryTable | None = None
        self.counts: Counter[str] = Counter()
        self._delta: IndexDelta | None = None
        self._entries_version = -1
        self._checked_at = 0.0
        self._refreshing = threading.Lock()

    def rebuild(self) -> None:
        """Build a new base from the database alone (no re-embedding), save it for every process, swap it in."""
        with self._refreshing, index_files.lock(self.directory):
            self._use(self._fresh_base())

    def refresh(self, force: bool = False) -> None:
        """Pick up changes made by this or another process (an ingest while the bot runs)."""
        now = time.monotonic()
        if not force and now - self._checked_at < REFRESH_SECONDS:
            return
        # One refresh at a time. A search that finds one running serves the indexes it has meanwhile; a forced
        # refresh (this process just changed the database) and the first one wait for it.
        if not self._refreshing.acquire(blocking=force or self._delta is None):
            return
        try:
            self._checked_at = now
            generation, entries_version = store.versions(self._engine)
            if self._delta is None:
                self._open()
            elif force or self.chunks.generation != generation:
                delta = self._caught_up(self._delta)
                self._use(delta if not delta.too_large() else self._new_base())
            if force or self._entries_version != entries_version:
                self.entries = entries.load_table(self._engine, self._embedder.dim)
                self._entries_version = entries_version
        finally:
            self._refreshing.release()

    def _open(self) -> None:
        """The saved base brought up to date, or a new one when there is none or it lags too far behind."""
        with index_files.lock(self.directory):
            base = index_files.load(self.directory)
            if base is not None:
                self.counts["loaded"] += 1
                delta = self._caught_up(IndexDelta.of(base))
                if not delta.too_large():
                    self._use(delta)
                    return
            elif store.versions(self._engine)[0] > 0:
                log.warning("search index missing or unreadable; rebuilding it from the database")
            self._use(self._fresh_base())

    def _new_base(self) -> IndexDelta:
        """Another process may have saved a newer base already: use it if it is close enough, else build one."""
        with index_files.lock(self.directory):
            base = index_files.load(self.directory)
            if base is not None and base.generation > self._delta.base.generation:
                self.counts["loaded"] += 1
                delta = self._caught_up(IndexDelta.of(base))
                if not delta.too_large():
                    return delta
            return self._fresh_base()

    def _caught_up(self, delta: IndexDelta) -> IndexDelta:
        """``delta`` plus the database's changes since: ids it lacks are read, ids the database lacks dropped.
        The generation is read first, so rows committed meanwhile only make the next refresh look again."""
        generation = store.versions(self._engine)[0]
        in_database = chunk_rows.chunk_ids(self._engine)
        known = delta.known_ids()
        new = np.setdiff1d(in_database, known, assume_unique=True)
        gone = np.setdiff1d(known, in_database, assume_unique=True)
        if not len(new) and not len(gone):
            return replace(delta, generation=generation)
        self.counts["changes applied"] += 1
        log.info("index brought up to date: %d chunks added, %d removed", len(new), len(gone))
        return delta.with_changes(chunk_rows.read(self._engine, self._embedder.dim, new), gone, generation)

    def _use(self, delta: IndexDelta) -> None:
        self._delta = delta
        self.chunks = delta.index()

    def _fresh_base(self) -> IndexDelta:
        """A new base built and saved, plus whatever changed while it was being built."""
        return self._caught_up(IndexDelta.of(self._build_and_save()))

    def _build_and_save(self) -> ChunkIndex:
        """A whole new base from every row in the database; call with the index files' lock held."""
        generation = store.versions(self._engine)[0]
        rows = chunk_rows.read(self._engine, self._embedder.dim)
        dense = DenseIndex.build(rows.ids, rows.vectors, self._embedder.dim)
        rows.vectors = None  # the vectors live in FAISS now; do not hold a second copy while BM25 builds
        keyword = KeywordIndex.build(rows.texts)
        index = ChunkIndex(generation, rows.ids, rows.collections, dense, keyword)
        index_files.save(self.directory, index)
        self.counts["built"] += 1
        log.info("index built: %d chunks, generation %d", len(rows), generation)
        return index
