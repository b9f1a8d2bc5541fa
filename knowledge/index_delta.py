"""A base index plus the chunks added and removed since it was built: how an ingest reaches every process.

A full build reads every row and re-scores all of BM25, which grows with the corpus; an ingest of one document
changes a handful of rows. So each process keeps the base it loaded (or built) and the changes since, taken
from the database (the truth), and serves ``index()``: a new ``ChunkIndex`` over both, built whole and then
swapped in, so a search never sees half a change. When the changes grow past a share of the base, the
keyword scores of the base (computed with its build's statistics) would drift from the added rows' and the
small indexes would cost more than they save: ``too_large`` tells the owner to build a new base.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from knowledge.chunk_rows import ChunkRows
from knowledge.dense_layers import DenseLayers
from knowledge.index_files import ChunkIndex
from knowledge.keyword import tokenize
from knowledge.keyword_layers import KeywordLayers

CHANGES_AT_LEAST = 2000  # a base is kept while the changes since are fewer than this...
CHANGES_SHARE = 0.1  # ...or than this share of the base, whichever is larger


@dataclass(frozen=True)
class AddedChunk:
    collection: str
    vector: np.ndarray
    terms: Counter  # the keyword index's terms, counted once when the chunk arrives


@dataclass(frozen=True)
class IndexDelta:
    base: ChunkIndex
    generation: int  # the database's generation these changes bring the base to
    added: dict[int, AddedChunk] = field(default_factory=dict)
    removed: frozenset[int] = frozenset()  # base chunk ids no longer in the database

    @classmethod
    def of(cls, base: ChunkIndex) -> "IndexDelta":
        """No changes yet: the base as it was saved."""
        return cls(base, base.generation)

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.removed)

    def too_large(self) -> bool:
        return self.changes > max(CHANGES_AT_LEAST, CHANGES_SHARE * len(self.base.ids))

    def known_ids(self) -> np.ndarray:
        """The chunk ids this delta's index serves, sorted."""
        kept = self.base.ids[~np.isin(self.base.ids, np.fromiter(self.removed, dtype="int64"))]
        return np.union1d(kept, np.fromiter(self.added, dtype="int64"))

    def with_changes(self, rows: ChunkRows, gone: np.ndarray, generation: int) -> "IndexDelta":
        """A new delta with ``rows`` added and the chunks ``gone`` removed (this one is left as it was)."""
        added = dict(self.added)
        removed = set(self.removed)
        for chunk_id in map(int, gone):
            if added.pop(chunk_id, None) is None:
                removed.add(chunk_id)
        for chunk_id, collection, vector, text in zip(rows.ids, rows.collections, rows.vectors, rows.texts):
            added[int(chunk_id)] = AddedChunk(collection, vector, Counter(tokenize(text)))
        return IndexDelta(self.base, generation, added, frozenset(removed))

    def index(self) -> ChunkIndex:
        """The index over the base and the changes: a new object, the base's parts shared, never modified."""
        base, generation = self.base, self.generation
        if not self.changes:
            return ChunkIndex(generation, base.ids, base.collections, base.dense, base.keyword)
        removed_ids = np.fromiter(sorted(self.removed), dtype="int64")
        base_live = ~np.isin(base.ids, removed_ids)
        added_ids = np.fromiter(self.added, dtype="int64", count=len(self.added))
        chunks = list(self.added.values())
        dim = base.dense.index.d
        vectors = np.array([chunk.vector for chunk in chunks], dtype="float32").reshape(len(chunks), dim)
        return ChunkIndex(
            generation,
            ids=np.concatenate([base.ids, added_ids]),
            collections=np.concatenate([base.collections, np.array([c.collection for c in chunks], dtype=object)]),
            dense=DenseLayers(base.dense, added_ids, vectors, removed_ids),
            keyword=KeywordLayers(base.keyword, base_live, [chunk.terms for chunk in chunks]),
            live=np.concatenate([base_live, np.ones(len(chunks), dtype=bool)]),
        )
