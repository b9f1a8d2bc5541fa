"""Syncing the configured sources, for ``lorebot sync`` and the scheduled ``sync`` job alike.

The knowledge base does the work (``knowledge.sources``); what belongs to the bot is the configuration (which
collection, how much may be removed) and what a change means for curated knowledge: verified answers built on a
changed or removed document go back to their champions, as after a changed file.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

from bot.people import source_audiences
from bot.config import LorebotConfig
from bot.errors import LorebotError
from bot.curation.reverify_answers import flag_changed_sources
from knowledge.sources.reports import SyncReport
from knowledge.sources.source import Source
from knowledge.sources.syncing import SyncOptions


def chosen_sources(config: LorebotConfig, names: Iterable[str] = ()) -> list[str]:
    """The sources named (all configured ones when none is), checked against the configuration."""
    names = list(dict.fromkeys(names))
    unknown = [name for name in names if name not in config.sources]
    if unknown:
        known = ", ".join(config.sources) or "none: add a [sources.NAME] section to lorebot.toml"
        raise LorebotError(f"no source named {', '.join(unknown)} (configured: {known})")
    return names or list(config.sources)


def sync_sources(knowledge, config: LorebotConfig, opened: Mapping[str, Source], *, full: bool = False,
                 progress: bool = False, flagged: Callable[[int], None] | None = None) -> list[SyncReport]:
    """Sync each opened source in turn; one that cannot be read is reported and the others still run."""
    reports = []
    for name, source in opened.items():
        options = config.sources[name]
        report = knowledge.sync(name, source, SyncOptions(
            collection=options.collection_for(name), type=options.type, full=full,
            max_removal_share=options.max_removal_share, progress=progress,
            audience=options.visible_to_from_source))
        if report.changed_paths:
            count = flag_changed_sources(knowledge.engine, report.changed_paths)
            if flagged is not None and count:
                flagged(count)
        reports.append(report)
    book = source_audiences.of(config)
    if book is not None:
        book.refresh()  # this process reads what its syncs learned of who may read them at once
    return reports
