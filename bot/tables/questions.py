"""Questions and everything said about them: the bot's answers, the routed posts, the champions' answers.

The unique key on (platform, channel, message_id) is what makes an ask exactly-once: a retried or doubled
delivery of the same message cannot insert a second question, whichever replica receives it.
"""
from __future__ import annotations

import json
import re
from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint, false
from sqlmodel import Field, Session, SQLModel, select

from bot.columns import UTCDateTime

STATUSES = ("answered", "suggested", "routed", "joined", "champion_answered", "verified", "closed")


def text_key(text: str) -> str:
    """The question reduced for "same question" comparisons (case, spacing and end punctuation ignored)."""
    return re.sub(r"\s+", " ", text).strip().strip("?!. ").lower()[:500]


class Question(SQLModel, table=True):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("platform", "channel", "message_id", name="uq_questions_message"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    asker_id: str = Field(max_length=255, index=True)
    asker_name: str | None = Field(default=None, max_length=255)
    asker_handle: str | None = Field(default=None, max_length=255)
    channel: str = Field(max_length=255)
    thread: str | None = Field(default=None, max_length=255, index=True)  # root of the asker's thread
    message_id: str | None = Field(default=None, max_length=255)
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_key: str = Field(default="", max_length=500, index=True)
    status: str = Field(max_length=32, index=True)
    topic: str | None = Field(default=None, max_length=255, index=True)
    confidence: float | None = None
    asked_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    routed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    champion_answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_by: str | None = Field(default=None, max_length=255)
    resolved_by: str | None = Field(default=None, max_length=16)
    routed_channel: str | None = Field(default=None, max_length=255)
    routed_thread: str | None = Field(default=None, max_length=255)
    nudge_count: int = 0
    last_nudged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated: bool = False
    # Asked in a direct message: its words are the asker's own, never quoted to anyone else (digests).
    private: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # The restricted collections it concerns (JSON list, bot.people.audiences): who may read its verified answer,
    # and which channels may see it routed.
    audience: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    # Asked again while an equivalent question was open: the open one it joined (status "joined" until that one
    # is answered), so its asker gets the same answer (bot.asking.joining).
    joined_to: int | None = Field(default=None, index=True)

    @property
    def asker_key(self) -> str:
        return f"{self.platform}:{self.asker_id}"


class AnswerShown(SQLModel, table=True):
    """What the bot said to the asker: an answer with sources, or its "not sure" reply with the nearest hits."""

    __tablename__ = "answers_shown"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="questions.id", index=True)
    message_id: str | None = Field(default=None, max_length=255, index=True)
    confidence: float | None = None
    status: str = Field(max_length=16)  # "answered" | "suggested" | "unsure"
    sources: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON: [{key,title,document,...}]
    answer_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    shown_at: datetime = Field(sa_type=UTCDateTime)

    def source_list(self) -> list[dict]:
        return json.loads(self.sources or "[]")


def latest_shown(session: Session, question_id: int) -> AnswerShown | None:
    """What the bot last said to the asker about this question: what their buttons and reactions judge."""
    return session.exec(select(AnswerShown).where(AnswerShown.question_id == question_id)
                        .order_by(AnswerShown.id.desc())).first()


class RoutedPost(SQLModel, table=True):
    """One post asking champions for help (a champions' channel thread, or one DM per champion)."""

    __tablename__ = "routed_posts"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="questions.id", index=True)
    platform: str = Field(max_length=16)
    channel: str = Field(max_length=255)
    message_id: str = Field(max_length=255, index=True)
    recipient_id: str | None = Field(default=None, max_length=255)  # person key for a DM, None for a channel
    posted_at: datetime = Field(sa_type=UTCDateTime)


class ChampionAnswer(SQLModel, table=True):
    """A champion's reply in a routed thread, and where the bot relayed it (reactions may land on either).

    Passing it on (the relay to the asker, the thanks to the champion) follows the commit of this row, so a crash
    can cut it off: until ``passed_on_at`` is set the row is leased to whoever is passing it on (the handler
    first, then ``bot.recovery.followup_recovery``, which takes it over with a conditional UPDATE once the lease has run
    out). Rows recorded before this was kept have no lease and are never passed on again.
    """

    __tablename__ = "champion_answers"
    __table_args__ = (UniqueConstraint("question_id", "message_id", name="uq_champion_answers_message"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="questions.id", index=True)
    champion_id: str = Field(max_length=255)  # person key "platform:id"
    champion_name: str | None = Field(default=None, max_length=255)
    text: str = Field(sa_column=Column(Text, nullable=False))
    message_id: str = Field(max_length=255, index=True)
    relay_message_id: str | None = Field(default=None, max_length=255, index=True)  # in the asker's thread
    ack_message_id: str | None = Field(default=None, max_length=255, index=True)  # in the routed thread
    answered_at: datetime = Field(sa_type=UTCDateTime)
    channel: str | None = Field(default=None, max_length=255)  # where the champion replied: the routed thread,
    thread: str | None = Field(default=None, max_length=255)  # or the asker's own
    pass_on_leased_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    pass_on_takeovers: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    passed_on_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
