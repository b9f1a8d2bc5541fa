"""The values a source hands the sync engine: documents, and what it learned about the others.

A source speaks only in these few values, so one engine can own everything that is hard about keeping a copy in
step with the original (cursors, checkpoints, retries, deletion guards, embedding) and a new source stays a short
module. Keys are the source's own stable identity for a document (a page id, a path in a repository, a page's
address under the site), never a display name: a renamed Confluence page keeps its key, so it is changed, not
removed and added.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Access:
    """Who may read a document, as its source reports it.

    ``restricted`` means the source narrows this document below the container it is synced from (a Confluence
    page with view restrictions in an open space, a file shared with fewer people than its folder). Lorebot
    cannot map those people onto a collection's audience, so the engine skips such a document and reports it:
    a restriction is never widened to everyone who may read the collection."""

    restricted: bool = False
    detail: str = ""  # what the restriction is, for the report ("view restricted to 2 people")


OPEN = Access()


@dataclass(frozen=True)
class SourceDocument:
    """One document as it is now: its bytes are parsed by the same loaders (and caps) as files on disk."""

    key: str
    data: bytes
    media_type: str  # text/markdown, text/plain, text/html, application/pdf, the Word type (see loaders)
    title: str | None = None  # None: the loader finds one (first heading, else the key's last part)
    url: str | None = None  # where people read it; shown as the answer's link
    modified: datetime | None = None  # when the source says it last changed (aware)
    author: str | None = None
    version: str | None = None  # the source's own version (ETag, blob id, page version): unchanged costs nothing
    access: Access = OPEN


@dataclass(frozen=True)
class Unchanged:
    """The source knows this document has not changed since it was stored (a 304, an equal version)."""

    key: str
    version: str | None = None  # a newer version tag for the same content, kept for the next comparison
    modified: datetime | None = None  # a newer change date for the same content (a sitemap's lastmod), kept too


@dataclass(frozen=True)
class Removed:
    """The source says this document is gone (a 404 or 410, a deletion in a commit). Removal still passes the
    engine's guards, as a document missing from the key listing does."""

    key: str
    reason: str = "gone from the source"


@dataclass(frozen=True)
class Failed:
    """This document could not be fetched or read this time. It keeps its last good version, is retried on the
    next run, and is never taken for a deletion."""

    key: str
    url: str | None
    reason: str


@dataclass(frozen=True)
class Checkpoint:
    """Everything the source yielded before this point may be written; a run that stops after it resumes from
    ``cursor``. The last checkpoint of a finished run is where the next run starts (``None``: from scratch)."""

    cursor: str | None


Change = SourceDocument | Unchanged | Removed | Failed | Checkpoint


@dataclass(frozen=True)
class Audience:
    """Who may read what a source syncs, as the source says it (a shared drive's, a site's or a space's members):
    people by email and groups by email or name. ``visible_to_from_source`` turns it into the collection's
    audience; a source that cannot tell returns None from ``Source.audience`` instead."""

    emails: frozenset[str] = frozenset()  # people, lower-case
    groups: frozenset[str] = frozenset()  # groups the source names but could not list the members of
    anyone: bool = False  # shared with everyone (in the organisation, or with a link): no restriction to add

    def to_json(self) -> dict:
        return {"emails": sorted(self.emails), "groups": sorted(self.groups), "anyone": self.anyone}

    @classmethod
    def from_json(cls, data: dict) -> "Audience":
        return cls(emails=frozenset(data.get("emails") or ()), groups=frozenset(data.get("groups") or ()),
                   anyone=bool(data.get("anyone")))


@dataclass(frozen=True)
class Stored:
    """What the knowledge base holds of one document, for the source to skip work on unchanged ones."""

    key: str
    version: str | None
    modified: datetime | None
    url: str | None
