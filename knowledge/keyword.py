"""BM25 keyword index over chunks: bm25s for the scoring, PyStemmer's English Snowball stemmer for the terms.

Dense embeddings miss exact terms (a form name, "P60", a system called "Breathe"); BM25 catches them. Both the
scoring and the stemming come from maintained libraries, so the formula and the English rules are not ours to
get wrong; what stays here is the choice of tokens and the index's life on disk.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from array import array
from pathlib import Path
from typing import Sequence

import numpy as np

K1 = 1.2
B = 0.75
METHOD = "lucene"  # idf log(1 + (N - df + 0.5) / (df + 0.5)): never negative, so a common term never hurts a match
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Question words and pronouns are stopwords too: users type "how do I ...", and "how" matching every FAQ that
# says "how" is noise. Lucene's shorter list (bm25s.stopwords.STOPWORDS_EN) keeps them and measured worse.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves s t don""".split()
)
_local = threading.local()


def _stemmer():
    """One Snowball stemmer per thread: a PyStemmer object keeps a cache and is not safe to share across threads."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def tokenize(text: str) -> list[str]:
    """Lower-cased, stopword-free, Snowball-stemmed terms; the index and every query use exactly this."""
    words = (word.split("'")[0] for word in _WORD.findall(text.lower().replace("’", "'")))
    return _stemmer().stemWords([word for word in words if word not in STOPWORDS])


def _bm25s():
    """bm25s, with its logger handed back to the application: on import it sets itself to DEBUG, which would
    print a line on every index build whatever the command's verbosity."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s


class KeywordIndex:
    """Rows are chunks in the order of ``ChunkIndex.ids``; ``scores`` gives one BM25 score per row."""

    def __init__(self, retriever, rows: int) -> None:
        self.retriever = retriever  # bm25s.BM25, or None when no row has a single term
        self.rows = rows

    def __len__(self) -> int:
        return self.rows

    @classmethod
    def build(cls, texts: Sequence[str]) -> "KeywordIndex":
        bm25s = _bm25s()
        vocabulary: dict[str, int] = {}
        # One compact int array per row: 100k chunks hold ~10M term occurrences, too many for lists of Python ints.
        documents = [array("i", [vocabulary.setdefault(term, len(vocabulary)) for term in tokenize(text)])
                     for text in texts]
        if not vocabulary:
            return cls(None, len(texts))
        # scipy assembles the sparse matrix with int32 temporaries; bm25s's numpy path sorts int64 keys and
        # peaked ~240 MB higher on 100k synthetic chunks (932 vs 689 MB).
        retriever = bm25s.BM25(k1=K1, b=B, method=METHOD, csc_backend="scipy")
        retriever.index((documents, vocabulary), create_empty_token=False, show_progress=False)
        return cls(retriever, len(texts))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for the query (zeros when no query term is known)."""
        if self.retriever is None:
            return np.zeros(self.rows, dtype="float32")
        vocabulary = self.retriever.vocab_dict
        # A repeated word counts once, so "leave leave leave" cannot outweigh the rest of the question.
        columns = sorted({vocabulary[term] for term in tokenize(query) if term in vocabulary})
        if not columns:
            return np.zeros(self.rows, dtype="float32")
        return self.retriever.get_scores(columns)

    def save(self, directory: Path) -> None:
        """bm25s's own files, flat in ``directory`` (the index folder is fsynced file by file, then swapped in)."""
        if self.retriever is not None:
            self.retriever.save(directory, show_progress=False)
        meta = {"rows": self.rows, "terms": self.retriever is not None}
        (directory / "keyword.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "KeywordIndex":
        bm25s = _bm25s()
        meta = json.loads((directory / "keyword.json").read_text(encoding="utf-8"))
        retriever = bm25s.BM25.load(directory, show_progress=False) if meta["terms"] else None
        return cls(retriever, int(meta["rows"]))

    def idf(self, terms: Sequence[str]) -> np.ndarray:
        """Inverse document frequency (the index's own BM25 formula) of each already tokenized term; a term no
        chunk holds gets the highest idf there is, because a word the documents never use tells the most."""
        rows = max(1, self.rows)
        if self.retriever is None:
            frequencies = np.zeros(len(terms))
        else:
            vocabulary = self.retriever.vocab_dict
            per_term = np.diff(self.retriever.scores["indptr"])
            frequencies = np.array([per_term[vocabulary[t]] if t in vocabulary else 0 for t in terms],
                                   dtype="float64")
        return np.log1p((rows - frequencies + 0.5) / (frequencies + 0.5))
