"""The FAISS vector index over chunk embeddings, with FAISS ids equal to chunk ids.

Exact inner-product search (the vectors are normalised, so this is cosine) up to ``APPROXIMATE_ABOVE``
chunks; HNSW beyond, where exact search stops meeting the latency target (see BENCHMARKS.md).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

APPROXIMATE_ABOVE = 300_000
HNSW_NEIGHBOURS = 32
HNSW_EF_SEARCH = 128


class DenseIndex:
    def __init__(self, index, kind: str) -> None:
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dim: int, *, approximate: bool | None = None) -> "DenseIndex":
        import faiss

        if approximate is None:
            approximate = len(ids) > APPROXIMATE_ABOVE
        if approximate:
            inner = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = 80
            kind = "hnsw"
        else:
            inner = faiss.IndexFlatIP(dim)
            kind = "flat"
        index = faiss.IndexIDMap2(inner)
        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype="float32"), np.asarray(ids, dtype="int64"))
        return cls(index, kind)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, n: int, allowed_ids: np.ndarray | None = None,
               excluded_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``n`` (chunk ids, cosine scores); ``allowed_ids`` restricts the search (collections), and
        ``excluded_ids`` (chunks removed since this index was built) are never returned."""
        import faiss

        if len(self) == 0 or n <= 0 or (allowed_ids is not None and len(allowed_ids) == 0):
            return np.zeros(0, dtype="int64"), np.zeros(0, dtype="float32")
        selectors = _selectors(allowed_ids, excluded_ids)  # all kept alive until the search is done
        if self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, n))
        else:
            params = faiss.SearchParameters() if selectors else None
        if selectors:
            params.sel = selectors[-1]
        scores, ids = self.index.search(query.reshape(1, -1).astype("float32"), min(n, len(self)), params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def vector(self, chunk_id: int) -> np.ndarray:
        return self.index.reconstruct(chunk_id)

    def save(self, directory: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(directory / "dense.faiss"))
        (directory / "dense.kind").write_text(self.kind, encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "DenseIndex":
        import faiss

        index = faiss.read_index(str(directory / "dense.faiss"))
        return cls(index, (directory / "dense.kind").read_text(encoding="utf-8").strip())


def _selectors(allowed_ids: np.ndarray | None, excluded_ids: np.ndarray | None) -> list:
    """FAISS id selectors for a search, the one to use last (empty when every id may be returned)."""
    import faiss

    if excluded_ids is not None and len(excluded_ids):
        if allowed_ids is not None:
            allowed_ids = np.setdiff1d(allowed_ids, excluded_ids)
        else:
            removed = faiss.IDSelectorBatch(np.asarray(excluded_ids, dtype="int64"))
            return [removed, faiss.IDSelectorNot(removed)]
    if allowed_ids is not None:
        return [faiss.IDSelectorBatch(np.asarray(allowed_ids, dtype="int64"))]
    return []
