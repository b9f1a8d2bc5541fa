"""A counting embedder: the real model, plus a tally of every call and what it was asked to embed, so tests
can prove what was embedded (not again for unchanged documents; once per question; in batches)."""
from __future__ import annotations

import threading

from knowledge import Embedder


class CountingEmbedder(Embedder):
    def __init__(self, shared: Embedder) -> None:
        super().__init__()
        self._model = shared.model  # reuse the session's loaded model
        self._lock = threading.Lock()
        self.calls: list[list[str]] = []  # the texts of each encode call, in order

    @property
    def texts_embedded(self) -> int:
        return sum(len(texts) for texts in self.calls)

    def times_embedded(self, text: str) -> int:
        return sum(texts.count(text) for texts in self.calls)

    def encode(self, texts, *, progress: bool = False):
        with self._lock:
            self.calls.append(list(texts))
        return super().encode(texts, progress=progress)
