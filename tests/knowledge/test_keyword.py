"""The BM25 keyword index on its own: exact terms, stemming, unknown and empty queries, and a disk round trip."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.keyword import KeywordIndex, tokenize

TEXTS = [
    "Your P60 arrives in April and shows the tax you paid.",
    "The travel policy covers trains and hotels.",
    "Expense policies: submit receipts within 30 days.",
    "The and of to",  # only stopwords: a row without a single term
]


@pytest.fixture
def index() -> KeywordIndex:
    return KeywordIndex.build(TEXTS)


def test_one_score_per_row_in_build_order(index: KeywordIndex) -> None:
    scores = index.scores("receipts")
    assert scores.shape == (len(TEXTS),) and len(index) == len(TEXTS)
    assert int(np.argmax(scores)) == 2 and np.count_nonzero(scores) == 1


def test_an_exact_code_matches_only_its_row(index: KeywordIndex) -> None:
    scores = index.scores("Where is my P60?")
    assert scores[0] > 0 and not scores[1:].any()


def test_plural_and_singular_meet_through_the_stemmer(index: KeywordIndex) -> None:
    assert tokenize("policies") == tokenize("policy")
    scores = index.scores("policy")
    assert scores[1] > 0 and scores[2] > 0 and scores[0] == 0


def test_unknown_terms_and_empty_queries_score_zero(index: KeywordIndex) -> None:
    for query in ("", "   ", "the of and", "zyxwv qwerty"):
        scores = index.scores(query)
        assert scores.shape == (len(TEXTS),) and not scores.any()


def test_a_repeated_word_counts_once(index: KeywordIndex) -> None:
    assert np.array_equal(index.scores("hotels hotels hotels"), index.scores("hotels"))


def test_save_and_load_give_the_same_scores(index: KeywordIndex, tmp_path: Path) -> None:
    index.save(tmp_path)
    loaded = KeywordIndex.load(tmp_path)
    assert len(loaded) == len(index)
    for query in ("P60", "policies for trains", "nothing known"):
        assert np.allclose(loaded.scores(query), index.scores(query))


@pytest.mark.parametrize("texts", [[], ["", "the of"]])
def test_an_index_without_terms_round_trips_and_scores_zero(texts: list[str], tmp_path: Path) -> None:
    empty = KeywordIndex.build(texts)
    empty.save(tmp_path)
    loaded = KeywordIndex.load(tmp_path)
    assert len(loaded) == len(texts)
    assert loaded.scores("anything").shape == (len(texts),) and not loaded.scores("anything").any()


def test_building_says_nothing_below_the_applications_log_level() -> None:
    import logging

    KeywordIndex.build(["Book leave in Breathe."])
    assert logging.getLogger("bm25s").getEffectiveLevel() == logging.getLogger().getEffectiveLevel()
