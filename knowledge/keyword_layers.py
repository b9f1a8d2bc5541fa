"""The keyword index as a saved base plus the rows changed since, so one ingest does not rebuild all of BM25.

bm25s builds a static index: its scores are computed once, with the corpus's statistics (how many rows hold a
term, the average row length). Rows added since the base are scored here with Lucene's same BM25 formula over
the statistics of the whole live corpus (base minus removed rows, plus added rows), so an added row scores as it
would in a fresh build; removed rows score zero. The base's own scores keep the statistics of its build, which
drift only a little while the changes are a small share of it; ``index_delta`` rebuilds beyond that.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from knowledge.keyword import KeywordIndex, idf, term_weight, tokenize


class KeywordLayers:
    """Rows are the base's rows (``live`` says which still exist) followed by the added rows, in order."""

    def __init__(self, base: KeywordIndex, live: np.ndarray, added: Sequence[Counter]) -> None:
        self.base = base
        self.live = live
        self.rows = base.rows + len(added)
        self._dead = np.flatnonzero(~live)
        added_lengths = np.array([sum(terms.values()) for terms in added], dtype="float64")
        self._live_rows = int(live.sum()) + len(added)
        total_length = float(base.lengths[live].sum()) + float(added_lengths.sum())
        self._average_length = total_length / self._live_rows if self._live_rows else 1.0
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for row, terms in enumerate(added):
            for term, count in terms.items():
                rows, counts = postings.setdefault(term, ([], []))
                rows.append(row)
                counts.append(count)
        self._postings = {term: (np.array(rows), np.array(counts, dtype="float64"))
                          for term, (rows, counts) in postings.items()}
        self._added_lengths = added_lengths

    def __len__(self) -> int:
        return self.rows

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for the query; removed rows score zero."""
        base = self.base.scores(query)
        if len(self._dead):
            base = np.where(self.live, base, 0).astype("float32")
        added = np.zeros(self.rows - self.base.rows, dtype="float32")
        terms = sorted({term for term in tokenize(query) if term in self._postings})
        for term, weight in zip(terms, self.idf(terms)):
            rows, counts = self._postings[term]
            added[rows] += weight * term_weight(counts, self._added_lengths[rows], self._average_length)
        return np.concatenate([base, added])

    def idf(self, terms: Sequence[str]) -> np.ndarray:
        """Idf over the live corpus: the base's counts, less its removed rows, plus the added rows."""
        frequencies = self.base.frequencies(terms)
        for i, term in enumerate(terms):
            if len(self._dead):
                frequencies[i] -= np.count_nonzero(~self.live[self.base.rows_holding(term)])
            if term in self._postings:
                frequencies[i] += len(self._postings[term][0])
        return idf(self._live_rows, frequencies)
