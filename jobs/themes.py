"""Knowledge gaps grouped into themes: similar questions, clustered greedily in the order they were asked.

With the knowledge base's embedder, similarity is the cosine of sentence embeddings; without one, the cosine of
word counts. Greedy and ordered, so the same questions always give the same themes.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

Embed = Callable[[list[str]], Sequence[Sequence[float]]]

EMBEDDING_THRESHOLD = 0.5
WORD_THRESHOLD = 0.35
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    "a an and are as at be by can do does for from get how i if in is it me my of on or our should the to "
    "we what when where which who why will with you your there this that any have has am".split()
)


@dataclass
class Theme:
    example: str
    members: list[int] = field(default_factory=list)  # indexes into the input, in order asked
    centroid: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.members)


def embed_function(knowledge) -> Embed | None:
    """The embedder of a knowledge base (or an embedder itself) as "texts -> vectors", if there is one."""
    embedder = getattr(knowledge, "embedder", knowledge)
    for name in ("embed", "encode", "embed_texts"):
        method = getattr(embedder, name, None)
        if callable(method):
            return lambda texts, method=method: [list(map(float, vector)) for vector in method(texts)]
    return None


def group(texts: Sequence[str], embed: Embed | None = None, threshold: float | None = None) -> list[Theme]:
    """Themes sorted by size (largest first), ties by which was asked first."""
    if not texts:
        return []
    if embed is not None:
        vectors = [_unit(list(v)) for v in embed(list(texts))]
        limit = EMBEDDING_THRESHOLD if threshold is None else threshold
    else:
        vocabulary: dict[str, int] = {}
        bags = [Counter(_words(text)) for text in texts]
        for bag in bags:
            for word in bag:
                vocabulary.setdefault(word, len(vocabulary))
        vectors = []
        for bag in bags:
            vector = [0.0] * len(vocabulary)
            for word, count in bag.items():
                vector[vocabulary[word]] = float(count)
            vectors.append(_unit(vector))
        limit = WORD_THRESHOLD if threshold is None else threshold
    themes: list[Theme] = []
    for index, vector in enumerate(vectors):
        best, best_score = None, limit
        for theme in themes:
            score = _dot(theme.centroid, vector)
            if score >= best_score:
                best, best_score = theme, score
        if best is None:
            themes.append(Theme(example=texts[index], members=[index], centroid=vector))
        else:
            size = best.count
            best.members.append(index)
            best.centroid = _unit([(c * size + v) / (size + 1) for c, v in zip(best.centroid, vector)])
    order = {id(theme): n for n, theme in enumerate(themes)}
    return sorted(themes, key=lambda theme: (-theme.count, order[id(theme)]))


def label(texts: Sequence[str], others: Sequence[str] = (), size: int = 3) -> str | None:
    """A short name for a theme: the words its questions share (all of a lone question's words), the rarer
    among ``others`` the better, in the order first written. Deterministic, so a digest reads the same twice."""
    order: dict[str, int] = {}
    shared: Counter[str] = Counter()
    for text in texts:
        words = _words(text)
        for word in words:
            order.setdefault(word, len(order))
        shared.update(set(words))
    elsewhere = Counter(word for text in others for word in set(_words(text)))
    candidates = [word for word in shared if shared[word] >= 2] or list(shared)
    chosen = sorted(candidates, key=lambda word: (-shared[word], elsewhere[word], order[word]))[:size]
    words = sorted(chosen, key=order.__getitem__)
    return " ".join(words).capitalize() if words else None


def _words(text: str) -> list[str]:
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words]


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else vector


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b))
