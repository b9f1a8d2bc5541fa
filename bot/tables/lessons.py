"""Lessons learned: the weekly prompts and the replies in their threads (see ``bot.curation.lesson_capture``)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.columns import UTCDateTime

CANDIDATE = "candidate"
PROMOTING = "promoting"
PROMOTED = "promoted"


class LessonPrompt(SQLModel, table=True):
    """A posted "what did you learn this week?" prompt: its thread collects lessons."""

    __tablename__ = "lesson_prompts"
    __table_args__ = (UniqueConstraint("platform", "channel", "message_id", name="uq_lesson_prompts_message"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    channel: str = Field(max_length=255)
    message_id: str = Field(max_length=255)
    period: str = Field(default="", max_length=64)
    posted_at: datetime = Field(sa_type=UTCDateTime)


class Lesson(SQLModel, table=True):
    """One reply in a prompt's thread; ``status`` moves candidate -> promoted when a champion ✅s it."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("platform", "channel", "message_id", name="uq_lessons_message"),)

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="lesson_prompts.id", index=True)
    platform: str = Field(max_length=16)
    channel: str = Field(max_length=255)
    message_id: str = Field(max_length=255)
    author_id: str = Field(max_length=255)  # person key "platform:id"
    author_name: str | None = Field(default=None, max_length=255)
    author_handle: str | None = Field(default=None, max_length=255, index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    shared_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=CANDIDATE, max_length=16, index=True)
    promoted_by: str | None = Field(default=None, max_length=255)
    promoted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    entry_id: int | None = None
