"""A lock one process at a time holds per store and name: a PostgreSQL advisory lock, or a file lock beside SQLite.

It says "only one of us does this": one active scheduler per store, one sync of a source at a time. The lock is
held by a dedicated connection (or open file) for as long as the work lasts; if the process dies, the server (or
the kernel) releases it at once, so a standby scheduler takes over, or the next sync resumes a killed one
without waiting for a lease to run out.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine



class StoreLock:
    """``acquire()`` returns True when this process holds the lock called ``name``; it never blocks."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._connection: Connection | None = None
        self._file: int | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def acquire(self) -> bool:
        if self._held:
            return True
        if self.engine.dialect.name == "postgresql":
            self._held = self._acquire_postgres()
        elif self.engine.dialect.name == "sqlite":
            self._held = self._acquire_file()
        else:  # another database: the period claims still keep runs exactly-once
            self._held = True
        return self._held

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("select pg_advisory_unlock(:key)"), {"key": self.key()})
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            os.close(self._file)
            self._file = None
        self._held = False

    def key(self) -> int:
        """A signed 64-bit key from the name, the database and the schema, so locks of different stores never
        collide."""
        with self.engine.connect() as connection:
            where = connection.execute(text("select current_database() || '.' || current_schema()")).scalar()
        digest = hashlib.sha256(f"{self.name}:{where}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def _acquire_postgres(self) -> bool:
        key = self.key()
        connection = self.engine.connect()
        got = bool(connection.execute(text("select pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        connection.commit()  # the session-level lock outlives the transaction
        if got:
            self._connection = connection
        else:
            connection.close()
        return got

    def lock_path(self) -> Path | None:
        database = self.engine.url.database
        if not database or database == ":memory:":
            return None
        label = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.name.removeprefix("lorebot-"))
        if label != self.name.removeprefix("lorebot-"):
            label += "-" + hashlib.sha256(self.name.encode()).hexdigest()[:8]  # names that differ only in symbols
        return Path(database).resolve().with_name(f"{Path(database).name}.{label}.lock")

    def _acquire_file(self) -> bool:
        path = self.lock_path()
        if path is None:
            return True  # a private in-memory database cannot be shared by two schedulers
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._file = fd
        return True

    def __enter__(self) -> "StoreLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
