"""Events the adapters hand to the core, already translated from platform payloads.

``event_id`` is the platform's delivery id (Slack ``event_id``, Teams activity id, a counter in the console);
the core records it under a unique key so a retried delivery changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.addresses import Address, MessageRef, Person


@dataclass(frozen=True)
class Ask:
    """A question: a DM, a mention (mention text already stripped) or a slash command.

    ``where`` is the conversation and thread to answer in; ``message_id`` the question's own message id
    (None for a slash command). ``attachments`` are names of files the bot could not read. ``private`` is True
    in a direct message: the asker alone reads the reply, so it may show what that person may read.
    """

    event_id: str
    person: Person
    text: str
    where: Address
    message_id: str | None = None
    attachments: tuple[str, ...] = field(default_factory=tuple)
    private: bool = False


@dataclass(frozen=True)
class ThreadReply:
    """A human reply in a thread the bot is part of (a champion answering, a lesson being shared)."""

    event_id: str
    person: Person
    text: str
    where: Address  # thread = the thread's root message id
    message_id: str


@dataclass(frozen=True)
class Reaction:
    """An emoji added to or removed from a message. ``emoji`` uses Slack's short names
    ("white_check_mark", "x", "pushpin", "+1", "-1"); other adapters map theirs to these."""

    event_id: str
    person: Person
    emoji: str
    added: bool
    message: MessageRef


@dataclass(frozen=True)
class Action:
    """A button or card action. ``name`` is one of bot.replies.ACTION_NAMES; ``value`` the id it acts on."""

    event_id: str
    person: Person
    name: str
    value: str
    where: Address


@dataclass(frozen=True)
class Edit:
    """Someone changed the text of a message posted earlier (Slack ``message_changed``, Teams ``messageUpdate``).

    ``message_id`` is the edited message, ``where`` its conversation (and thread, when the platform says),
    ``text`` the new text and ``person`` who edited it: only the message's author's edits count."""

    event_id: str
    person: Person
    text: str
    where: Address
    message_id: str


Event = Ask | ThreadReply | Reaction | Action | Edit
