"""How two wordings differ, weighted by how much each word tells.

Sentence embeddings say two questions are "about the same thing" but not whether they ask the same thing:
"Can I bring my dog to the office?" and "...my cat..." sit closer than most real paraphrases. What separates
them is a word that carries information and is in one question but not the other. Words are weighed by their
inverse document frequency over the knowledge base, so "cat" counts for a lot and "please" for little.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from knowledge.keyword import tokenize

Idf = Callable[[Sequence[str]], np.ndarray]


# Words that frame a request rather than say what it is about ("am I *allowed* to...", "is it *ok* to...",
# "*please*..."): a question that adds or swaps one of them still asks the same thing.
FRAMING_WORDS = frozenset(tokenize(
    "allow allowed able possible permitted permission okay ok please thanks thank hi hey hello wondering wonder "
    "find know tell "
    "actually really just"
))


def terms_of(text: str) -> frozenset[str]:
    """The content terms of a text: the tokens keyword search uses (stemmed, no stopwords)."""
    return frozenset(tokenize(text))


def question_terms(text: str) -> frozenset[str]:
    """The terms that say what a question asks: its content terms less the words that only frame it."""
    return terms_of(text) - FRAMING_WORDS


@dataclass(frozen=True)
class Overlap:
    shared: float  # share of the two wordings' information that both hold (0..1, idf-weighted)
    differing: float  # share that only one of them holds (1 - shared)

    @property
    def contrast(self) -> float:
        """How strongly the wordings disagree on purpose: a difference weighs most when everything else is
        shared (the same sentence with one word swapped), and a difference of a tenth or less of the
        information (a "please", a typo) is no difference at all."""
        return self.shared if self.differing >= NEGLIGIBLE_DIFFERENCE else 0.0


NEGLIGIBLE_DIFFERENCE = 0.10


def overlap(first: frozenset[str], second: frozenset[str], idf: Idf) -> Overlap:
    union = sorted(first | second)
    if not union:
        return Overlap(shared=1.0, differing=0.0)
    weights = idf(union)
    total = float(weights.sum()) or 1.0
    shared = float(sum(w for term, w in zip(union, weights) if term in first and term in second)) / total
    return Overlap(shared=shared, differing=1.0 - shared)


def missing(query: frozenset[str], text: frozenset[str], idf: Idf) -> Overlap:
    """One-sided: how much of the query's information the text lacks (for a text that says more than the
    query, such as a statement of a lesson learned)."""
    share = covered(query, text, idf)
    return Overlap(shared=share, differing=1.0 - share)


def covered(question: frozenset[str], passage: frozenset[str], idf: Idf) -> float:
    """Share of the question's information (idf-weighted terms) that the passage contains."""
    if not question:
        return 1.0
    terms = sorted(question)
    weights = idf(terms)
    total = float(weights.sum()) or 1.0
    return float(sum(w for term, w in zip(terms, weights) if term in passage)) / total
