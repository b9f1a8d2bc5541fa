"""Re-verification requests: one open request per verified answer at most (see ``bot.curation.reverify_answers``)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.columns import UTCDateTime

AGE = "age"
SOURCE_CHANGED = "source_changed"
FLAGGED = "flagged"  # waiting for the next re-verification run to ask
REQUESTED = "requested"  # asked, waiting for the champion
CONFIRMED = "confirmed"
OUTDATED_STATUS = "outdated"
STALE = "stale"
OPEN = (FLAGGED, REQUESTED)


class ReverificationRequest(SQLModel, table=True):
    __tablename__ = "reverification_requests"
    __table_args__ = (UniqueConstraint("open_for", name="uq_reverification_open"),)

    id: int | None = Field(default=None, primary_key=True)
    verified_answer_id: int = Field(foreign_key="verified_answers.id", index=True)
    open_for: int | None = None  # = verified_answer_id while open
    reason: str = Field(max_length=32)  # AGE | SOURCE_CHANGED
    documents: str = Field(default="[]")  # JSON: the changed documents, for SOURCE_CHANGED
    status: str = Field(default=FLAGGED, max_length=16, index=True)
    flagged_at: datetime = Field(sa_type=UTCDateTime)
    requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    period: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=255)
    # Where the request was shown; NULL for requests sent before this was recorded.
    platform: str | None = Field(default=None, max_length=32)
    channel: str | None = Field(default=None, max_length=255)
    message_id: str | None = Field(default=None, max_length=255)

    def document_list(self) -> list[str]:
        return json.loads(self.documents or "[]")
