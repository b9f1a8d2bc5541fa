"""Hybrid ranking: dense and BM25 candidates fused by a convex combination of scores each divided by its
maximum. (How sure a passage is to answer is decided apart, in ``knowledge.confidence``.)

Why not reciprocal-rank fusion: it throws the score gaps away, so a keyword-only near-miss can push out a
clearly better semantic match (on the handbook set RRF has a lower mrr@10 than dense alone at every weight).
Why divide by the maximum rather than min-max: min-max stretches the gap between the best candidate and the
worst one in the pool, so the fused order depends on how deep the pool happens to go and a tiny cosine gap
can become a large one. Dividing by the top score keeps each method's own ratios, makes the ranking
independent of the candidate depth, and measured at least as well on both development sets.
"""
from __future__ import annotations

import numpy as np

# Keyword gets the rest. Measured 2026-11-26 with bm25s + Snowball: on policyqa-dev hybrid is flat from 0.6 to
# 0.7 and loses recall above 0.75; on the handbook mrr@10 needs 0.7 or more to beat dense alone.
DENSE_WEIGHT = 0.7
CANDIDATES = 50  # per method; with max-normalisation the top of the ranking does not change from 10 to 1000

def normalise(values: np.ndarray) -> np.ndarray:
    """Scores divided by the best one, so the best candidate of each method gets 1; a score at or below zero is
    no evidence at all and gets 0 (a negative cosine must not be magnified by a small positive maximum)."""
    positive = np.maximum(values, 0)
    high = float(positive.max()) if positive.size else 0.0
    return positive / high if high > 0 else np.zeros_like(positive)


def fuse(dense: np.ndarray, keyword: np.ndarray, mode: str = "hybrid") -> np.ndarray:
    """Fused score per candidate from its cosine and its BM25 score; one weight says how far each is trusted."""
    if mode == "dense":
        return dense.copy()
    if mode == "keyword":
        return keyword.copy()
    return DENSE_WEIGHT * normalise(dense) + (1 - DENSE_WEIGHT) * normalise(keyword)
