"""BM25 (Okapi) keyword index over chunks, held as a sparse matrix so a query is one column sum.

Dense embeddings miss exact terms (a form name, "P60", a system called "Breathe"); BM25 catches them.
"""
from __future__ import annotations

import re
from array import array
from typing import Sequence

import numpy as np

K1 = 1.2
B = 0.75
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves s t don""".split()
)


def stem(word: str) -> str:
    """A light suffix stripper: enough to meet "policies"/"policy", "booking"/"book", "expenses"/"expense"."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: len(word) - len(suffix)] + replacement
    return word


def tokenize(text: str) -> list[str]:
    words = _WORD.findall(text.lower().replace("’", "'"))
    return [stem(word.split("'")[0]) for word in words if word not in STOPWORDS and word.split("'")[0] not in STOPWORDS]


class KeywordIndex:
    """Rows are chunks in the order of ``ChunkIndex.ids``; columns are terms."""

    def __init__(self, matrix, vocabulary: dict[str, int]) -> None:
        self.matrix = matrix  # scipy CSC, BM25 weights
        self.vocabulary = vocabulary

    @classmethod
    def build(cls, texts: Sequence[str]) -> "KeywordIndex":
        from scipy import sparse

        vocabulary: dict[str, int] = {}
        # Compact typed arrays: a corpus of 100k chunks has ~10M (row, term) pairs, too many for Python lists.
        rows, cols, counts = array("i"), array("i"), array("f")
        lengths = np.zeros(len(texts), dtype="float32")
        for row, text in enumerate(texts):
            terms = tokenize(text)
            lengths[row] = len(terms)
            frequencies: dict[int, int] = {}
            for term in terms:
                column = vocabulary.setdefault(term, len(vocabulary))
                frequencies[column] = frequencies.get(column, 0) + 1
            rows.extend([row] * len(frequencies))
            cols.extend(frequencies.keys())
            counts.extend(frequencies.values())
        shape = (len(texts), max(1, len(vocabulary)))
        tf = np.frombuffer(counts, dtype="float32")
        row_index = np.frombuffer(rows, dtype="int32")
        col_index = np.frombuffer(cols, dtype="int32")
        document_frequency = np.bincount(col_index, minlength=shape[1]).astype("float32")
        n = max(1, len(texts))
        idf = np.log1p((n - document_frequency + 0.5) / (document_frequency + 0.5))
        average = float(lengths.mean()) if len(texts) else 1.0
        norm = K1 * (1 - B + B * lengths[row_index] / max(average, 1e-6)) if len(texts) else tf
        weights = idf[col_index] * tf * (K1 + 1) / (tf + norm)
        matrix = sparse.csc_matrix((weights, (row_index, col_index)), shape=shape, dtype="float32")
        return cls(matrix, vocabulary)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for the query (zeros when no query term is known)."""
        columns = sorted({self.vocabulary[t] for t in tokenize(query) if t in self.vocabulary})
        if not columns:
            return np.zeros(self.matrix.shape[0], dtype="float32")
        return np.asarray(self.matrix[:, columns].sum(axis=1)).ravel()

    def save(self, directory) -> None:
        import json

        from scipy import sparse

        sparse.save_npz(directory / "keyword.npz", self.matrix, compressed=False)
        (directory / "vocabulary.json").write_text(json.dumps(self.vocabulary), encoding="utf-8")

    @classmethod
    def load(cls, directory) -> "KeywordIndex":
        import json

        from scipy import sparse

        matrix = sparse.load_npz(directory / "keyword.npz").tocsc()
        vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        return cls(matrix, vocabulary)
