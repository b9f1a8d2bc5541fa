"""Choosing the best keyword rows without sorting every matching row gives exactly what a full sort gives."""
from __future__ import annotations

import numpy as np

from knowledge.searching import best_rows


def _full_sort(scores: np.ndarray, n: int, mask: np.ndarray | None) -> np.ndarray:
    kept = np.where(mask, scores, 0) if mask is not None else scores
    positive = np.flatnonzero(kept > 0)
    return positive[np.argsort(-kept[positive], kind="stable")[:n]]


def test_same_rows_in_the_same_order_as_a_full_stable_sort_ties_included() -> None:
    rng = np.random.default_rng(5)
    for trial in range(50):
        size = int(rng.integers(1, 400))
        # few distinct values, so ties straddle the cut; zeros and negatives never count as matches
        scores = rng.choice(np.array([-1.0, 0.0, 0.5, 1.0, 1.5, 2.0], dtype="float32"), size=size)
        mask = rng.random(size) < 0.6 if trial % 2 else None
        for n in (1, 5, 50, 1000):
            assert best_rows(scores, n, mask).tolist() == _full_sort(scores, n, mask).tolist()
