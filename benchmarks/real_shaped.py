"""A corpus of any size whose vectors are shaped like real chunk embeddings, and real questions to search it.

Random unit vectors are a poor stand-in at scale: in 384 dimensions they are all nearly orthogonal, so no
vector has near neighbours, and an approximate index looks far worse (and exact search far more necessary)
than on real text. Here every synthetic row starts from the embedding of a real chunk of a real handbook
(embedded once with the bundled model, cached in a temporary file) and moves away from it by Gaussian noise,
then is renormalised. The noise is chosen from the corpus itself: a row sits about as far from its source
chunk as a typical real chunk sits from its nearest real neighbour (the median nearest-neighbour cosine), times
a per-row factor between 0.5 and 1.5 so some rows are near-duplicates and some only share a topic. Rows of one
source therefore form a plausible topic cluster, and clusters lie where real topics lie.

The texts are the source chunk's real text (so keyword and dense search agree on what a row is about, and
terms follow a real vocabulary's frequencies) plus a short sentence of synthetic words that makes each row
distinct. Queries are a real evaluation set's questions, embedded by the real model at search time.
"""
from __future__ import annotations

import hashlib
import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from benchmarks.synthetic import WORDS
from knowledge import Embedder
from knowledge.chunking import chunk_document
from knowledge.evaluation import read_corpus, read_queries

ROOT = Path(__file__).resolve().parents[1]
EVAL_SET = ROOT.parent / "shared" / "eval" / "sourcegraph-handbook"
if not EVAL_SET.exists():
    EVAL_SET = Path("/work/shared/eval/sourcegraph-handbook")
SAMPLE_HANDBOOK = ROOT / "examples" / "handbook"
FALLBACK_QUESTIONS = [
    "how many days of leave can I carry over", "meal limit when travelling", "lost laptop procedure",
    "pension matching percentage", "who approves expense claims", "vpn for internal tools",
    "learning budget for conferences", "parental leave pay", "report a phishing email", "probation length",
]
TAIL_WORDS = 12  # synthetic words appended to every row's text
CACHE = Path(tempfile.gettempdir()) / "lorebot-bench-cache"
_TAIL_VOCABULARY = WORDS + [f"term{n}" for n in range(5000)]


@dataclass(frozen=True)
class SourceChunk:
    title: str
    heading: str
    text: str
    embedding_text: str


def source_chunks() -> list[SourceChunk]:
    """The real chunks rows are made from: the evaluation handbook when present, else the sample handbook."""
    if (EVAL_SET / "corpus.jsonl").exists():
        documents = [(item.title, item.text) for item in read_corpus(EVAL_SET / "corpus.jsonl")]
    else:
        from knowledge.loaders import load

        documents = [(doc.title, doc.text) for doc in map(load, sorted(SAMPLE_HANDBOOK.rglob("*.md")))]
    return [SourceChunk(chunk.title, chunk.heading, chunk.text, chunk.embedding_text())
            for title, text in documents for chunk in chunk_document(text, title)]


def questions() -> list[str]:
    if (EVAL_SET / "queries.jsonl").exists():
        return [query.text for query in read_queries(EVAL_SET / "queries.jsonl")]
    return list(FALLBACK_QUESTIONS)


def embeddings(texts: list[str], embedder: Embedder) -> np.ndarray:
    """Embeddings of ``texts``, computed once per set of texts and kept in a temporary cache file."""
    key = hashlib.sha256(json.dumps(texts).encode("utf-8")).hexdigest()[:16]
    path = CACHE / f"{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = embedder.encode(texts)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def noise_scale(sources: np.ndarray) -> float:
    """Per-dimension noise that puts a row at the cosine of a typical real chunk to its nearest neighbour:
    for a unit vector plus noise of norm s, the cosine to the original is about 1 / sqrt(1 + s^2)."""
    similarities = sources @ sources.T
    np.fill_diagonal(similarities, -1.0)
    target = float(np.median(similarities.max(axis=1)))
    return float(np.sqrt((1.0 / target**2 - 1.0) / sources.shape[1]))


def rows(sources: np.ndarray, count: int, *, batch: int = 50_000, seed: int = 11
         ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(first row, source index per row, unit vectors) in batches; the same arguments give the same rows, so
    a later process can regenerate them instead of reading 1.5 GB back."""
    scale = noise_scale(sources)
    dim = sources.shape[1]
    for start in range(0, count, batch):
        size = min(batch, count - start)
        rng = np.random.default_rng([seed, start])
        origin = rng.integers(len(sources), size=size)
        spread = (scale * rng.uniform(0.5, 1.5, size=size)).astype("float32")[:, None]
        vectors = sources[origin] + spread * rng.standard_normal((size, dim), dtype="float32")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        yield start, origin, vectors


def tail(row: int) -> str:
    """A few synthetic words that make a row's text its own."""
    rng = random.Random(row)
    return " ".join(rng.choices(_TAIL_VOCABULARY, k=TAIL_WORDS)).capitalize() + "."
