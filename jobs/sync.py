"""The ``sync`` job: each source in lorebot.toml on its own schedule, exactly once across replicas.

A source's fire time is claimed like any job's period (``job_runs``, job ``sync``, period ``NAME@local time``),
so a second replica finds it claimed; the sync itself runs outside that transaction and holds the source's store
lock, so a sync by hand at the same moment finds the source busy instead of doing the work twice. A run that dies
part-way is resumed by the next fire from the source's checkpoint. Unlike the other jobs it sends nobody
anything: failures show in ``lorebot sources``, App Home and the admins' digest.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Mapping

from sqlalchemy.exc import IntegrityError

from bot.context import LorebotContext
from bot.source_sync import sync_sources
from jobs.periods import period_key
from jobs.tables import JobRun
from knowledge.sources.reports import SyncReport
from knowledge.sources.source import Source

log = logging.getLogger("lorebot.jobs")

NAME = "sync"
PREFIX = NAME + ":"  # "sync:intranet": one schedule per source beside the other jobs


def job_key(source: str) -> str:
    return PREFIX + source


def source_of(key: str) -> str | None:
    """The source a scheduler key is for; None for the other jobs."""
    return key[len(PREFIX):] if key.startswith(PREFIX) else None


def run_due(ctx: LorebotContext, sources: Mapping[str, Source], source: str, fire: datetime) -> SyncReport | None:
    """Sync ``source`` for its fire time unless that fire was claimed already (here or by another replica)."""
    period = f"{source}@{period_key(fire, ctx.config.tz)}"
    now = ctx.now()
    with ctx.session() as session:
        run = JobRun(job=NAME, period=period, scheduled_for=fire, claimed_at=now)
        session.add(run)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
        run_id = run.id
    report = run_now(ctx, {source: sources[source]})[0]
    with ctx.session() as session:
        run = session.get(JobRun, run_id)
        run.finished_at = ctx.now()
        session.add(run)
        session.commit()
    return report


def run_now(ctx: LorebotContext, sources: Mapping[str, Source]) -> list[SyncReport]:
    """Sync these sources now, each logged by its counts (never by what the documents say)."""
    reports = sync_sources(ctx.knowledge, ctx.config, sources)
    for report in reports:
        if report.busy:
            log.info("sync %s: another process is syncing it", report.source)
        elif report.error:
            log.warning("sync %s could not read the source: %s", report.source, report.error)
        else:
            log.info("sync %s: %s", report.source, report.counts())
    return reports


def summary(reports: list[SyncReport]) -> str:
    """One line per source for ``lorebot jobs run sync``."""
    if not reports:
        return "sync: no sources in lorebot.toml."
    lines = []
    for report in reports:
        if report.busy:
            lines.append(f"sync {report.source}: another process is syncing it right now.")
        elif report.error:
            lines.append(f"sync {report.source}: could not read the source: {report.error}")
        else:
            lines.append(f"sync {report.source}: {report.added} new, {report.changed} changed, {report.unchanged} "
                         f"unchanged, {report.removed} removed, {report.failed} failed.")
    return "\n".join(lines)
