"""What one sync run did, for the command line (text and ``--json``), the job and the admins' views."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DocumentProblem:
    """A document that was not stored this run, named so an admin can find it: its key, its address, why."""

    key: str
    url: str | None
    reason: str

    def to_json(self) -> dict:
        return {"key": self.key, "url": self.url, "reason": self.reason}


@dataclass
class SyncReport:
    source: str
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    failures: list[DocumentProblem] = field(default_factory=list)  # kept at their last version, retried next run
    skipped: list[DocumentProblem] = field(default_factory=list)  # never stored: narrower access than the collection
    removal_blocked: str | None = None  # why documents gone from the source were not removed
    error: str | None = None  # the source could not be read at all
    busy: bool = False  # another process was syncing this source; this run did nothing
    changed_paths: list[str] = field(default_factory=list)  # stored documents changed or removed (re-verification)

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def ok(self) -> bool:
        """The source was read (per-document failures are listed, not fatal)."""
        return self.error is None

    def to_json(self) -> dict:
        return {"source": self.source, "added": self.added, "changed": self.changed, "unchanged": self.unchanged,
                "removed": self.removed, "failed": self.failed,
                "failures": [problem.to_json() for problem in self.failures],
                "skipped": [problem.to_json() for problem in self.skipped],
                "removal_blocked": self.removal_blocked, "error": self.error, "busy": self.busy}

    def counts(self) -> dict:
        """The figures kept as the source's last report."""
        return {"added": self.added, "changed": self.changed, "unchanged": self.unchanged, "removed": self.removed,
                "failed": self.failed, "skipped": len(self.skipped)}
