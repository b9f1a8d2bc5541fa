"""Hybrid search at a million chunks, on vectors shaped like real ones (see ``benchmarks/real_shaped.py``).

`python benchmarks/bench_million.py [chunks]` (default 1,000,000) runs four phases, each in its own process so
each peak RSS belongs to one job:

1. write: documents and chunk rows straight into the database (embedding a million chunks with the model
   would take a day on two cores and says nothing about search);
2. build: ``KnowledgeBase.open`` finds no index and rebuilds both from the database, the product's own path;
3. serve: the real model embeds real questions (timed on its own, see ``PreEmbedded``) and
   ``KnowledgeBase.search`` answers them, timed, with and without a collection filter (add ``--profile`` to
   print where the time goes);
   ``--approximate`` builds the approximate index even below ``APPROXIMATE_ABOVE`` (development runs);
4. recall: the dense index's top 10 against exact search over the same vectors, regenerated batch by batch.

Prints one JSON line with everything. Takes 10-20 minutes at 1M on two cores.
"""
from __future__ import annotations

import cProfile
import json
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import real_shaped  # noqa: E402
from benchmarks.machine import peak_rss_mb, percentile  # noqa: E402
from benchmarks.synthetic import RandomVectorEmbedder  # noqa: E402
from knowledge import Embedder, KnowledgeBase, store  # noqa: E402
from knowledge import dense as dense_module  # noqa: E402
from knowledge.dense import DenseIndex  # noqa: E402
from knowledge.index_files import POINTER  # noqa: E402
from knowledge.store import KbChunk, KbDocument  # noqa: E402

CHUNKS_PER_DOCUMENT = 8
COLLECTIONS = 4
FILTER = "c1"
REPEATS = 3
TOP = 10
WRITE_BATCH = 20_000


def collection_of(row: int) -> str:
    return f"c{(row // CHUNKS_PER_DOCUMENT) % COLLECTIONS}"


def write(home: str, size: int) -> dict:
    started = time.perf_counter()
    chunks = real_shaped.source_chunks()
    sources = real_shaped.embeddings([chunk.embedding_text for chunk in chunks], Embedder())
    kb = KnowledgeBase.open(home, embedder=RandomVectorEmbedder())  # creates the tables; nothing to index yet
    kb.close()
    engine = store.make_engine(None, Path(home))
    for start, origin, vectors in real_shaped.rows(sources, size, batch=WRITE_BATCH):
        documents, rows = _batch_rows(chunks, start, origin, vectors)
        with engine.begin() as connection:
            if documents:
                connection.execute(sqlalchemy.insert(KbDocument), documents)
            connection.execute(sqlalchemy.insert(KbChunk), rows)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("UPDATE kb_state SET generation = generation + 1"))
    engine.dispose()
    return {"chunks": size, "source_chunks": len(chunks),
            "noise_per_dimension": round(real_shaped.noise_scale(sources), 4),
            "write_s": round(time.perf_counter() - started, 1)}


def _batch_rows(chunks: list[real_shaped.SourceChunk], start: int, origin: np.ndarray, vectors: np.ndarray
                ) -> tuple[list[dict], list[dict]]:
    """Document and chunk rows for one batch: ``CHUNKS_PER_DOCUMENT`` consecutive rows make a document."""
    documents, rows = [], []
    for offset, (source, vector) in enumerate(zip(origin, vectors)):
        row = start + offset
        chunk = chunks[int(source)]
        document = row // CHUNKS_PER_DOCUMENT + 1
        if row % CHUNKS_PER_DOCUMENT == 0:
            documents.append({"id": document, "path": f"synthetic/{document}.md", "root": "texts",
                              "collection": collection_of(row), "title": chunk.title, "content_hash": str(row)})
        rows.append({"id": row + 1, "document_id": document, "ordinal": row % CHUNKS_PER_DOCUMENT,
                     "collection": collection_of(row), "title": chunk.title, "heading": chunk.heading,
                     "text": f"{chunk.text} {real_shaped.tail(row)}", "embedding": store.to_blob(vector)})
    return documents, rows


def build(home: str, approximate: bool = False) -> dict:
    if approximate:  # a development run: the approximate index at a size that would still get the exact one
        dense_module.APPROXIMATE_ABOVE = 0
    started = time.perf_counter()
    kb = KnowledgeBase.open(home, embedder=RandomVectorEmbedder())
    kind = kb._index.dense.kind
    kb.close()
    return {"index": kind, "build_s": round(time.perf_counter() - started, 1),
            "build_peak_rss_mb": round(peak_rss_mb())}


class PreEmbedded(Embedder):
    """The real model, except that the benchmark's questions are embedded once before timing.

    On a shared two-core machine the model's forward pass swings from 10 ms to over a second with other
    processes' load, and says nothing about the index; it is timed apart (``embed_*``), and the search timed is
    everything ``KnowledgeBase.search`` does after it."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__()
        self.cached = True
        self.seconds: list[float] = []
        self.known: dict[str, np.ndarray] = {}
        for text in texts:
            t0 = time.perf_counter()
            self.known[text] = super().encode([text])[0]
            self.seconds.append(time.perf_counter() - t0)

    def encode(self, texts, *, progress: bool = False) -> np.ndarray:
        if self.cached and all(text in self.known for text in texts):
            return np.stack([self.known[text] for text in texts])
        return super().encode(texts, progress=progress)


def serve(home: str, profile: bool = False) -> dict:
    questions = [" ".join(q.split()) for q in real_shaped.questions()]
    embedder = PreEmbedded(["warm up the model"] + questions)
    started = time.perf_counter()
    kb = KnowledgeBase.open(home, embedder=embedder)
    load_s = time.perf_counter() - started
    kb.search("warm up the model", k=5)
    kb.search("warm up the model", k=5, collections=[FILTER])
    profiler = cProfile.Profile() if profile else None
    latencies, filtered = [], []
    for _ in range(REPEATS):
        for query in questions:
            if profiler:
                profiler.enable()
            t0 = time.perf_counter()
            kb.search(query, k=5)
            latencies.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            kb.search(query, k=5, collections=[FILTER])
            filtered.append((time.perf_counter() - t0) * 1000)
            if profiler:
                profiler.disable()
    embedder.cached = False  # one more pass as a user meets it: the model embeds each question
    whole = []
    for query in questions:
        t0 = time.perf_counter()
        kb.search(query, k=5)
        whole.append((time.perf_counter() - t0) * 1000)
    kb.close()
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(35)
    embedding = [s * 1000 for s in embedder.seconds[1:]]
    return {"load_s": round(load_s, 1), "queries": len(latencies),
            "p50_ms": round(percentile(latencies, 0.5), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
            "filtered_p50_ms": round(percentile(filtered, 0.5), 1),
            "filtered_p95_ms": round(percentile(filtered, 0.95), 1),
            "embed_p50_ms": round(percentile(embedding, 0.5), 1), "embed_p95_ms": round(percentile(embedding, 0.95), 1),
            "with_embedding_p50_ms": round(percentile(whole, 0.5), 1),
            "with_embedding_p95_ms": round(percentile(whole, 0.95), 1),
            "serve_peak_rss_mb": round(peak_rss_mb())}


def recall(home: str, size: int) -> dict:
    """Recall@10 of the dense index against exact search, unfiltered and filtered to one collection, plus the
    dense search's own latency at several probe counts (for IVF) so the default can be checked."""
    root = Path(home) / "index"
    dense = DenseIndex.load(root / (root / POINTER).read_text(encoding="utf-8").strip())
    chunks = real_shaped.source_chunks()
    sources = real_shaped.embeddings([chunk.embedding_text for chunk in chunks], Embedder())
    queries = real_shaped.embeddings(real_shaped.questions(), Embedder())
    exact, exact_filtered = _exact_top(sources, queries, size)
    allowed = np.array([row + 1 for row in range(size) if collection_of(row) == FILTER], dtype="int64")
    result = {"recall@10": _recall(dense, queries, exact, None, None),
              "filtered_recall@10": _recall(dense, queries, exact_filtered, allowed, None)}
    if dense.kind == "ivf":
        result["nlist"] = int(dense.index.nlist)
        result["nprobe"] = dense.probes()
        sweep = {}
        for probes in (8, 16, 32, 64, 128):
            latencies = []
            value = _recall(dense, queries, exact, None, probes, latencies)
            sweep[probes] = {"recall@10": value, "p95_ms": round(percentile(latencies, 0.95), 2)}
        result["nprobe_sweep"] = sweep
    return result


def _exact_top(sources: np.ndarray, queries: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``TOP`` ids per query over all rows, and over the filter's rows, without holding all rows."""
    best = [np.full((len(queries), 0), -np.inf, dtype="float32"), np.full((len(queries), 0), -np.inf, dtype="float32")]
    best_ids = [np.zeros((len(queries), 0), dtype="int64"), np.zeros((len(queries), 0), dtype="int64")]
    for start, _, vectors in real_shaped.rows(sources, size, batch=WRITE_BATCH):
        ids = np.arange(start + 1, start + 1 + len(vectors), dtype="int64")
        similarities = queries @ vectors.T
        in_filter = np.array([collection_of(row) == FILTER for row in range(start, start + len(vectors))])
        for which, keep in enumerate((slice(None), in_filter)):
            scores = np.concatenate([best[which], similarities[:, keep]], axis=1)
            kept = ids[keep]
            candidates = np.concatenate([best_ids[which], np.broadcast_to(kept, (len(queries), kept.size))], axis=1)
            order = np.argsort(-scores, axis=1, kind="stable")[:, :TOP]
            best[which] = np.take_along_axis(scores, order, axis=1)
            best_ids[which] = np.take_along_axis(candidates, order, axis=1)
    return best_ids[0], best_ids[1]


def _recall(dense: DenseIndex, queries: np.ndarray, exact: np.ndarray, allowed: np.ndarray | None,
            probes: int | None, latencies: list[float] | None = None) -> float:
    import faiss

    hits = 0
    for query, truth in zip(queries, exact):
        t0 = time.perf_counter()
        if probes is None:
            found, _ = dense.search(query, TOP, allowed)
        else:
            _, ids = dense.index.search(query.reshape(1, -1), TOP, params=faiss.SearchParametersIVF(nprobe=probes))
            found = ids[0]
        if latencies is not None:
            latencies.append((time.perf_counter() - t0) * 1000)
        hits += len(set(found.tolist()) & set(truth.tolist()))
    return round(hits / (TOP * len(queries)), 3)


def run(size: int, home: str | None = None, profile: bool = False, approximate: bool = False) -> dict:
    """All four phases, each in a fresh process."""
    with tempfile.TemporaryDirectory(dir=home) as folder:
        result: dict = {}
        phases = [["write", folder, str(size)], ["build", folder] + (["--approximate"] if approximate else []),
                  ["serve", folder] + (["--profile"] if profile else []), ["recall", folder, str(size)]]
        for phase in phases:
            out = subprocess.run([sys.executable, __file__, *phase], check=True, stdout=subprocess.PIPE, text=True)
            result.update(json.loads(out.stdout.strip().splitlines()[-1]))
    return result


if __name__ == "__main__":
    arguments = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    wants_profile = "--profile" in sys.argv
    phase = arguments[0] if arguments else str(1_000_000)
    if phase == "write":
        print(json.dumps(write(arguments[1], int(arguments[2]))))
    elif phase == "build":
        print(json.dumps(build(arguments[1], "--approximate" in sys.argv)))
    elif phase == "serve":
        print(json.dumps(serve(arguments[1], wants_profile)))
    elif phase == "recall":
        print(json.dumps(recall(arguments[1], int(arguments[2]))))
    else:
        print(json.dumps(run(int(phase), profile=wants_profile, approximate="--approximate" in sys.argv)))
