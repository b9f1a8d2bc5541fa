"""A folder (or a lone file) on this machine: what ``lorebot ingest PATH`` reads, on the same engine as every source.

Each supported file is a document keyed by its path under the folder; its stored path stays the file's absolute
path and its root the folder, as ingested files always were, so a store made before sources needs no
re-embedding. Every file is read and hashed on each run (no version to trust: a copied file can keep its old
time), and a file that left the folder leaves the knowledge base: the folder is the whole listing, and what an
admin deletes from their own folder is meant to go, so no removal cap applies. Files that cannot be synced are
named with the reason, as before: another type, a link out of the folder, too large, unreadable.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import sqlalchemy

from knowledge.ingesting import MAX_FILE_BYTES, Ingester
from knowledge.loaders import is_supported, media_type_of
from knowledge.sources.documents import Change, Failed, Removed, SourceDocument, Stored, Unchanged
from knowledge.sources.reports import SyncReport
from knowledge.sources.syncing import Layout, SyncOptions, sync_source
from knowledge.types import IngestReport, SkippedFile

class FolderSource:
    """The files under ``root`` (a folder), or ``root`` alone (a file)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.base = self.root if self.root.is_dir() else self.root.parent
        self._listed: list[str] | None = None  # the keys a finished ``changes`` walk found

    @property
    def layout(self) -> Layout:
        """Documents stored by absolute path under the folder they were ingested from."""
        if self.root.is_dir():
            return Layout(root=str(self.root), prefix=str(self.root) + "/")
        return Layout(root=str(self.root), prefix=str(self.base) + "/", only=self.root.name)

    def changes(self, cursor: str | None, stored: Mapping[str, Stored]) -> Iterator[Change]:
        listed = []
        for key, problem in self._walk():
            if problem is None:
                listed.append(key)
            yield Failed(key, None, problem) if problem else self._read(key)
        self._listed = listed

    def fetch(self, key: str, stored: Stored | None) -> SourceDocument | Unchanged | Removed | Failed:
        path = self.base / key
        if not path.exists():
            return Removed(key, "no longer in the folder")
        return self._read(key)

    def keys(self) -> Iterable[str]:
        if self._listed is not None:
            return self._listed  # walked a moment ago, while reading
        return [key for key, problem in self._walk() if problem is None]

    def close(self) -> None:
        pass

    def _walk(self) -> Iterator[tuple[str, str | None]]:
        """Each file's key, with the reason it cannot be synced (None when it can), in path order."""
        if self.root.is_file():
            name = self.root.name
            yield name, None if is_supported(self.root) else _unsupported(self.root)
            return
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            if not path.is_file() or any(part.startswith(".") for part in relative.parts):
                continue
            key = relative.as_posix()
            if not path.resolve().is_relative_to(self.root):
                # A link out of the folder would publish whatever it points at to everyone who may search here.
                yield key, "links outside the ingested folder"
            elif is_supported(path):
                yield key, None
            else:
                yield key, _unsupported(path)

    def _read(self, key: str) -> SourceDocument | Failed:
        path = self.base / key
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                return Failed(key, None, f"too large ({size / 2**20:,.0f} MB; at most {MAX_FILE_BYTES // 2**20} MB)")
            data = path.read_bytes()
        except OSError as exc:
            return Failed(key, None, f"cannot read the file ({exc.strerror or exc})")
        return SourceDocument(key=key, data=data, media_type=media_type_of(key) or "application/octet-stream")


def _unsupported(path: Path) -> str:
    return f"unsupported file type {path.suffix or '(none)'}"


def ingest_paths(engine: sqlalchemy.Engine, ingester: Ingester, paths: Sequence[Path | str], *,
                 collection: str | None = None, progress: bool = False) -> IngestReport:
    """``lorebot ingest PATH...``: each folder or file synced as a source of its own, reported as an ingest."""
    report = IngestReport()
    for raw in paths:
        root = Path(raw).resolve()
        if not root.exists():
            report.skipped.append(SkippedFile(str(raw), "no such file or folder"))
            continue
        source = FolderSource(root)
        options = SyncOptions(collection=collection or (root.name if root.is_dir() else root.parent.name) or "default",
                              type="folder", max_removal_share=1.0, progress=progress, layout=source.layout,
                              label=f"Ingesting {root.name}")
        name = "folder:" + hashlib.sha256(str(root).encode()).hexdigest()[:16]
        synced = sync_source(engine, ingester, name, source, options)
        while synced.busy:  # another ingest of this very folder is running: wait for it, then check its work
            time.sleep(BUSY_WAIT_SECONDS)
            synced = sync_source(engine, ingester, name, source, options)
        _add(report, synced, source.base)
    return report


BUSY_WAIT_SECONDS = 0.5


def _add(report: IngestReport, synced: SyncReport, base: Path) -> None:
    report.documents_added += synced.added
    report.documents_changed += synced.changed
    report.documents_unchanged += synced.unchanged
    report.documents_removed += synced.removed
    report.chunks_added += synced.chunks_added
    report.chunks_removed += synced.chunks_removed
    report.skipped.extend(SkippedFile(str(base / problem.key), problem.reason)
                          for problem in [*synced.failures, *synced.skipped])
    if synced.error:
        report.skipped.append(SkippedFile(str(base), synced.error))
    if synced.removal_blocked:
        report.skipped.append(SkippedFile(str(base), synced.removal_blocked))
    report.changed = sorted(set(report.changed) | set(synced.changed_paths))
