"""The vector index as a saved base plus the chunks changed since, so one ingest does not rebuild all of FAISS.

The base is never modified: another thread may be searching it, and FAISS does not let a search and an add run
together. Added chunks go to a small exact index of their own, built anew with each change (it holds only the
changes); removed chunks are filtered out of the base's results by an id selector. Both are searched and the
results merged by cosine, which both compute the same way, so nothing about the scores changes.
"""
from __future__ import annotations

import numpy as np

from knowledge.dense import DenseIndex


class DenseLayers:
    def __init__(self, base: DenseIndex, added_ids: np.ndarray, added_vectors: np.ndarray,
                 removed_ids: np.ndarray) -> None:
        self.base = base
        self.added = DenseIndex.build(added_ids, added_vectors, added_vectors.shape[1], approximate=False)
        self.removed_ids = removed_ids
        self.kind = base.kind
        self._added_ids = set(map(int, added_ids))

    def __len__(self) -> int:
        return len(self.base) - len(self.removed_ids) + len(self.added)

    def search(self, query: np.ndarray, n: int, allowed_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``n`` (chunk ids, cosine scores) over the base's remaining chunks and the added ones."""
        base_ids, base_scores = self.base.search(query, n, allowed_ids, self.removed_ids)
        added_ids, added_scores = self.added.search(query, n, allowed_ids)
        ids = np.concatenate([base_ids, added_ids])
        scores = np.concatenate([base_scores, added_scores])
        best = np.argsort(-scores, kind="stable")[:n]
        return ids[best], scores[best]

    def vector(self, chunk_id: int) -> np.ndarray:
        return (self.added if chunk_id in self._added_ids else self.base).vector(chunk_id)

