"""Both indexes on disk, swapped in atomically.

Each build goes to a fresh folder ``gen-<generation>-<random>``; a small pointer file ``CURRENT`` is then
replaced with ``os.replace``. A crash at any moment leaves either the old complete index or the new complete
one, never half of each; and an index whose generation differs from the database's is rebuilt on open.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.dense import DenseIndex
from knowledge.keyword import KeywordIndex

POINTER = "CURRENT"


@dataclass
class ChunkIndex:
    """Row i of every array describes the chunk with id ``ids[i]``."""

    generation: int
    ids: np.ndarray  # int64 chunk ids
    collections: np.ndarray  # collection name per row (object array)
    dense: DenseIndex
    keyword: KeywordIndex

    def __post_init__(self) -> None:
        self.row_of = {int(chunk_id): row for row, chunk_id in enumerate(self.ids)}
        self._masks: dict[tuple[str, ...], np.ndarray] = {}
        # (collections, wording) -> the first documents it retrieves; verified entries' wordings are looked up
        # again and again, and the answer only changes with the index, so it lives as long as the index does.
        self.wording_documents: dict[tuple[tuple[str, ...], str], tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def mask(self, collections: tuple[str, ...]) -> np.ndarray:
        """Boolean row mask for these collections, cached because channels search the same ones again and again."""
        if collections not in self._masks:
            self._masks[collections] = np.isin(self.collections, list(collections))
        return self._masks[collections]


def save(root: Path, index: ChunkIndex) -> None:
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
    """The current index, or None when there is none or it cannot be read (the caller rebuilds)."""
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
