"""Champions' curation: verified answers, rejected sources and the audit trail of every curating act.

A verified answer lives twice: as an entry in the knowledge base (so search finds it first) and as a row
here (who verified it, from which question and documents), which re-verification and digests read.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.columns import UTCDateTime


_ACTIVE = text("status = 'active'")


class VerifiedAnswer(SQLModel, table=True):
    __tablename__ = "verified_answers"
    # One active verification per answer: a ✅ and a Verify click at the same moment must not both turn one
    # answer into knowledge (the second insert fails on these and is told "already verified").
    __table_args__ = (
        Index("uq_verified_answers_active_reply", "champion_answer_id", unique=True, sqlite_where=_ACTIVE,
              postgresql_where=_ACTIVE),
        Index("uq_verified_answers_active_shown", "answer_shown_id", unique=True, sqlite_where=_ACTIVE,
              postgresql_where=_ACTIVE),
    )

    id: int | None = Field(default=None, primary_key=True)
    question_id: int | None = Field(default=None, foreign_key="questions.id", index=True)
    topic: str | None = Field(default=None, max_length=255, index=True)
    question_text: str = Field(sa_column=Column(Text, nullable=False))
    answer_text: str = Field(sa_column=Column(Text, nullable=False))
    champion_id: str = Field(max_length=255)  # person key "platform:id"
    champion_name: str | None = Field(default=None, max_length=255)
    entry_id: int | None = Field(default=None, index=True)  # the knowledge base entry
    source_documents: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list of paths
    champion_answer_id: int | None = Field(default=None, foreign_key="champion_answers.id", index=True)
    answer_shown_id: int | None = Field(default=None, foreign_key="answers_shown.id", index=True)
    verified_at: datetime = Field(sa_type=UTCDateTime)
    last_verified_at: datetime = Field(sa_type=UTCDateTime)
    pinned: bool = False
    stale: bool = False
    status: str = Field(default="active", max_length=16, index=True)  # "active" | "removed"
    # Announcing it in the asker's thread follows the commit: leased to the sender, taken over after a crash by
    # bot.recovery.followup_recovery (None on rows recorded before this was kept: never announced again).
    announce_leased_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    announce_takeovers: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    announced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def documents(self) -> list[str]:
        return json.loads(self.source_documents or "[]")


class Rejection(SQLModel, table=True):
    """A champion said this source does not answer this question; the bot stops offering it for it."""

    __tablename__ = "rejections"
    __table_args__ = (UniqueConstraint("question_id", "hit_key", name="uq_rejections_question_hit"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="questions.id", index=True)
    hit_key: str = Field(max_length=255)
    by: str = Field(max_length=255)  # person key
    at: datetime = Field(sa_type=UTCDateTime)


class CurationAudit(SQLModel, table=True):
    __tablename__ = "curation_audit"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: str = Field(max_length=255)  # person key
    action: str = Field(max_length=32)  # verify, unverify, reject, unreject, pin, unpin, ...
    question_id: int | None = Field(default=None, index=True)
    verified_answer_id: int | None = Field(default=None, index=True)
    reason: str | None = Field(default=None, max_length=500)
    at: datetime = Field(sa_type=UTCDateTime)
