"""The sync engine: one run of one source, from its cursor to a reconciled copy, whatever the source.

A run holds the source's store lock (``knowledge.store_lock``), so a second process finds it busy and does
nothing, and a killed run frees it at once. The source's changes are read and parsed in a producer thread while
this thread embeds and writes, a short transaction per batch of whole documents (``Ingester.write``), so a crash
leaves every document whole. A ``Checkpoint`` from the source is saved only after everything before it is
written, together with the failures seen so far; the next run resumes from it, and content hashes make what a
killed run already wrote cost nothing again.

Nothing is removed until the end, and only when it is safe: the key listing finished, the document did not fail
this run, and the run would not remove more than ``max_removal_share`` of the collection (one document may
always go). A document whose access is narrower than its collection is never stored, and is taken out at once
if an earlier version was.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Callable

import sqlalchemy
from sqlmodel import Session, select

from knowledge import store
from knowledge.chunking import chunk_document
from knowledge.ingesting import EMBED_BATCH, MAX_FILE_BYTES, Ingester, Prepared, content_hash
from knowledge.loaders import UnreadableFile, suffix_for
from knowledge.parse_isolation import IsolatedLoader
from knowledge.sources.documents import Checkpoint, Failed, Removed, SourceDocument, Stored, Unchanged
from knowledge.sources.reports import DocumentProblem, SyncReport
from knowledge.sources.retrying import FetchFailed
from knowledge.sources.source import ListingIncomplete, Source, SourceUnavailable
from knowledge.sources.tables import KbSourceFailure, KbSourceState
from knowledge.store import KbDocument, aware
from knowledge.store_lock import StoreLock
from knowledge.types import IngestReport

log = logging.getLogger("lorebot.sources")

MAX_REMOVAL_SHARE = 0.2  # a run that would remove more of a collection than this removes nothing
QUEUE_DEPTH = 4  # batches of parsed documents waiting for the embedder: memory stays flat however big the source
HANDOFF_BATCH = 16  # documents handed from the reading thread to the writing one at a time


def source_root(name: str) -> str:
    """The root every document of the source is stored under (a folder's path for ingested files)."""
    return f"source:{name}"


@dataclass(frozen=True)
class Layout:
    """Where a source's documents are stored: each under ``root``, at the path ``prefix + key``. A source in
    lorebot.toml uses ``source:NAME``; a folder keeps its files' absolute paths; ``only`` limits a lone file's
    run to that one document."""

    root: str
    prefix: str
    only: str | None = None

    @classmethod
    def of_source(cls, name: str) -> "Layout":
        return cls(root=source_root(name), prefix=source_root(name) + "/")

    def path(self, key: str) -> str:
        return self.prefix + key

    def key(self, path: str) -> str:
        return path[len(self.prefix):]

    def where(self):
        """The stored documents of this layout, as a condition on ``KbDocument``."""
        if self.only is not None:
            return KbDocument.path == self.path(self.only)
        return sqlalchemy.func.substr(KbDocument.path, 1, len(self.prefix)) == self.prefix


def document_path(name: str, key: str) -> str:
    return Layout.of_source(name).path(key)


@dataclass(frozen=True)
class SyncOptions:
    collection: str
    type: str = ""
    full: bool = False  # ignore the cursor and the stored versions: list and fetch everything again
    max_removal_share: float = MAX_REMOVAL_SHARE
    progress: bool = False
    audience: bool = False  # ask the source who may read it (``Source.audience``) and keep the answer
    layout: Layout | None = None  # default: ``Layout.of_source(name)``
    label: str | None = None  # what the progress bar says (default "Syncing NAME")


# What the producer hands the writer, besides the source's own Unchanged, Removed, Failed and Checkpoint.
@dataclass(frozen=True)
class _Ready:
    key: str
    prepared: Prepared


@dataclass(frozen=True)
class _Same:
    """Fetched, and its content is what is stored: at most its version or address is updated."""

    key: str
    version: str | None
    url: str | None
    modified: datetime | None


@dataclass(frozen=True)
class _Restricted:
    key: str
    url: str | None
    detail: str


@dataclass(frozen=True)
class _Crashed:
    error: BaseException


_END = object()


def sync_source(engine: sqlalchemy.Engine, ingester: Ingester, name: str, source: Source, options: SyncOptions,
                *, clock: Callable[[], datetime] | None = None) -> SyncReport:
    """Run one sync of ``source`` (stored as ``name``) unless another process is running one."""
    lock = StoreLock(engine, f"lorebot-sync:{name}")
    if not lock.acquire():
        return SyncReport(source=name, busy=True)
    try:
        return _Run(engine, ingester, name, source, options, clock or store.utcnow).run()
    finally:
        lock.release()


class _Run:
    def __init__(self, engine: sqlalchemy.Engine, ingester: Ingester, name: str, source: Source,
                 options: SyncOptions, clock: Callable[[], datetime]) -> None:
        self.engine, self.ingester, self.name, self.source = engine, ingester, name, source
        self.options, self.clock = options, clock
        self.layout = options.layout or Layout.of_source(name)
        self.report = SyncReport(source=name)
        self.ingest = IngestReport()  # the writer's own counts (added, changed, chunks)
        self.pending: list[_Ready] = []
        self.touched: list[_Same] = []
        self.withdrawn: list[str] = []  # keys whose stored version must go at once (now restricted)
        self.gone: set[str] = set()  # keys the source says are gone, removed at the end if safe
        self.failed: dict[str, DocumentProblem] = {}
        self.succeeded: set[str] = set()  # keys read this run, whose earlier failures are over
        self.recorded: set[str] = set()  # failures whose row this run has written
        self.cursor: str | None = None
        self.cursor_seen = False
        self._stored_versions: dict[str, tuple[str, str | None]] = {}  # key -> (content hash, version)
        self._stored_map: dict[str, Stored] = {}

    # -- the run ----------------------------------------------------------------------------------------------
    def run(self) -> SyncReport:
        state = self._start()
        stored = self._stored()
        resume = None if self.options.full else (state.checkpoint or state.cursor)
        retry = self._failing_keys()
        stop = threading.Event()
        items: queue.Queue = queue.Queue(maxsize=QUEUE_DEPTH)
        view = {} if self.options.full else stored
        producer = threading.Thread(target=self._produce, args=(items, stop, resume, view, retry),
                                    name=f"lorebot-sync-{self.name}", daemon=True)
        from tqdm import tqdm

        with tqdm(desc=self.options.label or f"Syncing {self.name}", unit=" documents",
                  disable=not self.options.progress, leave=False) as bar:
            producer.start()
            try:
                self._consume(items, bar)
            except BaseException:
                stop.set()
                raise
            finally:
                stop.set()
                producer.join(timeout=30)
        if self.report.error is None:
            self._reconcile()
        self._finish()
        return self.report

    def _produce(self, items: queue.Queue, stop: threading.Event, cursor: str | None, stored: dict[str, Stored],
                 retry: list[str]) -> None:
        """Read the source and parse what changed (in the parsing worker), in order, into ``items``."""

        batch: list = []

        def put(item, *, now: bool = False) -> bool:
            """Hand items over a few at a time (one lock hand-off per batch, not per document)."""
            batch.append(item)
            if len(batch) < HANDOFF_BATCH and not now and not isinstance(item, Checkpoint):
                return True
            handed = list(batch)
            batch.clear()
            while not stop.is_set():
                try:
                    items.put(handed, timeout=0.2)
                    return True
                except queue.Full:
                    continue
            return False

        try:
            with IsolatedLoader(self.ingester.parse_timeout) as loader:
                for key in retry:
                    if not put(self._prepare(self.source.fetch(key, stored.get(key)), loader)):
                        return
                retried = set(retry)
                for item in self.source.changes(cursor, stored):
                    if not isinstance(item, Checkpoint) and item.key in retried:
                        continue  # read again a moment ago as a retried failure
                    if not put(self._prepare(item, loader)):
                        return
            put(_END, now=True)
        except BaseException as exc:  # noqa: BLE001 - handed to the writer, which reports it
            put(_Crashed(exc), now=True)

    def _prepare(self, item, loader: IsolatedLoader):
        if not isinstance(item, SourceDocument):
            return item
        if item.access.restricted:
            return _Restricted(item.key, item.url, item.access.detail or "access restricted at the source")
        stored = self._stored_versions.get(item.key)
        if stored is not None and not self.options.full and item.version and stored[1] == item.version:
            return Unchanged(item.key, item.version)
        if len(item.data) > MAX_FILE_BYTES:
            return Failed(item.key, item.url, f"too large ({len(item.data) / 2**20:,.0f} MB; at most "
                                              f"{MAX_FILE_BYTES // 2**20} MB)")
        suffix = suffix_for(item.media_type)
        if suffix is None:
            return Failed(item.key, item.url, f"unsupported media type {item.media_type or '(none)'}")
        digest = content_hash(item.data, item.title or "", self.options.collection)
        if stored is not None and stored[0] == digest:
            return _Same(item.key, item.version, item.url, item.modified)
        stem = PurePosixPath(item.key.rstrip("/")).name.rsplit(".", 1)[0] or "document"
        try:
            loaded = loader.load(PurePosixPath(stem + suffix), item.data)
        except UnreadableFile as exc:
            return Failed(item.key, item.url, str(exc))
        title = item.title or loaded.title
        chunks = chunk_document(loaded.text, title)
        if not chunks:
            return Failed(item.key, item.url, "no text found")
        return _Ready(item.key, Prepared(
            path=self.layout.path(item.key), root=self.layout.root, collection=self.options.collection,
            title=title, content_hash=digest, chunks=chunks, url=item.url or loaded.url, version=item.version,
            modified_at=item.modified, author=item.author))

    def _consume(self, items: queue.Queue, bar) -> None:
        """Write what the producer prepared, in its order; save each checkpoint once what precedes it is written."""
        pending_chunks = 0
        for item in (item for handed in iter(items.get, None) for item in handed):
            if item is _END:
                break
            if isinstance(item, _Crashed):
                self._flush()
                self._fail_source(item.error)
                return
            bar.update(0 if isinstance(item, Checkpoint) else 1)
            if isinstance(item, _Ready):
                self.pending.append(item)
                self.succeeded.add(item.key)
                pending_chunks += len(item.prepared.chunks)
                if pending_chunks >= EMBED_BATCH:
                    self._flush()
                    pending_chunks = 0
            elif isinstance(item, (_Same, Unchanged)):
                same = item if isinstance(item, _Same) else _Same(item.key, item.version, None, item.modified)
                if self._differs(same):
                    self.touched.append(same)
                self.succeeded.add(item.key)
                self.report.unchanged += 1
            elif isinstance(item, Removed):
                self.gone.add(item.key)
                self.succeeded.add(item.key)
            elif isinstance(item, Failed):
                self.failed[item.key] = DocumentProblem(item.key, item.url, item.reason)
                self.succeeded.discard(item.key)
            elif isinstance(item, _Restricted):
                self.report.skipped.append(DocumentProblem(item.key, item.url, f"not synced: {item.detail}"))
                self.succeeded.add(item.key)
                if item.key in self._stored_versions:
                    self.withdrawn.append(item.key)
            elif isinstance(item, Checkpoint):
                self._flush()
                pending_chunks = 0
                self.cursor, self.cursor_seen = item.cursor, True
                self._save_checkpoint(item.cursor)
        self._flush()

    def _differs(self, same: _Same) -> bool:
        """Whether an unchanged document's version, address or date moved: only then is its row updated."""
        stored = self._stored_map.get(same.key)
        return stored is None or (same.version is not None and same.version != stored.version) or (
            same.url is not None and same.url != stored.url) or (
            same.modified is not None and same.modified != stored.modified)

    def _flush(self) -> None:
        """Embed and write the pending documents, update the touched ones, take out the withdrawn ones."""
        if self.pending:
            self.ingester.write([ready.prepared for ready in self.pending], self.ingest)
            self.pending = []
        if self.touched:
            self._touch(self.touched)
            self.touched = []
        if self.withdrawn:
            self.ingester.remove_paths([self.layout.path(key) for key in self.withdrawn], self.ingest)
            self.withdrawn = []

    # -- removals -------------------------------------------------------------------------------------------
    def _reconcile(self) -> None:
        """Remove what the source no longer has, if every guard allows it."""
        try:
            live = set(self.source.keys())
        except (ListingIncomplete, SourceUnavailable) as exc:
            if self.gone or self._stored_keys():
                self.report.removal_blocked = f"the list of documents did not finish ({exc}); nothing was removed"
            return
        stored = self._stored_keys()
        share = self.options.max_removal_share
        if not live and stored and share < 1:  # an empty listing is a wrong address or lost access, not a purge
            self.report.removal_blocked = ("the source lists no documents at all; nothing was removed (check its "
                                           "address and permissions)")
            return
        candidates = ((stored - live) | (self.gone & stored)) - set(self.failed)
        if not candidates:
            return
        total = self._collection_size()
        if len(candidates) > 1 and len(candidates) > share * total:
            self.report.removal_blocked = (
                f"{len(candidates)} of the {total} documents in {self.options.collection} are gone from the source "
                f"({len(candidates) / total:.0%}), more than max_removal_share ({share:.0%}); nothing was removed. "
                "If they really are gone, raise max_removal_share for one run.")
            return
        self.ingester.remove_paths(sorted(self.layout.path(key) for key in candidates), self.ingest)

    # -- state ------------------------------------------------------------------------------------------------
    def _start(self) -> KbSourceState:
        now = self.clock()
        with Session(self.engine, expire_on_commit=False) as session:
            state = session.get(KbSourceState, self.name)
            if state is None:
                state = KbSourceState(name=self.name, type=self.options.type, collection=self.options.collection)
            state.type, state.collection, state.started_at = self.options.type, self.options.collection, now
            session.add(state)
            session.commit()
            return state

    def _stored(self) -> dict[str, Stored]:
        """What is stored of this source, by key; the content hashes stay here for the producer."""
        stored: dict[str, Stored] = {}
        versions: dict[str, tuple[str, str | None]] = {}
        with Session(self.engine) as session:
            rows = session.exec(select(KbDocument.path, KbDocument.version, KbDocument.modified_at, KbDocument.url,
                                       KbDocument.content_hash).where(self.layout.where()))
            for path, version, modified, url, digest in rows:
                key = self.layout.key(path)
                stored[key] = Stored(key, version, aware(modified), url)
                versions[key] = (digest, version)
        self._stored_versions, self._stored_map = versions, stored
        return stored

    def _stored_keys(self) -> set[str]:
        with Session(self.engine) as session:
            paths = session.exec(select(KbDocument.path).where(self.layout.where())).all()
        return {self.layout.key(path) for path in paths}

    def _collection_size(self) -> int:
        with Session(self.engine) as session:
            return int(session.exec(select(sqlalchemy.func.count()).select_from(KbDocument).where(
                KbDocument.collection == self.options.collection)).one())

    def _failing_keys(self) -> list[str]:
        with Session(self.engine) as session:
            return sorted(session.exec(select(KbSourceFailure.key).where(KbSourceFailure.source == self.name)).all())

    def _touch(self, touched: list[_Same]) -> None:
        """A document fetched again with the same content: keep its newer version, address and date."""
        with Session(self.engine) as session:
            for same in touched:
                values = {}
                if same.version is not None:
                    values["version"] = same.version
                if same.url is not None:
                    values["url"] = same.url
                if same.modified is not None:
                    values["modified_at"] = same.modified
                if values:
                    session.execute(sqlalchemy.update(KbDocument)
                                    .where(KbDocument.path == self.layout.path(same.key)).values(**values))
            session.commit()

    def _save_checkpoint(self, cursor: str | None) -> None:
        with Session(self.engine) as session:
            self._record_failures(session)
            state = session.get(KbSourceState, self.name)
            state.checkpoint = cursor
            session.add(state)
            session.commit()

    def _record_failures(self, session: Session) -> None:
        """Failures seen so far are kept (a checkpoint may pass them); documents read since are cleared. Only the
        source's failure rows are read and compared, so a checkpoint costs the same however many documents the
        run has read before it."""
        now = self.clock()
        known = {row.key: row for row in session.exec(select(KbSourceFailure).where(
            KbSourceFailure.source == self.name)).all()}
        for key, row in known.items():
            if key in self.succeeded and key not in self.failed:
                session.delete(row)
        for key, problem in self.failed.items():
            row = known.get(key)
            if row is None:
                session.add(KbSourceFailure(source=self.name, key=key, url=problem.url, reason=problem.reason,
                                            first_failed_at=now, last_failed_at=now))
            elif key not in self.recorded:
                row.url, row.reason, row.last_failed_at, row.attempts = (
                    problem.url, problem.reason, now, row.attempts + 1)
                session.add(row)
            self.recorded.add(key)

    def _keep_audience(self, state: KbSourceState, now: datetime) -> None:
        """Ask the source who may read it. A source that cannot tell is kept as ``null``; a failed answer keeps
        the last one (an audience must not widen, nor vanish, because one request failed)."""
        ask = getattr(self.source, "audience", None)
        try:
            audience = ask() if callable(ask) else None
        except (FetchFailed, SourceUnavailable, ListingIncomplete) as exc:
            log.warning("source %s: who may read it is unknown this run (%s); the last answer stays",
                        self.name, exc.__class__.__name__)
            return
        state.audience = json.dumps(audience.to_json() if audience is not None else None)
        state.audience_at = now

    def _fail_source(self, error: BaseException) -> None:
        if isinstance(error, (SourceUnavailable, ListingIncomplete)):
            self.report.error = str(error)
        elif isinstance(error, Exception):
            log.warning("source %s failed: %s", self.name, error.__class__.__name__, exc_info=log.isEnabledFor(10))
            self.report.error = f"unexpected error ({error.__class__.__name__}); run with -v for details"
        else:
            raise error

    def _finish(self) -> None:
        report, ingest = self.report, self.ingest
        report.added, report.changed = ingest.documents_added, ingest.documents_changed
        report.unchanged += ingest.documents_unchanged
        report.removed = ingest.documents_removed
        report.chunks_added, report.chunks_removed = ingest.chunks_added, ingest.chunks_removed
        report.failures = [self.failed[key] for key in sorted(self.failed)]
        report.changed_paths = store.take_changed(self.engine)
        now = self.clock()
        with Session(self.engine) as session:
            self._record_failures(session)
            state = session.get(KbSourceState, self.name)
            state.finished_at = now
            state.last_report = json.dumps({**report.counts(), "removal_blocked": report.removal_blocked})
            if report.error is None:
                if self.cursor_seen:
                    state.cursor = self.cursor
                state.checkpoint = None
                state.succeeded_at, state.last_error = now, None
                if self.options.audience:
                    self._keep_audience(state, now)
            else:
                state.last_error = report.error
            session.add(state)
            session.commit()
