"""Both indexes on disk, swapped in atomically.

Each build goes to a fresh folder ``gen-<generation>-<random>``; a small pointer file ``CURRENT`` is then
replaced with ``os.replace``. A crash at any moment leaves either the old complete index or the new complete
one, never half of each. Several processes share one home, so reading and writing happen under ``lock`` (a
file lock beside the folders): no process loads a folder that another is still writing, or deletes one another
is reading. Files that lag behind the database are brought up to date on load by applying the changes since
(``index_delta``), not rebuilt.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from knowledge.dense import DenseIndex
from knowledge.dense_layers import DenseLayers
from knowledge.keyword import KeywordIndex
from knowledge.keyword_layers import KeywordLayers

POINTER = "CURRENT"
LOCK = "index.lock"


@dataclass
class ChunkIndex:
    """Row i of every array describes the chunk with id ``ids[i]``. Built from the database in one go, or a base
    so built plus the changes since (``index_delta``: then ``dense`` and ``keyword`` are layered, and ``live``
    marks the base rows whose chunks are gone, kept as rows so the keyword scores stay aligned)."""

    generation: int
    ids: np.ndarray  # int64 chunk ids
    collections: np.ndarray  # collection name per row (object array)
    dense: DenseIndex | DenseLayers
    keyword: KeywordIndex | KeywordLayers
    live: np.ndarray | None = None  # per row: the chunk still exists (None: every row)

    def __post_init__(self) -> None:
        rows = range(len(self.ids)) if self.live is None else np.flatnonzero(self.live)
        self.row_of = {int(self.ids[row]): int(row) for row in rows}
        self._masks: dict[tuple[str, ...], np.ndarray] = {}
        # (collections, wording) -> the first documents it retrieves; verified entries' wordings are looked up
        # again and again, and the answer only changes with the index, so it lives as long as the index does.
        self.wording_documents: dict[tuple[tuple[str, ...], str], tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self.row_of)

    def mask(self, collections: tuple[str, ...]) -> np.ndarray:
        """Boolean row mask for these collections, cached because channels search the same ones again and again."""
        if collections not in self._masks:
            mask = np.isin(self.collections, list(collections))
            self._masks[collections] = mask if self.live is None else mask & self.live
        return self._masks[collections]


@contextmanager
def lock(root: Path) -> Iterator[None]:
    """Held while reading or writing the index files: several processes share one home, and one must not load
    (or delete) a folder another is still writing."""
    from filelock import FileLock

    root.mkdir(parents=True, exist_ok=True)
    with FileLock(root / LOCK):
        yield


def save(root: Path, index: ChunkIndex) -> None:
    """Write a whole index (not a layered one) to a new folder and point ``CURRENT`` at it; hold ``lock``."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"gen-{index.generation}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    np.save(folder / "ids.npy", index.ids)
    (folder / "collections.json").write_text(json.dumps([str(c) for c in index.collections]), encoding="utf-8")
    index.dense.save(folder)
    index.keyword.save(folder)
    (folder / "meta.json").write_text(json.dumps({"generation": index.generation, "chunks": len(index)}), "utf-8")
    _fsync_folder(folder)
    pointer_tmp = root / f"{POINTER}.{uuid.uuid4().hex[:8]}.tmp"
    pointer_tmp.write_text(folder.name, encoding="utf-8")
    os.replace(pointer_tmp, root / POINTER)
    _remove_old(root, keep=folder.name)


def load(root: Path) -> ChunkIndex | None:
    """The current index, or None when there is none or it cannot be read (the caller rebuilds); hold ``lock``."""
    try:
        folder = root / (root / POINTER).read_text(encoding="utf-8").strip()
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        ids = np.load(folder / "ids.npy")
        collections = np.array(json.loads((folder / "collections.json").read_text(encoding="utf-8")), dtype=object)
        dense = DenseIndex.load(folder)
        keyword = KeywordIndex.load(folder)
    except (OSError, ValueError, KeyError, RuntimeError):
        return None
    if not (len(ids) == len(collections) == len(dense) == len(keyword) == meta.get("chunks")):
        return None
    return ChunkIndex(int(meta["generation"]), ids, collections, dense, keyword)


def _fsync_folder(folder: Path) -> None:
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def _remove_old(root: Path, keep: str) -> None:
    for path in root.iterdir():
        if path.is_dir() and path.name.startswith("gen-") and path.name != keep:
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)
