"""Score fusion: each method divided by its best score, so a weak extra candidate cannot reorder the top."""
from __future__ import annotations

import numpy as np

from knowledge.ranking import fuse, normalise


def test_the_best_score_becomes_one_and_nothing_is_negative() -> None:
    assert np.allclose(normalise(np.array([0.6, 0.3, -0.2])), [1.0, 0.5, 0.0])
    assert not normalise(np.array([0.0, 0.0])).any()
    assert normalise(np.array([], dtype="float32")).size == 0


def test_a_weak_extra_candidate_does_not_change_the_order_of_the_others() -> None:
    dense = np.array([0.62, 0.60, 0.41])
    keyword = np.array([0.0, 3.0, 1.0])
    deeper = fuse(np.append(dense, 0.05), np.append(keyword, 0.0))
    assert list(np.argsort(-deeper)[:3]) == list(np.argsort(-fuse(dense, keyword)))
    assert np.allclose(deeper[:3], fuse(dense, keyword))


def test_single_modes_return_their_own_scores() -> None:
    dense, keyword = np.array([0.5, 0.7]), np.array([2.0, 0.0])
    assert np.array_equal(fuse(dense, keyword, "dense"), dense)
    assert np.array_equal(fuse(dense, keyword, "keyword"), keyword)
