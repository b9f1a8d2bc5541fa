"""The wordings being routed, one question per wording (see ``bot.asking.joining``)."""
from __future__ import annotations

from sqlmodel import Field, SQLModel


class OpenWording(SQLModel, table=True):
    """The question routed for a wording. A row whose question is answered is stale, and taken over (by a
    conditional update) by the next question routed in those words."""

    __tablename__ = "open_wordings"

    platform: str = Field(primary_key=True, max_length=16)
    text_key: str = Field(primary_key=True, max_length=500)
    question_id: int = Field(index=True)
