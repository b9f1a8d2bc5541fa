"""What people thought of an answer: buttons (helpful / not helpful) and reactions from anyone who is not
curating. Feedback never changes the knowledge base; it feeds the digests."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.columns import UTCDateTime


class Feedback(SQLModel, table=True):
    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="questions.id", index=True)
    person_id: str = Field(max_length=255)  # person key "platform:id"
    kind: str = Field(max_length=64)  # "helpful", "not_helpful", "+1", "-1" or another emoji name
    message_id: str | None = Field(default=None, max_length=255)
    at: datetime = Field(sa_type=UTCDateTime)
