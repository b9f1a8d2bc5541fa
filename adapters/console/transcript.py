"""The console's messages, kept in the database so their ids ("m12") outlive a chat session.

A question asked yesterday is still answerable today with ``/reply m12``: the id is the row's own key, so two
sessions (or a chat and a `lorebot jobs run` writing nudges) never hand out the same id.
"""
from __future__ import annotations

import json

from sqlalchemy import Column, Text
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from knowledge import schema

from bot.addresses import Address
from bot.replies import Reply, ReplyAction

PREFIX = "m"


class ConsoleMessageRow(SQLModel, table=True):
    __tablename__ = "console_messages"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=255)
    thread: str | None = Field(default=None, max_length=64)
    author: str = Field(max_length=255)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    from_bot: bool = False
    actions: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # [[name, value, label], ...]


def create_tables(engine: Engine) -> None:
    schema.create_tables(engine, [ConsoleMessageRow.__table__])


def message_id(row_id: int) -> str:
    return f"{PREFIX}{row_id}"


def row_id(message_id: str) -> int | None:
    """The row behind "m12"; None for anything that is not a console message id."""
    digits = message_id.strip().lower().removeprefix(PREFIX)
    return int(digits) if digits.isdigit() and len(digits) < 18 else None


def insert(engine: Engine, address: Address, author: str, text: str, reply: Reply | None) -> int:
    row = ConsoleMessageRow(channel=address.channel, thread=address.thread, author=author, text=text,
                            from_bot=reply is not None, actions=_actions(reply))
    with Session(engine) as session:
        session.add(row)
        session.commit()
        return row.id


def update(engine: Engine, message_id: str, text: str, reply: Reply | None) -> None:
    number = row_id(message_id)
    with Session(engine) as session:
        row = session.get(ConsoleMessageRow, number) if number is not None else None
        if row is None:
            return
        row.text, row.actions = text, _actions(reply)
        session.add(row)
        session.commit()


def load(engine: Engine, message_id: str) -> ConsoleMessageRow | None:
    number = row_id(message_id)
    with Session(engine) as session:
        row = session.get(ConsoleMessageRow, number) if number is not None else None
        if row is not None:
            session.expunge(row)
        return row


def reply_of(row: ConsoleMessageRow) -> Reply | None:
    """What the bot said, with its buttons (None for what a person typed)."""
    if not row.from_bot:
        return None
    return Reply(text=row.text, actions=tuple(ReplyAction(*action) for action in json.loads(row.actions)))


def _actions(reply: Reply | None) -> str:
    return json.dumps([[a.name, a.value, a.label] for a in reply.actions] if reply else [])
