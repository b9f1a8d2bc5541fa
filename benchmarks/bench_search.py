"""Query latency (p50/p95, model loaded) and peak memory at a given corpus size, hybrid search.

`python benchmarks/bench_search.py 100000` builds the corpus in one process and searches it in another.
Prints one JSON line.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import peak_rss_mb, percentile  # noqa: E402
from benchmarks.synthetic import RandomVectorEmbedder, synthetic_items  # noqa: E402
from knowledge import Embedder, KnowledgeBase  # noqa: E402

QUERIES = [
    "how many days of leave can I carry over", "meal limit when travelling to Lisbon", "lost laptop procedure",
    "pension matching percentage", "who approves expense claims", "vpn for internal tools",
    "learning budget for conferences", "parental leave pay", "report a phishing email", "probation length",
]


def build(home: str, size: int) -> dict:
    started = time.perf_counter()
    kb = KnowledgeBase.open(home, embedder=RandomVectorEmbedder())
    kb.ingest_texts(synthetic_items(size))
    chunks = kb.stats()["chunks"]
    kb.close()
    return {"chunks": chunks, "build_s": round(time.perf_counter() - started, 1), "build_peak_rss_mb": round(peak_rss_mb())}


def serve(home: str, repeats: int = 20) -> dict:
    kb = KnowledgeBase.open(home, embedder=Embedder())
    kb.search("warm up the model", k=5)
    latencies, filtered = [], []
    for _ in range(repeats):
        for query in QUERIES:
            t0 = time.perf_counter()
            kb.search(query, k=5)
            latencies.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            kb.search(query, k=5, collections=["c1"])
            filtered.append((time.perf_counter() - t0) * 1000)
    kind = kb._index.dense.kind
    kb.close()
    return {
        "index": kind,
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "filtered_p95_ms": round(percentile(filtered, 0.95), 1),
        "serve_peak_rss_mb": round(peak_rss_mb()),
    }


def run(size: int) -> dict:
    """Build and serve in separate processes, so each peak RSS belongs to its own phase."""
    with tempfile.TemporaryDirectory() as home:
        result = {}
        for phase in (["build", home, str(size)], ["serve", home]):
            out = subprocess.run([sys.executable, __file__, *phase], check=True, capture_output=True, text=True)
            result.update(json.loads(out.stdout.strip().splitlines()[-1]))
    return result


if __name__ == "__main__":
    if sys.argv[1] == "build":
        print(json.dumps(build(sys.argv[2], int(sys.argv[3]))))
    elif sys.argv[1] == "serve":
        print(json.dumps(serve(sys.argv[2])))
    else:
        print(json.dumps(run(int(sys.argv[1]))))
