"""`lorebot eval`: retrieval quality on a BEIR-style corpus and query set.

The corpus is ingested into a temporary home exactly like real documents (same chunking, same indexes), so
the numbers describe the shipped search, not a separate code path. A hit counts for the corpus id its chunk
came from; several chunks of one corpus document count once, at the best rank.
"""
from __future__ import annotations

import json
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from knowledge.embed import Embedder
from knowledge.errors import EvaluationInputError
from knowledge.kb import KnowledgeBase, TextItem

if TYPE_CHECKING:
    from knowledge.answer_evaluation import GeneratedAnswers

DEPTH = 10
CORPUS_PREFIX = "corpus:"


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    relevant: frozenset[str]
    collection: str | None


def read_jsonl(path: Path, required: dict[str, type]) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvaluationInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise EvaluationInputError(f"{path}:{number}: expected a JSON object")
            for key, kind in required.items():
                if not isinstance(row.get(key), kind):
                    raise EvaluationInputError(f"{path}:{number}: missing or invalid \"{key}\"")
            rows.append(row)
    if not rows:
        raise EvaluationInputError(f"{path}: no lines")
    return rows


def read_corpus(path: Path) -> list[TextItem]:
    items = []
    for row in read_jsonl(path, {"id": (str, int), "text": str}):
        title = row.get("title") if isinstance(row.get("title"), str) else ""
        items.append(TextItem(document=f"{CORPUS_PREFIX}{row['id']}", title=title or str(row["id"]),
                              text=row["text"], collection=str(row.get("collection") or "corpus")))
    return items


def read_queries(path: Path) -> list[Query]:
    queries = []
    for row in read_jsonl(path, {"id": (str, int), "text": str, "relevant": list}):
        queries.append(Query(str(row["id"]), row["text"], frozenset(map(str, row["relevant"])),
                             str(row["collection"]) if row.get("collection") else None))
    return queries


def evaluate(corpus_path: Path, queries_path: Path, *, mode: str = "hybrid", embedder: Embedder | None = None,
             answer_threshold: float = 0.48, workdir: Path | None = None, progress: bool = False,
             also: Callable[[KnowledgeBase], dict] | None = None, generated: GeneratedAnswers | None = None) -> dict:
    """Retrieval metrics of the corpus and queries; ``also`` adds metrics measured on the same knowledge base
    (the command line measures the bot's reuse of verified answers with it); ``generated`` (``--llm``) has the
    LLM write the answers the answer-trust figures judge, and adds its own figures."""
    corpus = read_corpus(Path(corpus_path))
    queries = read_queries(Path(queries_path))
    embedder = embedder or Embedder()
    with tempfile.TemporaryDirectory(dir=workdir) as home:
        kb = KnowledgeBase.open(home, embedder=embedder)
        try:
            kb.ingest_texts(corpus, progress=progress)
            metrics = run_queries(kb, queries, mode=mode, answer_threshold=answer_threshold, generated=generated)
            if also is not None:
                metrics.update(also(kb))
            return metrics
        finally:
            kb.close()


def run_queries(kb: KnowledgeBase, queries: list[Query], *, mode: str, answer_threshold: float,
                generated: GeneratedAnswers | None = None) -> dict:
    totals = {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    latencies: list[float] = []
    answerable = [q for q in queries if q.relevant]
    answered_right = answered = answered_answerable = 0
    for query in queries:
        started = time.perf_counter()
        hits = kb.search(query.text, k=DEPTH * 3, collections=[query.collection] if query.collection else None,
                         mode=mode)
        latencies.append((time.perf_counter() - started) * 1000)
        ranked = _corpus_ids(hits)[:DEPTH]
        is_answered = bool(hits) and hits[0].confidence >= answer_threshold
        top = ranked[0] if ranked else None
        if is_answered and generated is not None:
            source = generated.source(query.text, hits)
            is_answered = source >= 0
            if source > 0:
                top = next(iter(_corpus_ids(hits[source:source + 1])), None)
        if is_answered:
            answered += 1
            if top is not None and top in query.relevant:
                answered_right += 1
            if query.relevant:
                answered_answerable += 1
        if query.relevant:
            for name, value in score_ranking(ranked, query.relevant).items():
                totals[name] += value
    count = max(1, len(answerable))
    metrics = {name: round(value / count, 4) for name, value in totals.items()}
    metrics["latency_ms_p50"] = round(percentile(latencies, 0.50), 2)
    metrics["latency_ms_p95"] = round(percentile(latencies, 0.95), 2)
    if len(answerable) < len(queries):
        metrics["answer_precision"] = round(answered_right / answered, 4) if answered else 0.0
        metrics["answer_coverage"] = round(answered_answerable / count, 4) if answerable else 0.0
    if generated is not None:
        metrics.update(generated.metrics())
    return metrics


def score_ranking(ranked: list[str], relevant: frozenset[str]) -> dict[str, float]:
    """recall@1/5/10, reciprocal rank and nDCG@10 (binary gains) of one ranked list of distinct ids."""
    found = [doc in relevant for doc in ranked[:DEPTH]]
    first = next((rank for rank, hit in enumerate(found, start=1) if hit), None)
    dcg = sum(1 / math.log2(rank + 1) for rank, hit in enumerate(found, start=1) if hit)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(relevant), DEPTH) + 1))
    return {
        "recall@1": sum(found[:1]) / len(relevant),
        "recall@5": sum(found[:5]) / len(relevant),
        "recall@10": sum(found[:10]) / len(relevant),
        "mrr@10": 1 / first if first else 0.0,
        "ndcg@10": dcg / ideal if ideal else 0.0,
    }


def _corpus_ids(hits) -> list[str]:
    seen: list[str] = []
    for hit in hits:
        if hit.document.startswith(CORPUS_PREFIX):
            doc = hit.document[len(CORPUS_PREFIX):]
            if doc not in seen:
                seen.append(doc)
    return seen


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0.0 for no values)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def format_report(metrics: dict, mode: str = "hybrid") -> str:
    lines = [f"Retrieval ({mode})"]
    for key, value in metrics.items():
        lines.append(f"  {key:<27}{value}")
    return "\n".join(lines)
