"""The approximate vector index used for large corpora finds what exact search finds, honours collection
filters, survives a save and load, and can change in place (added and removed ids)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.dense import DenseIndex

DIM = 32
TOPICS = 40
ROWS = 4000


def _unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype("float32")


@pytest.fixture(scope="module")
def clustered() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows around a few topic centres, as real chunk embeddings cluster by topic; ids are sparse like chunk ids
    after deletions. Queries are rows moved slightly."""
    rng = np.random.default_rng(3)
    centres = _unit(rng.standard_normal((TOPICS, DIM)))
    vectors = _unit(centres[rng.integers(TOPICS, size=ROWS)] + 0.15 * rng.standard_normal((ROWS, DIM)))
    ids = np.arange(ROWS, dtype="int64") * 3 + 7
    queries = _unit(vectors[rng.choice(ROWS, 30, replace=False)] + 0.05 * rng.standard_normal((30, DIM)))
    return ids, vectors, queries


@pytest.fixture(scope="module")
def exact_and_approximate(clustered) -> tuple[DenseIndex, DenseIndex]:
    ids, vectors, _ = clustered
    return (DenseIndex.build(ids, vectors, DIM, approximate=False),
            DenseIndex.build(ids, vectors, DIM, approximate=True))


def test_approximate_index_returns_the_exact_top_results(clustered, exact_and_approximate) -> None:
    _, _, queries = clustered
    exact, approximate = exact_and_approximate
    assert (exact.kind, approximate.kind) == ("flat", "ivf")
    for query in queries:
        exact_ids, exact_scores = exact.search(query, 5)
        found_ids, found_scores = approximate.search(query, 5)
        assert found_ids.tolist() == exact_ids.tolist()
        assert np.allclose(found_scores, exact_scores, atol=1e-3)  # vectors kept as 16-bit floats


def test_collection_filter_keeps_only_allowed_ids_and_finds_their_best(clustered, exact_and_approximate) -> None:
    ids, _, queries = clustered
    exact, approximate = exact_and_approximate
    for allowed in (ids[::4], ids[:12]):  # a quarter of the corpus, and a tiny collection
        for query in queries[:10]:
            found, _ = approximate.search(query, 5, allowed)
            assert set(found.tolist()) <= set(allowed.tolist())
            assert found.tolist() == exact.search(query, 5, allowed)[0].tolist()


def test_save_and_load_give_the_same_answers(tmp_path: Path, clustered, exact_and_approximate) -> None:
    _, _, queries = clustered
    _, approximate = exact_and_approximate
    approximate.save(tmp_path)
    loaded = DenseIndex.load(tmp_path)
    assert (loaded.kind, len(loaded)) == ("ivf", len(approximate))
    for query in queries[:10]:
        assert loaded.search(query, 5)[0].tolist() == approximate.search(query, 5)[0].tolist()


def test_ids_can_be_added_removed_and_read_back(clustered) -> None:
    ids, vectors, _ = clustered
    index = DenseIndex.build(ids, vectors, DIM, approximate=True)
    assert np.allclose(index.index.reconstruct(int(ids[10])), vectors[10], atol=1e-3)
    index.index.remove_ids(np.array([ids[10]], dtype="int64"))
    assert int(ids[10]) not in index.search(vectors[10], 5)[0].tolist()
    index.index.add_with_ids(vectors[10:11], np.array([10**6], dtype="int64"))
    assert index.search(vectors[10], 1)[0].tolist() == [10**6]
    assert len(index) == ROWS
