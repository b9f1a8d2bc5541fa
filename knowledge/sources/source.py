"""The seam every source implements, and the two ways a source can fail as a whole."""
from __future__ import annotations

from typing import Iterable, Iterator, Mapping, Protocol

from knowledge.errors import KnowledgeError
from knowledge.sources.documents import Change, Failed, Removed, SourceDocument, Stored, Unchanged


class SourceUnavailable(KnowledgeError):
    """The source cannot be read at all (refused credentials, an unreachable server, a sitemap that answers
    500): the run stops, removes nothing, and keeps its last checkpoint. The message names what failed."""


class ListingIncomplete(KnowledgeError):
    """The listing of live keys stopped part-way: absent keys prove nothing, so nothing is removed."""


class Source(Protocol):
    """A place documents live. Implementations are short: they list and fetch, and the engine does the rest.

    ``changes`` yields what changed since ``cursor`` (``None``: everything), in an order it can resume from: each
    ``Checkpoint`` says that what came before may be written and where a later run picks up. ``stored`` is what
    the knowledge base holds, so a source can skip what has not changed (conditional requests, version
    compares) without fetching it. A time-based cursor should overlap the previous window a little: documents
    seen twice cost nothing, documents missed would be lost.

    ``keys`` lists every live document cheaply (ids, not bodies); it raises ``ListingIncomplete`` when it cannot
    finish. ``fetch`` reads one document again (a failure from an earlier run is retried this way).

    A source that knows who may read what it syncs (a shared drive's members) may also offer ``audience()``,
    returning an ``Audience``, or None when it cannot tell; sources that never can leave it out."""

    def changes(self, cursor: str | None, stored: Mapping[str, Stored]) -> Iterator[Change]: ...

    def fetch(self, key: str, stored: Stored | None) -> SourceDocument | Unchanged | Removed | Failed: ...

    def keys(self) -> Iterable[str]: ...

    def close(self) -> None: ...
