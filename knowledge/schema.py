"""Creating tables when several processes start on one database at the same moment.

``create_all`` checks which tables exist, then creates the missing ones; two processes doing that at once both
see a table missing and the slower one fails with "table already exists" (measured: one start in five on a fresh
SQLite home). So the check and the creation run in one transaction that first takes the database's own write
lock: ``BEGIN IMMEDIATE`` on SQLite (the busy timeout makes the others wait), a transaction-scoped advisory lock
on PostgreSQL. The second process then finds every table there and creates nothing.
"""
from __future__ import annotations

import logging
from typing import Iterable

import sqlalchemy
from sqlalchemy import Table
from sqlmodel import SQLModel

log = logging.getLogger(__name__)

SCHEMA_LOCK = 0x4C6F7265  # "Lore": the advisory lock key every Lorebot process takes to create tables


def create_tables(engine: sqlalchemy.Engine, tables: Iterable[Table]) -> None:
    """Create the missing ones of ``tables`` (existing tables and rows are left alone), safely alongside other
    processes doing the same."""
    tables = list(tables)
    with engine.connect() as connection:
        _lock(connection)
        try:
            SQLModel.metadata.create_all(connection, tables=tables)
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    _add_missing_columns(engine, tables)
    _add_missing_indexes(engine, tables)


def _lock(connection: sqlalchemy.Connection) -> None:
    """Begin a transaction holding the database's schema lock (see above)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.begin()
        if connection.dialect.name == "postgresql":
            connection.execute(sqlalchemy.text("select pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})


def _add_missing_columns(engine: sqlalchemy.Engine, tables: list[Table]) -> None:
    """Columns declared after their table was first created, for the same reason as indexes below. A column
    added this way must be nullable or carry a server default, so the rows already there stay valid; one that
    cannot be added stops the start with the database's reason (the code would fail on every query)."""
    inspector = sqlalchemy.inspect(engine)
    for table in tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        missing = [column for column in table.columns if column.name not in present]
        if not missing:
            continue  # the usual case: no lock taken, nothing written at start
        with engine.connect() as connection:
            _lock(connection)
            try:
                again = {column["name"] for column in sqlalchemy.inspect(connection).get_columns(table.name)}
                compiler = connection.dialect.ddl_compiler(connection.dialect, None)
                for column in missing:
                    if column.name in again:
                        continue  # another process added it while this one waited for the lock
                    spec = compiler.get_column_specification(column)
                    connection.exec_driver_sql(f"ALTER TABLE {compiler.preparer.format_table(table)} ADD COLUMN {spec}")
                    log.info("added column %s.%s", table.name, column.name)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise


def _add_missing_indexes(engine: sqlalchemy.Engine, tables: list[Table]) -> None:
    """Indexes declared after their table was first created: ``create_all`` skips an existing table whole, so
    a database made by an earlier version would never get them. Each is added in its own transaction; one that
    cannot be (existing rows break a new unique rule) is logged, and the process still starts."""
    inspector = sqlalchemy.inspect(engine)
    for table in tables:
        present = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name in present:
                continue  # the usual case: no lock taken, nothing written at start
            with engine.connect() as connection:
                _lock(connection)
                try:
                    index.create(connection, checkfirst=True)
                    connection.commit()
                except sqlalchemy.exc.SQLAlchemyError as exc:
                    connection.rollback()
                    log.warning("could not add index %s to %s (%s)", index.name, table.name,
                                exc.__class__.__name__)
