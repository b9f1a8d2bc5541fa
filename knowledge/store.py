"""Documents, chunks and curated entries in the database (SQLite by default, PostgreSQL in production).

The database is the source of truth: embeddings are stored with their rows, so the vector and keyword
indexes can always be rebuilt from it. ``generation`` increases in the same transaction as every change,
which is how an index file on disk knows whether it is current.
"""
from __future__ import annotations

import re
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import sqlalchemy
from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, delete, select

from knowledge import schema
from knowledge.errors import StoreUnavailable


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(moment: datetime | None) -> datetime | None:
    """A stored time with its zone: SQLite gives back the stored UTC time without one."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class KbDocument(SQLModel, table=True):
    __tablename__ = "kb_documents"

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(sa_column=Column(Text, unique=True, nullable=False))
    root: str = Field(sa_column=Column(Text, nullable=False, index=True))
    collection: str = Field(index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str
    updated_at: datetime = Field(default_factory=utcnow)
    url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # the document's own address
    # Kept for documents that come from a source (knowledge.sources): its own version, so an unchanged document
    # costs no fetch, when it says the document last changed, and who changed it.
    version: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    modified_at: datetime | None = Field(default=None, nullable=True)
    author: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class KbChunk(SQLModel, table=True):
    """One passage of a document. Ids are never reused (AUTOINCREMENT on SQLite, a sequence on PostgreSQL):
    running processes find changes by comparing id sets, so a new chunk must never take a deleted one's id."""

    __tablename__ = "kb_chunks"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="kb_documents.id", index=True)
    ordinal: int
    collection: str = Field(index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    heading: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    embedding: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class KbEntry(SQLModel, table=True):
    """A curated, verified question and answer: the champions' knowledge."""

    __tablename__ = "kb_entries"

    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    source: str = Field(sa_column=Column(Text, nullable=False))
    verified_by: str
    collection: str = Field(index=True)
    stale: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    question_embedding: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    answer_embedding: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class KbAlias(SQLModel, table=True):
    """Another wording of an entry's question, learned from use (an asker's "Helpful", a champion's "Same as").

    Matched like the entry's own question, so an entry recognises more of the ways people ask it."""

    __tablename__ = "kb_aliases"
    __table_args__ = (UniqueConstraint("entry_id", "text", name="uq_kb_aliases_entry_text"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="kb_entries.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    added_by: str
    created_at: datetime = Field(default_factory=utcnow)
    embedding: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class KbUnreportedChange(SQLModel, table=True):
    """A document changed or removed by an ingest that has not reported it yet: written in the transaction that
    changes the document, taken when an ingest finishes. An interrupted ingest keeps the documents it wrote and
    the next one finds them unchanged, so this is how their paths still reach a report (``IngestReport.changed``,
    from which answers built on them are sent back to be re-checked)."""

    __tablename__ = "kb_unreported_changes"

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(sa_column=Column(Text, nullable=False))


class KbState(SQLModel, table=True):
    """One row: versions of the chunk set and of the entries, bumped in the same transaction as each change."""

    __tablename__ = "kb_state"

    id: int = Field(default=1, primary_key=True)
    generation: int = 0
    entries_version: int = 0


KB_TABLES = [KbDocument.__table__, KbChunk.__table__, KbEntry.__table__, KbAlias.__table__, KbState.__table__,
             KbUnreportedChange.__table__]


# Connections one process keeps open, and how many more it may open in a burst. A served process runs Slack's
# and Teams' worker pools (8 threads each), the question-embedding worker and the scheduler, and a handler may
# hold its session while a helper opens its own; SQLAlchemy's default of 5 (+10) left workers queueing for a
# connection under load.
POOL_SIZE = 20
POOL_OVERFLOW = 20


def make_engine(database_url: str | None, home: Path) -> sqlalchemy.Engine:
    url = database_url or f"sqlite:///{(home / 'lorebot.db').resolve()}"
    try:
        if url.startswith("sqlite"):
            engine = sqlalchemy.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            sqlalchemy.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = sqlalchemy.create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE,
                                              max_overflow=POOL_OVERFLOW)
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("select 1"))
    except (sqlalchemy.exc.SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreUnavailable(f"cannot open the database at {_redact(url)}: {_why(exc, url)}") from None
    return engine


# What the drivers say when a database cannot be opened, and what to tell the person who set it up. Matched on
# the message: PostgreSQL sends no error code before the connection is made.
_REASONS = (
    (re.compile(r"Connection refused"), "connection refused; is PostgreSQL running and listening on {where}?"),
    (re.compile(r'database "(?P<name>[^"]+)" does not exist'),
     'no such database "{name}"; create it (createdb {name}) or fix the URL'),
    (re.compile(r'role "(?P<name>[^"]+)" does not exist'),
     'authentication failed: no such user "{name}" on the server'),
    (re.compile(r'(password|Ident|peer|GSSAPI|SSPI|certificate) authentication failed for user "(?P<name>[^"]+)"'),
     'authentication failed for user "{name}"; check the user and password in the URL'),
    (re.compile(r"password authentication failed|no password supplied|authentication failed"),
     "authentication failed; check the user and password in the URL"),
    (re.compile(r"failed to resolve host '(?P<name>[^']+)'|could not translate host name \"(?P<alt>[^\"]+)\""),
     "unknown host; check the host name in the URL"),
    (re.compile(r"timeout expired|timed out"), "no answer from {where} in time; check the host, port and firewall"),
    (re.compile(r"unable to open database file"),
     "cannot create or open the SQLite file; check that its folder exists and is writable"),
    (re.compile(r"readonly database"), "the SQLite file is read-only; check its and its folder's permissions"),
)


def _why(exc: Exception, url: str) -> str:
    """Why the database cannot be opened, in words a person can act on."""
    if isinstance(exc, (ImportError, sqlalchemy.exc.NoSuchModuleError, sqlalchemy.exc.ArgumentError)):
        return "unsupported database URL; use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DATABASE"
    message = str(getattr(exc, "orig", None) or exc)
    try:
        parsed = sqlalchemy.engine.make_url(url)
        where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    except Exception:  # noqa: BLE001 - an unparsable URL has no host to name
        where = "the host and port in the URL"
    for pattern, reason in _REASONS:
        found = pattern.search(message)
        if found:
            return reason.format(where=where, name=found.groupdict().get("name") or "")
    first = message.strip().splitlines()[0] if message.strip() else exc.__class__.__name__
    return first.split("FATAL:", 1)[-1].strip()


WAL_SWITCH_SECONDS = 10.0


def _sqlite_pragmas(connection, _record) -> None:
    """WAL lets readers go on while one process writes. Switching a new file to WAL needs a moment alone with
    it, and SQLite answers "database is locked" at once instead of waiting when another process opens the
    same new file at that moment, so the switch is skipped once done and retried briefly otherwise."""
    cursor = connection.cursor()
    try:
        deadline = time.monotonic() + WAL_SWITCH_SECONDS
        while True:
            try:
                if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    cursor.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _redact(url: str) -> str:
    """The URL without its password, fit for an error message."""
    try:
        return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown by its scheme only
        return url.split(":", 1)[0] + "://…"


def create_tables(engine: sqlalchemy.Engine) -> None:
    """The knowledge tables and their one state row, safe when several processes open one store at once."""
    schema.create_tables(engine, KB_TABLES)
    if engine.dialect.name == "sqlite":
        _never_reuse_chunk_ids(engine)
    with Session(engine) as session:
        if session.get(KbState, 1) is None:
            session.add(KbState(id=1, generation=0))
            try:
                session.commit()
            except sqlalchemy.exc.IntegrityError:
                session.rollback()  # another process created it first


def _never_reuse_chunk_ids(engine: sqlalchemy.Engine) -> None:
    """A SQLite home made before chunk ids were AUTOINCREMENT gets its chunk table copied once into one that is
    (SQLite cannot add AUTOINCREMENT to a table); the write lock keeps other processes out meanwhile."""
    table = KbChunk.__table__
    columns = ", ".join(column.name for column in table.columns)
    with engine.connect() as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        sql = connection.exec_driver_sql(
            "select sql from sqlite_master where type = 'table' and name = 'kb_chunks'").scalar() or ""
        if "AUTOINCREMENT" not in sql.upper():
            connection.exec_driver_sql("ALTER TABLE kb_chunks RENAME TO kb_chunks_reused_ids")
            for index in table.indexes:
                connection.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
            table.create(connection)
            connection.exec_driver_sql(f"INSERT INTO kb_chunks ({columns}) SELECT {columns} FROM kb_chunks_reused_ids")
            connection.exec_driver_sql("DROP TABLE kb_chunks_reused_ids")
        connection.commit()


def bump_generation(session: Session) -> int:
    state = session.get(KbState, 1, with_for_update=True)
    state.generation += 1
    session.add(state)
    return state.generation


def bump_entries_version(session: Session) -> None:
    state = session.get(KbState, 1, with_for_update=True)
    state.entries_version += 1
    session.add(state)


TAKE_BATCH = 5000  # unreported changes deleted per IN list


def note_changed(session: Session, path: str) -> None:
    session.add(KbUnreportedChange(path=path))


def take_changed(engine: sqlalchemy.Engine) -> list[str]:
    """Every path changed since the last take, by this ingest or an interrupted one, removed as it is read."""
    with Session(engine) as session:
        rows = session.exec(select(KbUnreportedChange.id, KbUnreportedChange.path)).all()
        if not rows:
            return []
        ids = [row_id for row_id, _ in rows]
        for start in range(0, len(ids), TAKE_BATCH):
            session.exec(delete(KbUnreportedChange).where(KbUnreportedChange.id.in_(ids[start:start + TAKE_BATCH])))
        session.commit()
    return sorted({path for _, path in rows})


def versions(engine: sqlalchemy.Engine) -> tuple[int, int]:
    """(chunk generation, entries version): what a long-running process compares to notice others' changes."""
    with Session(engine) as session:
        state = session.get(KbState, 1)
        return (state.generation, state.entries_version) if state else (0, 0)


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="float32").tobytes()


def from_blobs(blobs: list[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype="float32")
    return np.frombuffer(b"".join(blobs), dtype="float32").reshape(len(blobs), -1).copy()


def documents_by_path(session: Session) -> dict[str, KbDocument]:
    return {doc.path: doc for doc in session.exec(select(KbDocument)).all()}
