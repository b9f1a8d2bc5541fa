"""Claims that make handling exactly-once: each delivery id (``ProcessedEvent``) and each asked message
(``AskClaim``, see ``bot.asking.ask_claims``) is claimed once under a unique key, so a retry, a doubled delivery or a
second replica finds the claim taken and does nothing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
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


class AskClaim(SQLModel, table=True):
    __tablename__ = "ask_claims"
    __table_args__ = (UniqueConstraint("platform", "message_key", name="uq_ask_claims_message"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    message_key: str = Field(max_length=520)  # see message_key()
    event_id: str = Field(max_length=255)  # the delivery holding (or that completed) the claim
    holder: str = Field(max_length=32)  # a random token per attempt: who may complete it
    leased_until: datetime = Field(sa_type=UTCDateTime)
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    question_id: int | None = Field(default=None, index=True)  # None for an empty ask (only a hint was sent)
    takeovers: int = 0
    # The ask itself (JSON, see ask_claims.ask_json) while the claim is open, so recovery can answer a message
    # whose attempt died before recording it; cleared once the question is recorded.
    ask: str | None = Field(default=None, sa_type=Text)
