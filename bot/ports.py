"""Ports the core defines and others implement: how it speaks (Messenger) and what time it is (Clock)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, Protocol, runtime_checkable

from bot.addresses import Address, MessageRef, Person
from bot.replies import Reply


class Unreachable(Exception):
    """The platform refused delivery to this person for good (uninstalled, blocked); do not retry."""


@runtime_checkable
class Messenger(Protocol):
    """Sends replies to a chat platform. Implementations live in adapters/.

    ``send`` posts into ``address`` (into its thread when ``address.thread`` is set) and returns the new message;
    ``update`` replaces a message the bot posted; ``open_dm`` returns the address of a direct conversation with
    the person (raises Unreachable if the platform cannot reach them).
    """

    platform: str

    def send(self, address: Address, reply: Reply) -> MessageRef: ...

    def update(self, message: MessageRef, reply: Reply) -> None: ...

    def open_dm(self, person: Person) -> Address: ...

    def link(self, message: MessageRef) -> str | None:
        """A URL to the message for "see the thread" links, or None if the platform has none."""
        ...


Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, always timezone-aware UTC; tests pass their own clock instead."""
    return datetime.now(timezone.utc)
