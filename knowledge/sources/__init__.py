"""Knowledge where it lives: sources (websites, Git repositories, Confluence, local folders) kept in step with
the knowledge base by one sync engine.

A source is a short module that lists what changed and fetches documents (``source.Source``); the engine
(``syncing.sync``) owns cursors, checkpoints, retries, deletion guards and the ingest path. Vendor clients are
imported only by the source that needs them, and only when it runs.
"""
from knowledge.sources.documents import (Access, Change, Checkpoint, Failed, OPEN, Removed, SourceDocument, Stored,
                                         Unchanged)
from knowledge.sources.source import ListingIncomplete, Source, SourceUnavailable

__all__ = ["Access", "Change", "Checkpoint", "Failed", "ListingIncomplete", "OPEN", "Removed", "Source",
           "SourceDocument", "SourceUnavailable", "Stored", "Unchanged"]
