"""Which topic a question belongs to, so it reaches the right champions.

Scores each topic by the meaning of its description and keywords (when an embedding function is available)
plus a bonus for keywords the question actually uses. The question's own vector is passed in when the caller
has it (the ask flow embeds a question once, for search, topic and verified-answer matching alike).
Deterministic: same question, same config, same topic; ties go to the topic listed first.
"""
from __future__ import annotations

import math
import re
from typing import Callable, Sequence

from bot.config import LorebotConfig

Embed = Callable[[list[str]], Sequence[Sequence[float]]]

KEYWORD_BONUS = 0.15
_WORD = re.compile(r"[a-z0-9]+")


class TopicPicker:
    def __init__(self, config: LorebotConfig, embed: Embed | None = None) -> None:
        self._topics = list(config.topics.items())
        self._embed = embed
        self._vectors: list[Sequence[float]] | None = None

    @classmethod
    def of(cls, config: LorebotConfig, knowledge: object) -> "TopicPicker":
        """A picker that embeds topics with the knowledge base's own model (keywords only when it has none)."""
        return cls(config, _embed_function(knowledge))

    def pick(self, question: str, vector: Sequence[float] | None = None) -> str | None:
        """The best topic's name, or None when there are no topics or nothing points to any of them.

        ``vector`` is the question's embedding, by the same model as ``embed``, when the caller has it."""
        if not self._topics:
            return None
        scores = self.scores(question, vector)
        best = max(range(len(scores)), key=lambda i: (scores[i], -i))
        if scores[best] <= 0:
            return None
        return self._topics[best][0]

    def scores(self, question: str, vector: Sequence[float] | None = None) -> list[float]:
        words = set(_WORD.findall(question.lower()))
        keyword = [KEYWORD_BONUS * min(3, _keyword_hits(words, name, topic.keywords))
                   for name, topic in self._topics]
        semantic = self._semantic(question, vector)
        if semantic is None:
            description = [0.01 * len(words & set(_WORD.findall(topic.description.lower())))
                           for _, topic in self._topics]
            return [k + d for k, d in zip(keyword, description)]
        return [k + s for k, s in zip(keyword, semantic)]

    def _semantic(self, question: str, vector: Sequence[float] | None) -> list[float] | None:
        if self._embed is None:
            return None
        if self._vectors is None:
            texts = [f"{name}: {topic.description}. {', '.join(topic.keywords)}" for name, topic in self._topics]
            self._vectors = [list(v) for v in self._embed(texts)]
        query = list(self._embed([question])[0] if vector is None else vector)
        return [_cosine(query, vector) for vector in self._vectors]


def _keyword_hits(words: set[str], name: str, keywords: list[str]) -> int:
    hits = 0
    for keyword in [name, *keywords]:
        parts = _WORD.findall(keyword.lower())
        if parts and all(any(_same_word(part, word) for word in words) for part in parts):
            hits += 1
    return hits


def _same_word(keyword: str, word: str) -> bool:
    """Exact, or a plural/verb form of it ("expense" ~ "expenses", "reimburse" ~ "reimbursed")."""
    if keyword == word:
        return True
    return len(keyword) >= 4 and word.startswith(keyword) and len(word) - len(keyword) <= 3


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _embed_function(knowledge):
    """The knowledge base's embedder as a plain "texts -> vectors" function, when it has one."""
    embedder = getattr(knowledge, "embedder", None)
    for name in ("embed", "encode", "embed_texts"):
        method = getattr(embedder, name, None)
        if callable(method):
            return lambda texts: [list(map(float, vector)) for vector in method(texts)]
    return None
