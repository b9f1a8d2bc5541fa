"""Where things happen, in platform-neutral terms.

An address is opaque to the core: only the adapter that made it knows what the ids mean.
"""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Person:
    """Someone on a chat platform. ``id`` is the platform's own user id."""

    platform: str  # "slack" | "teams" | "console"
    id: str
    name: str | None = None

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.id}"


@dataclass(frozen=True)
class Address:
    """A conversation, optionally narrowed to one thread.

    ``channel`` is the platform's conversation id (a DM channel counts); ``thread`` is the id of the thread's
    root message, or None for the conversation itself.
    """

    platform: str
    channel: str
    thread: str | None = None

    def in_thread(self, thread: str | None) -> "Address":
        return replace(self, thread=thread)

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.channel}:{self.thread or ''}"


@dataclass(frozen=True)
class MessageRef:
    """A message the bot (or someone) posted: where it is and its platform id (Slack ts, Teams activity id)."""

    address: Address
    message_id: str
