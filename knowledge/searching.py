"""Passage search: dense and keyword candidates over the chunk index, fused, returned as hits.

Dense search finds paraphrases; keyword search finds exact terms (a form name, "P60"). Each method proposes
its own candidates and every candidate is scored by both, so the fusion compares like with like.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Sequence

import numpy as np
import sqlalchemy
from sqlmodel import Session, select

from knowledge import ranking
from knowledge.confidence import passage_confidence
from knowledge.index_files import ChunkIndex
from knowledge.store import KbChunk, KbDocument
from knowledge.types import Hit
from knowledge.wording import Idf, covered, terms_of

MODES = ("hybrid", "dense", "keyword")
KEYWORD_ONLY_COSINE = 0.5  # keyword-only search (an evaluation mode) has no cosine; assume a middling one


def search_chunks(engine: sqlalchemy.Engine, index: ChunkIndex | None, query: str, vector: np.ndarray | None,
                  k: int, collections: Sequence[str] | None, mode: str) -> list[Hit]:
    if index is None or len(index) == 0:
        return []
    mask = index.mask(tuple(sorted(set(collections)))) if collections else None
    if mask is not None and not mask.any():
        return []
    wanted = max(ranking.CANDIDATES, k)
    candidates: dict[int, float] = {}
    if mode != "keyword":
        ids, scores = index.dense.search(vector, wanted, index.ids[mask] if mask is not None else None)
        candidates.update(zip(map(int, ids), map(float, scores)))
    keyword_scores = index.keyword.scores(query)
    if mode != "dense":
        for row in best_rows(keyword_scores, wanted, mask):
            chunk_id = int(index.ids[row])
            if chunk_id not in candidates:
                candidates[chunk_id] = (float(index.dense.vector(chunk_id) @ vector)
                                        if vector is not None else 0.0)
    if not candidates:
        return []
    chunk_ids = np.fromiter(candidates.keys(), dtype="int64", count=len(candidates))
    cosines = np.fromiter(candidates.values(), dtype="float32", count=len(candidates))
    keywords = np.array([keyword_scores[index.row_of[int(i)]] for i in chunk_ids], dtype="float32")
    fused = ranking.fuse(cosines, keywords, mode)
    order = np.argsort(-fused, kind="stable")[:k]
    rows = _chunk_rows(engine, [int(chunk_ids[i]) for i in order])
    documents = _documents_of(engine, [int(i) for i in chunk_ids]) if vector is not None else {}
    query_terms = terms_of(query)
    idf = idf_for(index)
    hits = []
    for i in order:
        if int(chunk_ids[i]) not in rows:
            continue  # removed by another process since this index was refreshed: the next refresh drops it
        chunk, document = rows[int(chunk_ids[i])]
        source = " › ".join(part for part in (chunk.title, chunk.heading) if part)
        coverage = covered(query_terms, terms_of(f"{chunk.title} {chunk.heading}\n{chunk.text}"), idf)
        if vector is not None:
            others = [c for c, d in zip(cosines, (documents.get(int(j)) for j in chunk_ids))
                      if d != chunk.document_id]
            cosine = float(cosines[i])
            margin = cosine - (max(others) if others else 0.0)
        else:
            cosine, margin = KEYWORD_ONLY_COSINE, 0.0
        hits.append(Hit(key=f"chunk:{chunk.id}", kind="chunk", title=chunk.title, source=source,
                        heading=chunk.heading, text=chunk.text, score=float(fused[i]),
                        confidence=passage_confidence(cosine, margin, coverage),
                        collection=chunk.collection, document=document.path,
                        relative_path=relative_path(document.path, document.root), url=document.url))
    return hits


def best_rows(scores: np.ndarray, n: int, mask: np.ndarray | None = None) -> np.ndarray:
    """The ``n`` rows with the highest positive scores (within ``mask``), best first, ties in row order.

    Only the rows at or above the n-th best score are sorted: a common word can give hundreds of thousands of
    rows a score at 1M chunks, and a stable sort of 400k scores takes ~170 ms where partitioning takes ~3."""
    matching = scores > 0
    if mask is not None:
        matching &= mask
    rows = np.flatnonzero(matching)
    if len(rows) > n > 0:
        values = scores[rows]
        nth_best = np.partition(values, len(values) - n)[len(values) - n]
        rows = rows[values >= nth_best]
    return rows[np.argsort(-scores[rows], kind="stable")[:n]]


def idf_for(index: ChunkIndex) -> Idf:
    return index.keyword.idf


def _documents_of(engine: sqlalchemy.Engine, chunk_ids: list[int]) -> dict[int, int]:
    """Document of each candidate, so a passage's margin is measured against other documents only (the next
    passage of the same page is no rival)."""
    with Session(engine) as session:
        rows = session.exec(select(KbChunk.id, KbChunk.document_id).where(KbChunk.id.in_(chunk_ids))).all()
    return dict(rows)


@dataclass(frozen=True)
class _DocumentRef:
    path: str
    root: str
    url: str | None


def relative_path(path: str, root: str) -> str:
    """Where a document sits under the folder it was ingested from, with ``/`` separators; a file ingested on
    its own (its root is itself) or a text item is known by its name."""
    document = PurePath(path)
    try:
        relative = document.relative_to(root)
    except ValueError:
        return document.name
    return relative.as_posix() if relative.parts else document.name


def _chunk_rows(engine: sqlalchemy.Engine, chunk_ids: list[int]) -> dict[int, tuple[KbChunk, _DocumentRef]]:
    with Session(engine) as session:
        rows = session.exec(
            select(KbChunk, KbDocument.path, KbDocument.root, KbDocument.url)
            .join(KbDocument, KbDocument.id == KbChunk.document_id)
            .where(KbChunk.id.in_(chunk_ids))
        ).all()
    return {chunk.id: (chunk, _DocumentRef(path, root, url)) for chunk, path, root, url in rows}
