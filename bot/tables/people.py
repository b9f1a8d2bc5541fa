"""People the bot has met (see ``bot.people.profiles``)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.columns import UTCDateTime


class PersonRow(SQLModel, table=True):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_people_platform_user"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=255)
    name: str | None = Field(default=None, max_length=255)  # the name shown: lorebot.toml's, else the platform's
    handle: str | None = Field(default=None, max_length=255, index=True)
    team: str | None = Field(default=None, max_length=255)  # lorebot.toml's, else from the platform's groups
    manager: str | None = Field(default=None, max_length=255)
    platform_name: str | None = Field(default=None, max_length=255)
    platform_team: str | None = Field(default=None, max_length=255)
    timezone: str | None = Field(default=None, max_length=64)
    # lorebot.toml's email, else the platform's: how a source's audience (emails) finds the person
    email: str | None = Field(default=None, max_length=320, index=True)
    platform_email: str | None = Field(default=None, max_length=320)
    fetched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # last asked, answered or not
