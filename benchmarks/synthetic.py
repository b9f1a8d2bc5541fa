"""Synthetic corpora for size benchmarks: realistic-looking text, and vectors that cost nothing to make.

Embedding 100k chunks with the real model would take an hour on two cores and says nothing about search
speed, so size benchmarks store random unit vectors for the corpus and use the real model for the queries.
"""
from __future__ import annotations

import hashlib
import random

import numpy as np

from knowledge import Embedder, TextItem

WORDS = (
    "leave holiday expense receipt laptop password policy manager approval travel hotel meal claim pension "
    "benefit security phishing device encryption onboarding buddy training review goal promotion salary office "
    "remote allowance insurance dental wellbeing budget learning course conference account access software vpn "
    "wifi printer report incident data customer contract notice probation sickness parental bereavement jury"
).split()


def synthetic_items(count: int, *, words_per_doc: int = 160, seed: int = 7, collections: int = 4) -> list[TextItem]:
    rng = random.Random(seed)
    vocabulary = WORDS + [f"term{n}" for n in range(5000)]
    items = []
    for n in range(count):
        sentences = []
        remaining = words_per_doc
        while remaining > 0:
            length = min(remaining, rng.randint(8, 20))
            sentences.append(" ".join(rng.choice(vocabulary) for _ in range(length)).capitalize() + ".")
            remaining -= length
        items.append(TextItem(document=f"synthetic/{n}.md", title=f"Policy {n}", text=" ".join(sentences),
                              collection=f"c{n % collections}"))
    return items


class RandomVectorEmbedder(Embedder):
    """Deterministic pseudo-random unit vectors per text, for corpora too large to embed for a benchmark."""

    def encode(self, texts, *, progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype="float32")
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
            vector = np.random.default_rng(seed).standard_normal(self.dim).astype("float32")
            out[row] = vector / np.linalg.norm(vector)
        return out
