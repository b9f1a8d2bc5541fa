"""Chunk rows read from the database for the indexes: all of them for a build, or the few changed ones.

Embeddings are stored with their rows, so no index ever needs the model. Which chunks changed is found by
comparing the id sets: ids are assigned by the database, but on PostgreSQL transactions can commit out of id
order, so "ids above the highest known" would miss a slow ingest's rows; the full id set never does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import sqlalchemy
from sqlmodel import Session, select

from knowledge.store import KbChunk

READ_BATCH = 5000  # rows fetched at a time (and ids per IN list)


@dataclass
class ChunkRows:
    """Row i of every field describes the chunk with id ``ids[i]``."""

    ids: np.ndarray  # int64
    collections: np.ndarray  # object array of collection names
    vectors: np.ndarray  # float32, one row per chunk
    texts: list[str]  # what the keyword index reads: title, heading and text

    def __len__(self) -> int:
        return len(self.ids)


def chunk_ids(engine: sqlalchemy.Engine) -> np.ndarray:
    """Every chunk id in the database, sorted."""
    with Session(engine) as session:
        return np.array(sorted(session.exec(select(KbChunk.id)).all()), dtype="int64")


def read(engine: sqlalchemy.Engine, dim: int, ids: Sequence[int] | None = None) -> ChunkRows:
    """The rows with these ids (those still there), or every row; arrays are sized up front, so memory stays
    at one copy of the vectors however many rows there are."""
    columns = (KbChunk.id, KbChunk.collection, KbChunk.title, KbChunk.heading, KbChunk.text, KbChunk.embedding)
    with Session(engine) as session:
        if ids is None:
            total = int(session.exec(select(sqlalchemy.func.count()).select_from(KbChunk)).one())
            statements = [select(*columns).order_by(KbChunk.id).execution_options(yield_per=READ_BATCH)]
        else:
            ids = sorted(map(int, ids))
            total = len(ids)
            statements = [select(*columns).where(KbChunk.id.in_(ids[start:start + READ_BATCH])).order_by(KbChunk.id)
                          for start in range(0, total, READ_BATCH)]
        found = np.zeros(total, dtype="int64")
        collections = np.empty(total, dtype=object)
        vectors = np.zeros((total, dim), dtype="float32")
        texts: list[str] = []
        for statement in statements:
            for chunk_id, collection, title, heading, text, blob in session.execute(statement):
                if len(texts) == total:
                    break  # rows added while we read belong to the next generation
                row = len(texts)
                found[row], collections[row] = chunk_id, collection
                vectors[row] = np.frombuffer(blob, dtype="float32")
                texts.append(f"{title} {heading}\n{text}")
    rows = len(texts)
    return ChunkRows(found[:rows], collections[:rows], vectors[:rows], texts)
