"""Saved references for reaching people and conversations later (see ``bot.people.contacts``)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.columns import UTCDateTime

KINDS = ("user", "channel", "thread", "message")


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("platform", "key", name="uq_contacts_platform_key"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    key: str = Field(max_length=255)  # a user id, a conversation / channel / thread id, or a message's place
    kind: str = Field(max_length=16)  # "user" | "channel" | "thread" | "message"
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # adapter's own JSON
    unreachable: bool = False
    updated_at: datetime = Field(sa_type=UTCDateTime)
