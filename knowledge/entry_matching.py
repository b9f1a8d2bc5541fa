"""Is a new question the same question as a verified one? The decision that lets champions' answers be reused.

Measured on real employee questions, cosine similarity alone works backwards here: rewordings of one question
sit around 0.4-0.7, a look-alike question with a different answer ("...my grandma" for "...my dad") above 0.8,
and unrelated questions from the same handbook up to 0.6. Three signals decide together:

- ``cosine``: closeness in meaning of the question and the entry's wording (its question or a learned alias);
- ``contrast``: deliberate difference. When two wordings share most of their information and still differ in
  an informative word, that word is the point of the question (see ``knowledge.wording``);
- ``shared_documents``: the share of the three documents each wording retrieves first that both retrieve. Real
  rewordings usually find the same pages; unrelated questions that merely sound alike usually do not.

The weights come from a logistic regression on a development handbook's paraphrase pairs, near-miss pairs and
every pair of its unrelated questions (weighted as heavily as twice the near misses), rounded; the bias is set
so that at the default ``verified_threshold`` (0.70) fewer than 1 in 10 near misses and 1 in 200 unrelated
pairs are answered as verified. Rewordings that fall short are offered as suggestions, and the aliases learned
from them match outright. See README, "Retrieval and answer quality".
"""
from __future__ import annotations

import math
from typing import Callable, Collection

from knowledge.wording import Idf, missing, overlap

COSINE_WEIGHT = 6.5
CONTRAST_WEIGHT = 7.3
SHARED_DOCUMENTS_WEIGHT = 2.2
BIAS = -3.1
DOCUMENTS_COMPARED = 3


def match_confidence(cosine: float, contrast: float, shared_documents: float) -> float:
    x = COSINE_WEIGHT * cosine - CONTRAST_WEIGHT * contrast + SHARED_DOCUMENTS_WEIGHT * shared_documents + BIAS
    return 1.0 / (1.0 + math.exp(-x))


def wording_match(query_terms: frozenset[str], query_documents: Collection[str], cosine: float,
                  terms: frozenset[str], documents: Callable[[], Collection[str]], idf: Idf, *,
                  statement: bool = False, floor: float = 0.0) -> tuple[float, float]:
    """(match confidence, contrast) of a question with one known wording: a verified entry's question or
    alias, or a question someone gave feedback on. ``documents()`` names the documents the wording retrieves
    first; it is called (a search, unless cached) only when finding the very same documents could lift the
    match to ``floor``, and 0.0 is returned otherwise. A ``statement`` (a lesson) says more than any question it
    answers: only the question's words it lacks count against it."""
    contrast = (missing(query_terms, terms, idf) if statement else overlap(query_terms, terms, idf)).contrast
    if floor > 0 and match_confidence(cosine, contrast, 1.0) < floor:
        return 0.0, contrast
    shared = len(set(query_documents) & set(documents()))
    return match_confidence(cosine, contrast, shared / DOCUMENTS_COMPARED), contrast
