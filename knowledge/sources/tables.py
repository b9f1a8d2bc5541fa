"""What the sync engine remembers of each source between runs: where to start, how the last run went, and the
documents that failed and wait for another try. The documents themselves are ordinary knowledge-base rows
(``KbDocument``) under the root ``source:NAME``, with the source's version beside their content hash."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from knowledge import schema
from knowledge.store import utcnow


class KbSourceState(SQLModel, table=True):
    """One row per source, by its name in lorebot.toml."""

    __tablename__ = "kb_source_state"

    name: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=32)
    collection: str
    cursor: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # where the next run starts
    checkpoint: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # an unfinished run's
    started_at: datetime | None = None  # the last run's start
    finished_at: datetime | None = None  # the last run's end, however it ended
    succeeded_at: datetime | None = None  # the last run that read the whole source
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # None after a success
    last_report: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON of its counts
    # Who may read what the source syncs, as it last said (JSON of an Audience; "null": it cannot tell), kept
    # only for a source with visible_to_from_source; None when never asked.
    audience: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    audience_at: datetime | None = None


class KbSourceFailure(SQLModel, table=True):
    """A document that could not be fetched or read: it keeps its last good version and is retried every run
    until it succeeds or the source says it is gone."""

    __tablename__ = "kb_source_failures"
    __table_args__ = (UniqueConstraint("source", "key", name="uq_kb_source_failures_key"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64, index=True)
    key: str = Field(sa_column=Column(Text, nullable=False))
    url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    first_failed_at: datetime = Field(default_factory=utcnow)
    last_failed_at: datetime = Field(default_factory=utcnow)
    attempts: int = 1


SOURCE_TABLES = [KbSourceState.__table__, KbSourceFailure.__table__]


def create_tables(engine: sqlalchemy.Engine) -> None:
    schema.create_tables(engine, SOURCE_TABLES)
