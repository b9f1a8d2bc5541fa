"""What people's judgments of answers taught the bot: one row per person, question and document.

A row is its own audit record (who judged, when, on which question, and the document's content then); the
answer decision reads the rows (``bot.asking.preferences``) and an admin lists or removes them
(``lorebot feedback``). One person judging one document for one question counts once: a change of mind
updates the row rather than adding a vote.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.columns import UTCDateTime

HELPFUL = "helpful"  # the asker said the answer helped
NOT_HELPFUL = "not_helpful"  # the asker said it did not
REJECTED = "rejected"  # a champion's ❌: the source does not answer the question
KINDS = (HELPFUL, NOT_HELPFUL, REJECTED)


class LearnedPreference(SQLModel, table=True):
    __tablename__ = "learned_preferences"
    __table_args__ = (UniqueConstraint("question_id", "person_id", "document", name="uq_learned_preferences_vote"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="questions.id", index=True)
    question_text: str = Field(sa_column=Column(Text, nullable=False))
    question_vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # float32, the embedding
    person_id: str = Field(max_length=255)  # person key "platform:id": who judged
    kind: str = Field(max_length=16)  # HELPFUL | NOT_HELPFUL | REJECTED
    document: str = Field(sa_column=Column(Text, nullable=False))  # the judged source's document path
    title: str = Field(default="", sa_column=Column(Text, nullable=False))  # its title then, for listings
    passage_key: str = Field(max_length=255)  # the passage shown ("chunk:<id>")
    content_hash: str | None = Field(default=None, max_length=128)  # the document's content when judged
    audience: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # the question's (JSON list)
    at: datetime = Field(sa_type=UTCDateTime)
