"""The FAISS vector index over chunk embeddings, with FAISS ids equal to chunk ids.

Exact inner-product search (the vectors are normalised, so this is cosine) up to ``APPROXIMATE_ABOVE``
chunks; an inverted-file index (IVF) beyond, where exact search stops meeting the latency target. IVF rather
than HNSW because, measured on vectors shaped like real chunk embeddings (BENCHMARKS.md, "Search at 1M
chunks"), it reaches recall@10 >= 0.95 against exact search in a few milliseconds, and it supports
``remove_ids`` (HNSW in FAISS does not), so a corpus can change without a rebuild.
The IVF index keeps the chunk ids itself (no ``IndexIDMap`` around it) with a hash-table direct map, so
``add_with_ids``, ``remove_ids`` and ``reconstruct(chunk_id)`` work on ``DenseIndex.index`` as on the flat one.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

# Above 100k chunks exact search alone takes 12 ms (p95) and grows linearly (41 ms at 300k), which leaves the
# rest of a hybrid search no room in 50 ms; IVF keeps recall@10 at 0.98 from 100k (BENCHMARKS.md).
APPROXIMATE_ABOVE = 100_000
LISTS_PER_ROOT = 4  # inverted lists = 4 * sqrt(chunks): ~4,000 lists of ~250 vectors at 1M
TRAINING_PER_LIST = 40  # k-means sample: FAISS warns below 39 points per centroid
TRAINING_ITERATIONS = 10  # k-means passes (FAISS default 25): 10 already gave recall@10 0.996 at 1M
PROBES = 32  # lists searched per query: 16 reached recall@10 0.98 at 1M, twice that for less tidy corpora
HNSW_EF_SEARCH = 128  # only for indexes saved as HNSW by an earlier version


class DenseIndex:
    def __init__(self, index, kind: str) -> None:
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dim: int, *, approximate: bool | None = None) -> "DenseIndex":
        import faiss

        if approximate is None:
            approximate = len(ids) > APPROXIMATE_ABOVE
        vectors = np.ascontiguousarray(vectors, dtype="float32")
        ids = np.asarray(ids, dtype="int64")
        if approximate and len(ids):
            return cls(_trained_ivf(faiss, vectors, dim), "ivf")._filled(ids, vectors)
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), "flat")._filled(ids, vectors)

    def _filled(self, ids: np.ndarray, vectors: np.ndarray) -> "DenseIndex":
        if len(ids):
            self.index.add_with_ids(vectors, ids)
        return self

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, n: int, allowed_ids: np.ndarray | None = None,
               excluded_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``n`` (chunk ids, cosine scores); ``allowed_ids`` restricts the search (collections), and
        ``excluded_ids`` (chunks removed since this index was built) are never returned."""
        empty = np.zeros(0, dtype="int64"), np.zeros(0, dtype="float32")
        if len(self) == 0 or n <= 0 or (allowed_ids is not None and len(allowed_ids) == 0):
            return empty
        if allowed_ids is not None and excluded_ids is not None and len(excluded_ids):
            allowed_ids, excluded_ids = np.setdiff1d(allowed_ids, excluded_ids), None
            if len(allowed_ids) == 0:
                return empty
        alive: list = []  # selectors and bitmaps FAISS reads during the search
        params = self._parameters(n, allowed_ids, excluded_ids, alive)
        scores, ids = self.index.search(query.reshape(1, -1).astype("float32"), min(n, len(self)), params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def vector(self, chunk_id: int) -> np.ndarray:
        return self.index.reconstruct(chunk_id)

    def _parameters(self, n: int, allowed_ids: np.ndarray | None, excluded_ids: np.ndarray | None, alive: list):
        import faiss

        selector = None
        if allowed_ids is not None:
            bitmap = _bitmap(allowed_ids)
            # IDSelectorBitmap takes the bitmap's length in bytes
            selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
            alive.append(bitmap)
        elif excluded_ids is not None and len(excluded_ids):
            removed = faiss.IDSelectorBatch(np.asarray(excluded_ids, dtype="int64"))
            selector = faiss.IDSelectorNot(removed)
            alive.append(removed)
        alive.append(selector)
        if self.kind == "ivf":
            return faiss.SearchParametersIVF(sel=selector, nprobe=self.probes(allowed_ids))
        if self.kind == "hnsw":
            return faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, n))
        return faiss.SearchParameters(sel=selector) if selector is not None else None

    def probes(self, allowed_ids: np.ndarray | None = None) -> int:
        """Lists to search: ``PROBES``, widened in proportion when a collection filter keeps only a share of
        the chunks, so about as many allowed vectors are compared as in an unfiltered search (a small
        collection ends up scanning every list, where the filter check per vector is cheap)."""
        lists = int(self.index.nlist)
        if allowed_ids is None or len(allowed_ids) >= len(self):
            return min(lists, PROBES)
        return min(lists, math.ceil(PROBES * len(self) / max(1, len(allowed_ids))))

    def save(self, directory: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(directory / "dense.faiss"))
        (directory / "dense.kind").write_text(self.kind, encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "DenseIndex":
        import faiss

        index = faiss.read_index(str(directory / "dense.faiss"))
        return cls(index, (directory / "dense.kind").read_text(encoding="utf-8").strip())


def _bitmap(allowed_ids: np.ndarray) -> np.ndarray:
    """One bit per chunk id, set for the allowed ones: FAISS's ``IDSelectorBitmap``. Building it for a quarter
    of 1M ids takes about a millisecond, where ``IDSelectorBatch`` (a hash set) took tens, every query."""
    ids = np.asarray(allowed_ids, dtype="int64")
    allowed = np.zeros(int(ids.max()) + 1, dtype=bool)
    allowed[ids] = True
    return np.packbits(allowed, bitorder="little")


def inverted_lists_for(count: int) -> int:
    return max(1, int(LISTS_PER_ROOT * math.sqrt(count)))


def _trained_ivf(faiss, vectors: np.ndarray, dim: int):
    """An empty IVF index (16-bit vectors) whose lists are k-means centroids of a sample of ``vectors``."""
    lists = min(inverted_lists_for(len(vectors)), len(vectors))
    quantizer = faiss.IndexFlatIP(dim)
    # Vectors kept as 16-bit floats: half the memory of 32-bit (800 MB rather than 1.5 GB at 1M chunks, which is
    # what keeps a 1M-chunk server well under 3 GB), cosines within 1e-3, below the gaps that order hits.
    index = faiss.IndexIVFScalarQuantizer(quantizer, dim, lists, faiss.ScalarQuantizer.QT_fp16,
                                          faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = TRAINING_ITERATIONS
    index.cp.seed = 1234
    sample_size = min(len(vectors), lists * TRAINING_PER_LIST)
    sample = vectors[np.sort(np.random.default_rng(0).choice(len(vectors), sample_size, replace=False))]
    index.train(sample)
    index.set_direct_map_type(faiss.DirectMap.Hashtable)
    index.nprobe = min(lists, PROBES)
    return index
