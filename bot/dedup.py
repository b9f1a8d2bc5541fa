"""Exactly-once event handling: each delivery id is claimed once under a unique key, so a retry, a doubled
delivery or a second replica finds the claim taken and does nothing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.columns import UTCDateTime


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("platform", "event_id", name="uq_processed_events"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    event_id: str = Field(max_length=255)
    kind: str = Field(max_length=32)
    at: datetime = Field(sa_type=UTCDateTime)
