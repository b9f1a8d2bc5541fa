"""Exact (flat) against approximate (IVF) FAISS search by corpus size, on random unit vectors.

Prints one JSON line per size with p95 latency in ms for each index and the approximate one's recall@10 against
exact. Random vectors have no neighbours to speak of, so this is the worst case for recall; vectors shaped like
real ones are measured by ``bench_million.py``.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import percentile  # noqa: E402
from knowledge.dense import DenseIndex  # noqa: E402

DIM = 384


def measure(size: int, queries: int = 200) -> dict:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((size, DIM)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(size, dtype="int64")
    probes = vectors[rng.choice(size, queries, replace=False)] + 0.05 * rng.standard_normal((queries, DIM)).astype("float32")
    result = {"chunks": size}
    exact_top = []
    for approximate in (False, True):
        started = time.perf_counter()
        index = DenseIndex.build(ids, vectors, DIM, approximate=approximate)
        build = time.perf_counter() - started
        latencies, tops = [], []
        for probe in probes:
            t0 = time.perf_counter()
            found, _ = index.search(probe, 50)
            latencies.append((time.perf_counter() - t0) * 1000)
            tops.append(set(found[:10].tolist()))
        name = index.kind
        result[f"{name}_p95_ms"] = round(percentile(latencies, 0.95), 2)
        result[f"{name}_build_s"] = round(build, 1)
        if approximate:
            result[f"{name}_recall@10"] = round(np.mean([len(a & b) / 10 for a, b in zip(tops, exact_top)]), 3)
        else:
            exact_top = tops
    return result


if __name__ == "__main__":
    for size in map(int, sys.argv[1:] or ["10000", "100000", "300000"]):
        print(json.dumps(measure(size)), flush=True)
