"""How another running process picks up an ingest of one changed document: applying the delta vs a full rebuild.

`python benchmarks/bench_delta.py 100000` ingests a synthetic corpus (random vectors), opens a second knowledge
base on the same home (a running bot), changes one document through the first, and times the second's refresh
(the delta path: id-set comparison, reading the new rows, the small layered indexes), then a full rebuild of the
same index for comparison, and search latency with the delta in place. Prints one JSON line.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import percentile  # noqa: E402
from benchmarks.synthetic import RandomVectorEmbedder, synthetic_items  # noqa: E402
from knowledge import KnowledgeBase, TextItem  # noqa: E402

QUERIES = ["leave holiday carry over", "expense receipt approval", "laptop password security", "pension benefit"]


def _p95_ms(kb: KnowledgeBase, repeats: int = 25) -> float:
    latencies = []
    for _ in range(repeats):
        for query in QUERIES:
            started = time.perf_counter()
            kb.search(query, k=5)
            latencies.append((time.perf_counter() - started) * 1000)
    return round(percentile(latencies, 0.95), 1)


def run(size: int) -> dict:
    embedder = RandomVectorEmbedder()
    with tempfile.TemporaryDirectory() as home:
        writer = KnowledgeBase.open(home, embedder=embedder)
        items = synthetic_items(size)
        writer.ingest_texts(items)
        reader = KnowledgeBase.open(home, embedder=embedder)
        p95_before = _p95_ms(reader)
        changed = items[0]
        writer.ingest_texts([TextItem(changed.document, changed.title, changed.text + " Parking permits changed.",
                                      changed.collection)])
        started = time.perf_counter()
        reader._live.refresh(force=True)
        delta_s = time.perf_counter() - started
        counts = dict(reader._live.counts)
        p95_with_delta = _p95_ms(reader)
        started = time.perf_counter()
        reader.rebuild_index()
        rebuild_s = time.perf_counter() - started
        chunks = reader.stats()["chunks"]
        writer.close()
        reader.close()
    return {"chunks": chunks, "delta_apply_s": round(delta_s, 3), "full_rebuild_s": round(rebuild_s, 2),
            "search_p95_ms": p95_before, "search_p95_ms_with_delta": p95_with_delta,
            "reader_built": counts.get("built", 0), "reader_changes_applied": counts.get("changes applied", 0)}


if __name__ == "__main__":
    for size in sys.argv[1:] or ["10000"]:
        print(json.dumps(run(int(size))), flush=True)
