"""The scheduler's own bookkeeping: which job periods ran, and what each run still has to send.

Both guarantees live in unique keys: a period is claimed once (job, period), and each message to a recipient
exists once (job, period, recipient), so restarts, catch-ups and a second replica cannot repeat a run or a send.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from knowledge import schema

from bot.columns import UTCDateTime

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
UNREACHABLE = "unreachable"
FAILED = "failed"


class JobRun(SQLModel, table=True):
    """One claimed period of one job; the row exists before anything is sent."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_runs_period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=32)
    period: str = Field(max_length=64)
    scheduled_for: datetime = Field(sa_type=UTCDateTime)  # the data time the run computed for
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    messages: int = 0


class OutboxMessage(SQLModel, table=True):
    """One message of one run, rendered once and stored, so a resumed send delivers the very same content."""

    __tablename__ = "job_outbox"
    __table_args__ = (UniqueConstraint("job", "period", "recipient", name="uq_job_outbox_recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=32, index=True)
    period: str = Field(max_length=64)
    recipient: str = Field(max_length=255)  # "dm:<handle>", "channel:<platform>:<id>", ...
    platform: str = Field(max_length=16)
    kind: str = Field(max_length=16)  # "dm" (target = person id) | "channel" (target = channel id)
    target: str = Field(max_length=255)
    thread: str | None = Field(default=None, max_length=255)
    reply: str = Field(sa_column=Column(Text, nullable=False))  # JSON of bot.replies.Reply
    meta: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON the job reads after sending
    status: str = Field(default=PENDING, max_length=16, index=True)
    attempts: int = 0
    attempted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_id: str | None = Field(default=None, max_length=255)
    channel: str | None = Field(default=None, max_length=255)  # where it landed (the DM channel for a DM)


def create_tables(engine: Engine) -> None:
    """Create the scheduler's tables if missing."""
    schema.create_tables(engine, [JobRun.__table__, OutboxMessage.__table__])
