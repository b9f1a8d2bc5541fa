"""The inference worker: concurrent questions embedded together, each caller handed its own vector."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from knowledge.embedding_batcher import EmbeddingBatcher
from knowledge.errors import KnowledgeError

QUESTIONS = [
    "How many days of annual leave do I get?",
    "Can I carry over unused holiday?",
    "Where do I submit my receipts?",
    "What is the meal allowance in Lisbon?",
    "I lost my laptop, who do I tell?",
    "Which password manager do we use?",
    "How long is parental leave?",
    "Who approves my expense claims?",
]


def embed_together(batcher: EmbeddingBatcher, texts: list[str]) -> list[np.ndarray]:
    """Every text embedded from its own thread, all released at once."""
    results: list[np.ndarray | None] = [None] * len(texts)
    barrier = threading.Barrier(len(texts))

    def ask(i: int) -> None:
        barrier.wait()
        results[i] = batcher.embed(texts[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_callers_get_their_own_vectors_from_few_encode_calls(counting_embedder) -> None:
    batcher = EmbeddingBatcher(counting_embedder.encode, max_batch=16, wait=0.2)
    try:
        vectors = embed_together(batcher, QUESTIONS)
    finally:
        batcher.close()
    batches = counting_embedder.calls
    assert sorted(text for batch in batches for text in batch) == sorted(QUESTIONS)
    assert len(batches) < len(QUESTIONS) and max(map(len, batches)) > 1, batches
    direct = counting_embedder.encode(QUESTIONS)
    for question, vector, expected in zip(QUESTIONS, vectors, direct):
        assert np.allclose(vector, expected, atol=1e-5), question


def test_batches_are_capped(counting_embedder) -> None:
    batcher = EmbeddingBatcher(counting_embedder.encode, max_batch=3, wait=0.2)
    try:
        embed_together(batcher, QUESTIONS)
    finally:
        batcher.close()
    assert max(map(len, counting_embedder.calls)) <= 3
    assert sum(map(len, counting_embedder.calls)) == len(QUESTIONS)


def test_a_failed_batch_reaches_every_caller_and_the_worker_goes_on() -> None:
    def encode(texts):
        if "bad" in texts:
            raise ValueError("model failed")
        return np.ones((len(texts), 4), dtype="float32")

    batcher = EmbeddingBatcher(encode, wait=0.0)
    try:
        with pytest.raises(ValueError):
            batcher.embed("bad")
        assert batcher.embed("good").tolist() == [1.0, 1.0, 1.0, 1.0]
    finally:
        batcher.close()


def test_close_stops_the_worker_and_later_calls_are_refused() -> None:
    batcher = EmbeddingBatcher(lambda texts: np.zeros((len(texts), 2), dtype="float32"))
    batcher.embed("warm up")
    worker = batcher._worker  # noqa: SLF001 - the thread itself is what must stop
    batcher.close()
    assert worker is not None and not worker.is_alive()
    with pytest.raises(KnowledgeError):
        batcher.embed("too late")
    batcher.close()  # twice is harmless


def test_a_batcher_never_used_starts_no_thread() -> None:
    before = threading.active_count()
    EmbeddingBatcher(lambda texts: np.zeros((len(texts), 2))).close()
    assert threading.active_count() == before
