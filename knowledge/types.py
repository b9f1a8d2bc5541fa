"""Plain result types of the knowledge base, shared with its callers.

They are frozen dataclasses so the bot can keep and compare them without touching the store.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Hit:
    """One search result: a document chunk or a curated entry.

    ``key`` is stable across re-ingests of unchanged content ("chunk:<id>" or "entry:<id>"), so the bot can
    remember that a champion rejected this source for a question.
    """

    key: str
    kind: str  # "chunk" | "entry"
    title: str  # document title, or the entry's question
    source: str  # display path, e.g. "Handbook › Leave › Parental leave"
    heading: str  # heading path inside the document ("" for entries)
    text: str  # the chunk text, or the entry's answer
    score: float  # fused ranking score (higher is better; only comparable within one search)
    confidence: float  # calibrated to [0, 1]; the bot thresholds it
    collection: str
    document: str = ""  # document path/uri the chunk came from ("" for entries)
    relative_path: str = ""  # that path under the folder it was ingested from (a lone file: its name)
    url: str | None = None  # the document's own web address (front matter ``url:``, HTML canonical link)
    entry_id: int | None = None
    verified_by: str | None = None
    verified_at: datetime | None = None  # when the entry was verified
    stale: bool = False
    # An entry's word contrast with the question (``knowledge.wording``): above 0, an informative word differs,
    # which a judge that reads both questions can weigh better than the match confidence can.
    contrast: float = 0.0

    @property
    def is_verified(self) -> bool:
        return self.kind == "entry" and not self.stale


@dataclass(frozen=True)
class Alias:
    """A learned wording of a verified entry's question."""

    id: int
    entry_id: int
    text: str
    added_by: str
    created_at: datetime
    entry_question: str


@dataclass(frozen=True)
class DocumentInfo:
    """One stored document as an administrator lists it."""

    path: str
    title: str
    collection: str
    chunks: int
    ingested_at: datetime  # aware, UTC: when its current content was stored


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass
class IngestReport:
    """What one ingest run did; the CLI prints it and the bot uses ``changed`` to re-verify answers."""

    documents_added: int = 0
    documents_changed: int = 0
    documents_unchanged: int = 0
    documents_removed: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # document paths whose content changed or was removed

    @property
    def documents_seen(self) -> int:
        return self.documents_added + self.documents_changed + self.documents_unchanged

    @property
    def nothing_readable(self) -> bool:
        """Files were given but not one could be read: the run stored and matched nothing."""
        return bool(self.skipped) and self.documents_seen == 0 and self.documents_removed == 0
