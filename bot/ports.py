"""Ports the core defines and others implement: how it speaks (Messenger), what time it is (Clock), who people
are (PeopleSource) and what it asks of the knowledge base (Knowledge)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Iterable, Protocol, Sequence, runtime_checkable

from sqlalchemy.engine import Engine

from bot.addresses import Address, MessageRef, Person
from bot.replies import Reply

if TYPE_CHECKING:
    import numpy as np

    from knowledge.sources.reports import SyncReport
    from knowledge.sources.source import Source
    from knowledge.sources.syncing import SyncOptions
    from knowledge.types import Alias, Hit


class Unreachable(Exception):
    """The platform refused delivery to this person for good (uninstalled, blocked); do not retry."""


@runtime_checkable
class Messenger(Protocol):
    """Sends replies to a chat platform. Implementations live in adapters/.

    ``send`` posts into ``address`` (into its thread when ``address.thread`` is set) and returns the new message;
    ``update`` replaces a message the bot posted; ``open_dm`` returns the address of a direct conversation with
    the person (raises Unreachable if the platform cannot reach them); ``working`` tells the asker an answer is
    on its way.
    """

    platform: str

    def send(self, address: Address, reply: Reply) -> MessageRef: ...

    def update(self, message: MessageRef, reply: Reply) -> None: ...

    def open_dm(self, person: Person) -> Address: ...

    def link(self, message: MessageRef) -> str | None:
        """A URL to the message for "see the thread" links, or None if the platform has none."""
        ...

    def find_sent(self, address: Address, ref: str) -> MessageRef | None:
        """The bot's message sent with ``Reply.ref`` equal to ``ref`` in the thread ``address`` names, or None when
        there is none or the platform cannot tell. Recovery asks before sending again what a crash may have sent
        after the platform accepted it and before it was recorded."""
        ...

    def working(self, where: Address) -> None:
        """Shown while an answer is being written (a reaction, a typing indicator), so the asker knows Lorebot
        is on it when a model takes seconds. Best effort: it never raises, and nothing waits on it."""
        ...


@dataclass(frozen=True)
class Profile:
    """What a platform says about a person. ``groups`` are the platform's groups they belong to, by id and by
    handle (Slack user groups), which lorebot.toml's teams may name."""

    name: str | None = None
    timezone: str | None = None
    groups: tuple[str, ...] = ()
    email: str | None = None  # matched against the emails a source names as its readers


@runtime_checkable
class PeopleSource(Protocol):
    """Looks people up on their platform, so lorebot.toml need not list everyone. Implementations live in
    adapters/; ``profile`` returns None when the platform knows nothing, and may raise when it cannot be asked
    (the core then shows the id and asks again later)."""

    def profile(self, person: Person) -> Profile | None: ...


class NoPeopleSource:
    """For platforms with no directory (the console): nobody is looked up."""

    def profile(self, person: Person) -> Profile | None:
        return None


Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, always timezone-aware UTC; tests pass their own clock instead."""
    return datetime.now(timezone.utc)


class Knowledge(Protocol):
    """What the core, its extensions and the jobs call on the knowledge base (``knowledge.KnowledgeBase``).

    Written down here so the context is typed and a test can pass a smaller stand-in; the knowledge package
    itself stays free of ours (it is a library of its own and does not know this protocol).
    """

    @property
    def engine(self) -> Engine:
        """The database the knowledge base lives in; the bot's tables live beside its own."""
        ...

    def embed_question(self, question: str) -> "np.ndarray":
        """The question's vector, so one ask embeds its question once for search, entries and topics."""
        ...

    def search(self, query: str, k: int = 5, *, collections: Sequence[str] | None = None,
               mode: str = "hybrid", vector: "np.ndarray | None" = None) -> "list[Hit]": ...

    def similar_entries(self, question: str, n: int = 3, *, collections: Sequence[str] | None = None,
                        floor: float = ..., vector: "np.ndarray | None" = None) -> "list[Hit]": ...

    def add_entry(self, question: str, answer: str, *, source: str, verified_by: str,
                  collection: str = ...) -> int: ...

    def update_entry(self, entry_id: int, *, answer: str | None = None, stale: bool | None = None) -> None: ...

    def remove_entry(self, entry_id: int) -> None: ...

    def collections(self) -> list[str]:
        """Every collection holding documents or entries, so a reader's searchable set can be listed."""
        ...

    def entry(self, entry_id: int) -> "Hit | None": ...

    def same_question(self, query: str, wordings: "Sequence[tuple[str, np.ndarray]]", *,
                      collections: Sequence[str] | None = None, vector: "np.ndarray | None" = None,
                      floor: float = 0.0) -> list[float]:
        """How surely ``query`` asks what each wording asks: what carries feedback to rewordings."""
        ...

    def document_versions(self, paths: Iterable[str]) -> dict[str, str]:
        """Each stored document's content fingerprint: a changed one weakens what was learned about it."""
        ...

    def add_alias(self, entry_id: int, text: str, *, added_by: str) -> int | None: ...

    def remove_alias(self, alias_id: int) -> bool: ...

    def aliases(self, entry_id: int | None = None) -> "list[Alias]": ...

    def sync(self, name: str, source: "Source", options: "SyncOptions") -> "SyncReport":
        """Bring one source's documents in step with it (``knowledge.sources``)."""
        ...

    def entry_ids(self, *, created_before: datetime | None = None) -> list[int]: ...
