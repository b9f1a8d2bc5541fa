"""Question embedding under concurrency: eight worker threads (Slack's pool) each embedding questions one by one
with ``Embedder.encode``, against the same threads sharing ``EmbeddingBatcher``'s one inference worker.

`python benchmarks/bench_question_embedding.py [QUESTIONS]` prints one JSON line (seconds, per-question
p50/p95 in ms, for both ways).
"""
from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import percentile  # noqa: E402
from knowledge import Embedder  # noqa: E402
from knowledge.embedding_batcher import EmbeddingBatcher  # noqa: E402

WORKERS = 8


def measure(embed: Callable[[str], object], questions: list[str]) -> dict:
    latencies: list[float] = []

    def one(question: str) -> None:
        started = time.perf_counter()
        embed(question)
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(one, questions))
    return {"seconds": round(time.perf_counter() - started, 2),
            "p50_ms": round(percentile(latencies, 0.5) * 1000, 1), "p95_ms": round(percentile(latencies, 0.95) * 1000, 1)}


def main(count: int) -> None:
    embedder = Embedder()
    embedder.encode(["warm up"])
    questions = [f"How many days of annual leave do I get after {n} years?" for n in range(count)]
    direct = measure(lambda question: embedder.encode([question])[0], questions)
    batcher = EmbeddingBatcher(embedder.encode)
    try:
        batched = measure(batcher.embed, questions)
    finally:
        batcher.close()
    print(json.dumps({"questions": count, "threads": WORKERS, "direct": direct, "batched": batched}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
