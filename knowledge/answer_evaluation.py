"""`lorebot eval --llm`: what the company's LLM does to the answers, measured beside the retrieval figures.

The same "decide before calling" rule as the bot: a query whose top hit does not clear the answer floor is
"unsure" and costs no call. Otherwise the top ``max_passages`` hits go to ``Llm.answer`` in rank order, and the
outcome decides what the answer-trust figures see:
- ``Grounded``: answered; its top source is the passage its first kept sentence cites first (not the top hit);
- ``NotFound``: "unsure", an abstention, as the bot routes it to the champions;
- ``UseExtract`` or ``LlmUnavailable``: the bot falls back to today's extract, so the top hit answers, as without
  ``--llm``; these count towards ``fallback_rate``.
A call the circuit breaker skips counts as a call that fell back, but its (zero) time is not a latency.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

from knowledge.evaluation import percentile
from knowledge.llm import Grounded, Llm, LlmUnavailable, NotFound, Passage, UseExtract
from knowledge.types import Hit

ABSTAINED = -1  # ``GeneratedAnswers.source``: the query counts as unsure


@dataclass
class GeneratedAnswers:
    """Asks ``llm`` for each query that clears the floor, and tallies what came back."""

    llm: Llm
    calls: int = 0
    not_found: int = 0
    fallbacks: int = 0
    sentences_written: int = 0
    sentences_kept: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def source(self, question: str, hits: Sequence[Hit]) -> int:
        """The index in ``hits`` of the answer's top source, or ``ABSTAINED``; ``hits`` cleared the floor."""
        shown = list(hits)[: self.llm.options.max_passages]
        skipped = self.llm.breaker.state.open
        self.calls += 1
        started = time.perf_counter()
        try:
            result = self.llm.answer(question, [Passage(hit.key, hit.text) for hit in shown])
        except LlmUnavailable:
            result = None
        if not (skipped and result is None):
            self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if isinstance(result, NotFound):
            self.not_found += 1
            return ABSTAINED
        if isinstance(result, Grounded):
            self.sentences_written += len(result.sentences) + result.dropped
            self.sentences_kept += len(result.sentences)
            return result.cited[0][0] - 1
        if isinstance(result, UseExtract):
            self.sentences_written += result.kept + len(result.reasons)
            self.sentences_kept += result.kept
        self.fallbacks += 1
        return 0

    def metrics(self) -> dict:
        return {
            "llm_calls": self.calls,
            "llm_not_found": self.not_found,
            "citation_kept_rate": _share(self.sentences_kept, self.sentences_written),
            "fallback_rate": _share(self.fallbacks, self.calls),
            "llm_p50_ms": round(percentile(self.latencies_ms, 0.50), 2),
            "llm_p95_ms": round(percentile(self.latencies_ms, 0.95), 2),
        }


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0

