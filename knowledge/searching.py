"""Passage search: dense and keyword candidates over the chunk index, fused, returned as hits.

Dense search finds paraphrases; keyword search finds exact terms (a form name, "P60"). Each method proposes
its own candidates and every candidate is scored by both, so the fusion compares like with like.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import sqlalchemy
from sqlmodel import Session, select

from knowledge import ranking
from knowledge.index_files import ChunkIndex
from knowledge.store import KbChunk, KbDocument
from knowledge.types import Hit

MODES = ("hybrid", "dense", "keyword")


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
    if mask is not None:
        keyword_scores = np.where(mask, keyword_scores, 0)
    if mode != "dense":
        positive = np.flatnonzero(keyword_scores > 0)
        top = positive[np.argsort(-keyword_scores[positive], kind="stable")[:wanted]]
        for row in top:
            chunk_id = int(index.ids[row])
            if chunk_id not in candidates:
                candidates[chunk_id] = (float(index.dense.index.reconstruct(chunk_id) @ vector)
                                        if vector is not None else 0.0)
    if not candidates:
        return []
    chunk_ids = np.fromiter(candidates.keys(), dtype="int64", count=len(candidates))
    cosines = np.fromiter(candidates.values(), dtype="float32", count=len(candidates))
    keywords = np.array([keyword_scores[index.row_of[int(i)]] for i in chunk_ids], dtype="float32")
    fused = ranking.fuse(cosines, keywords, mode)
    order = np.argsort(-fused, kind="stable")[:k]
    top_keyword = float(keywords.max()) if keywords.size else 0.0
    rows = _chunk_rows(engine, [int(chunk_ids[i]) for i in order])
    hits = []
    for i in order:
        chunk, document = rows[int(chunk_ids[i])]
        share = float(keywords[i] / top_keyword) if top_keyword > 0 else 0.0
        source = " › ".join(part for part in (chunk.title, chunk.heading) if part)
        hits.append(Hit(key=f"chunk:{chunk.id}", kind="chunk", title=chunk.title, source=source,
                        heading=chunk.heading, text=chunk.text, score=float(fused[i]),
                        confidence=ranking.confidence(float(cosines[i]), share) if vector is not None
                        else ranking.confidence(ranking.CONFIDENCE_MIDPOINT, share),
                        collection=chunk.collection, document=document))
    return hits


def _chunk_rows(engine: sqlalchemy.Engine, chunk_ids: list[int]) -> dict[int, tuple[KbChunk, str]]:
    with Session(engine) as session:
        rows = session.exec(
            select(KbChunk, KbDocument.path).join(KbDocument, KbDocument.id == KbChunk.document_id)
            .where(KbChunk.id.in_(chunk_ids))
        ).all()
    return {chunk.id: (chunk, path) for chunk, path in rows}
