"""One inference worker that embeds concurrent questions together, a few at a time.

Under load, many worker threads each calling ``Embedder.encode`` for one question contend for the same few
cores and every call pays the model's per-call overhead alone. A batched forward pass already uses every
core, so one worker thread gathers what callers queued (waiting at most ``wait`` seconds for company), encodes
them in one call and hands each caller its own vector through a future. For answering questions only: ingest
has its texts together already and encodes them in its own batches.
"""
from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from typing import Callable, Sequence

import numpy as np

from knowledge.errors import KnowledgeError

Encode = Callable[[Sequence[str]], np.ndarray]

MAX_BATCH = 16  # small batches: long enough to share the overhead, short enough to keep the latency low
WAIT_SECONDS = 0.005  # how long a lone question waits for others before it is embedded alone


class EmbeddingBatcher:
    """``embed(text)`` from any thread; the texts waiting together are encoded in one call.

    The worker is a daemon thread started on first use, so a process that never asks never starts it, and
    one that exits without ``close()`` does not hang on it. ``close()`` finishes what is queued and stops."""

    def __init__(self, encode: Encode, *, max_batch: int = MAX_BATCH, wait: float = WAIT_SECONDS) -> None:
        self._encode = encode
        self._max_batch = max(1, max_batch)
        self._wait = max(0.0, wait)
        self._queue: queue.Queue[tuple[str, Future] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._closed = False

    def embed(self, text: str) -> np.ndarray:
        """The text's vector, exactly as ``encode([text])[0]`` would give it (up to float rounding)."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise KnowledgeError("the embedding worker is closed")
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="lorebot-embedder", daemon=True)
                self._worker.start()
            self._queue.put((text, future))
        return future.result()

    def close(self, timeout: float | None = 10.0) -> None:
        """Embed what is already queued, then stop the worker; later ``embed`` calls raise."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            worker = self._worker
            self._queue.put(None)
        if worker is not None:
            worker.join(timeout)

    def _run(self) -> None:
        while True:
            batch, stop = self._gather()
            if batch:
                self._encode_batch(batch)
            if stop:
                return

    def _gather(self) -> tuple[list[tuple[str, Future]], bool]:
        """The first waiting request, then whatever else arrives within ``wait`` (up to ``max_batch``)."""
        first = self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        deadline = time.monotonic() + self._wait
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _encode_batch(self, batch: list[tuple[str, Future]]) -> None:
        try:
            vectors = self._encode([text for text, _ in batch])
        except BaseException as exc:  # noqa: BLE001 - every caller must hear of the failure, not hang
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), vector in zip(batch, vectors):
            future.set_result(np.array(vector, dtype="float32"))
