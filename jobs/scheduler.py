"""Running the jobs: now (``JobRunner.run``), when due (``tick``/``catch_up``), and on a schedule
(``start_scheduler``).

APScheduler only decides *when* to look; whether a run happens is decided here, from the cron schedule, the
injected clock and the ``job_runs`` claims. So a fire time missed while the process was down is caught up on
start-up (within ``misfire_grace_hours``), a second replica finds the period claimed, and nothing depends on
APScheduler's job store surviving a restart.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, Mapping

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from bot.config import LorebotConfig
from bot.context import LorebotContext
from bot.errors import LorebotError
from bot.markdown import plain
from bot.messengers import one_messenger
from bot.ports import Clock, Knowledge, Messenger, system_clock
from jobs import messages, sync
from jobs.job import Job
from jobs.locks import SchedulerLock
from jobs.outbox import Delivery, SendReport, release_stale_claims, send_pending, to_row
from jobs.registry import AFTER_SENT, JOB_NAMES, JOBS, job_named
from jobs.periods import MANUAL, latest_due, manual_period_key, next_fire, period_key, trigger_for
from jobs.tables import PENDING, SENDING, JobRun, OutboxMessage

if TYPE_CHECKING:
    from bot.core import Lorebot
    from knowledge.sources.source import Source

log = logging.getLogger("lorebot.jobs")


RAN = "ran"
ALREADY_RAN = "already_ran"
DRY_RUN = "dry_run"


@dataclass
class RunResult:
    job: str
    period: str
    status: str  # RAN | ALREADY_RAN | DRY_RUN
    deliveries: list[Delivery] = field(default_factory=list)  # what was (or, dry run, would be) sent
    sent: int = 0
    unreachable: int = 0
    failed: int = 0
    retrying: int = 0
    note: str | None = None  # what a job that sends nothing did (sync), in its own words

    @property
    def ran(self) -> bool:
        return self.status == RAN

    def text(self) -> str:
        """What the run sends, as people would read it (what ``--dry-run`` prints)."""
        return format_deliveries(self.job, self.deliveries)

    def summary(self) -> str:
        """One line for the terminal after a real run (a dry run prints ``text()`` instead)."""
        if self.note is not None:
            return self.note
        if self.status == DRY_RUN:
            return self.text()
        if self.status == ALREADY_RAN:
            template = messages.RUN_ALREADY_BY_HAND if self.period.startswith(MANUAL) else messages.RUN_ALREADY
            return template.format(job=self.job, period=self.period)
        return messages.RUN_SUMMARY.format(job=self.job, period=self.period, sent=self.sent,
                                           unreachable=self.unreachable, failed=self.failed, retrying=self.retrying)


def format_job_list(rows: list[tuple[str, str, datetime | None]]) -> str:
    """``lorebot jobs list``: each job, its schedule and its next run (local time of the configured timezone)."""
    width = max([9] + [len(name) for name, _, _ in rows])
    return "\n".join(
        messages.JOB_LINE.format(name=name, width=width, schedule=schedule,
                                 next_run=when.strftime("%a %Y-%m-%d %H:%M %Z") if when else messages.JOB_NEVER)
        for name, schedule, when in rows
    )


def format_deliveries(job: str, deliveries: list[Delivery]) -> str:
    if not deliveries:
        return messages.DRY_RUN_NOTHING.format(job=job)
    out = [messages.DRY_RUN_HEADER.format(count=len(deliveries), job=job)]
    for delivery in deliveries:
        out.append(messages.DRY_RUN_TO.format(recipient=delivery.recipient, platform=delivery.platform,
                                              kind=delivery.kind, target=delivery.target))
        reply = delivery.reply
        if reply.title:
            out.append(f"*{plain(reply.title)}*")
        out.append(plain(reply.text))
        if reply.actions:
            out.append("  ".join(f"[{action.label}]" for action in reply.actions))
        if reply.context:
            out.append(f"({plain(reply.context)})")
    return "\n".join(out)


class JobRunner:
    """Runs the four jobs against one store with exactly-once claims and a resumable outbox.

    Build it from the core (``JobRunner(core)``) or from parts (``JobRunner(config=..., engine=...,
    messengers=..., knowledge=..., clock=...)``); ``messengers`` may be one messenger, several, or a
    platform -> messenger mapping. ``clock`` overrides the core's clock. The tables must exist (the composition
    root creates them once, ``adapters.wiring.create_schema``).
    """

    def __init__(self, core: Lorebot | None = None, *, config: LorebotConfig | None = None,
                 engine: Engine | None = None,
                 messengers: Messenger | list[Messenger] | dict[str, Messenger] | None = None,
                 knowledge: Knowledge | None = None, clock: Clock | None = None,
                 sources: Mapping[str, Source] | None = None) -> None:
        if core is not None:
            ctx = core.context
            config = config or ctx.config
            engine = engine or ctx.engine
            knowledge = knowledge if knowledge is not None else ctx.knowledge
            messenger = one_messenger(messengers) if messengers is not None else ctx.messenger
            clock = clock or ctx.clock
        else:
            messenger = one_messenger(messengers)
        if config is None or engine is None:
            raise LorebotError("the job runner needs a configuration and a database")
        self.ctx = LorebotContext(config=config, engine=engine, messenger=messenger, knowledge=knowledge,
                                  clock=clock or system_clock, llm=core.context.llm if core is not None else None)
        self.grace = timedelta(hours=config.jobs.misfire_grace_hours)
        self.triggers = {job.name: trigger_for(job.schedule(config), config.tz, job=job.name) for job in JOBS}
        self.sources = dict(sources or {})  # opened sources, each synced on its own schedule
        for name in self.sources:
            self.triggers[sync.job_key(name)] = trigger_for(config.sources[name].schedule, config.tz,
                                                            job=f"sources.{name}")

    # -- what is configured --------------------------------------------------------------------------------
    def schedule(self, name: str) -> str:
        source = sync.source_of(name)
        if source is not None:
            return self.ctx.config.sources[source].schedule
        return job_named(name).schedule(self.ctx.config)

    @property
    def scheduled(self) -> list[str]:
        """What the scheduler fires: every job, and the sync of each source."""
        return list(JOB_NAMES) + [sync.job_key(name) for name in self.sources]

    def list_jobs(self) -> list[tuple[str, str, datetime | None]]:
        """Each job, its crontab schedule, and its next run in the configured timezone."""
        now = self.ctx.now()
        tz = self.ctx.config.tz
        rows = []
        for name in self.scheduled:
            fire = next_fire(self.triggers[name], now)
            rows.append((name, self.schedule(name), fire.astimezone(tz) if fire else None))
        return rows

    # -- running -------------------------------------------------------------------------------------------
    def run(self, name: str, *, dry_run: bool = False, now: datetime | None = None,
            period: str | None = None) -> RunResult:
        """Run one job for ``now`` (default: the clock). Runs by hand share a period per day unless one is given;
        ``dry_run`` computes and returns the messages and changes nothing anywhere (a claimed period: nothing)."""
        if name == sync.NAME:
            if dry_run:
                return RunResult(job=name, period="now", status=DRY_RUN,
                                 note="sync would read: " + (", ".join(self.sources) or "no sources"))
            return RunResult(job=name, period="now", status=RAN, note=sync.summary(sync.run_now(self.ctx, self.sources)))
        job = job_named(name)
        at = now or self.ctx.now()
        period = period or manual_period_key(at, self.ctx.config.tz)
        if dry_run and self.claimed(name, period):
            return RunResult(job=name, period=period, status=ALREADY_RAN)
        if dry_run:
            with self.ctx.session() as session:
                try:
                    deliveries = job.plan(self.ctx, session, at, dry_run=True)
                finally:
                    session.rollback()
            return RunResult(job=name, period=period, status=DRY_RUN, deliveries=deliveries)
        deliveries = self._claim_and_plan(name, job, period, at)
        if deliveries is None:
            return RunResult(job=name, period=period, status=ALREADY_RAN)
        report = self._send(name, period)
        return RunResult(job=name, period=period, status=RAN, deliveries=deliveries, sent=report.sent,
                         unreachable=report.unreachable, failed=report.failed, retrying=report.retrying)

    def tick(self, name: str) -> RunResult | None:
        """Run the job's latest scheduled fire time if it is due, within grace, and not yet claimed."""
        source = sync.source_of(name)
        fire = latest_due(self.triggers[name if source else job_named(name).name], self.ctx.now(), self.grace)
        if fire is None:
            return None
        if source is not None:
            report = sync.run_due(self.ctx, self.sources, source, fire)
            return None if report is None else RunResult(job=name, period=period_key(fire, self.ctx.config.tz),
                                                          status=RAN, note=sync.summary([report]))
        period = period_key(fire, self.ctx.config.tz)
        if self.claimed(name, period):
            return None  # the usual case; the unique key below remains the real guard
        result = self.run(name, now=fire, period=period)
        return result if result.ran else None

    def catch_up(self) -> list[RunResult]:
        """On start-up and periodically: send the unsent messages of claimed runs, then run every job whose last
        fire time (within grace) has no claimed run yet. (What a crash left half done in the conversations is
        not a job: every serving process repairs it, ``bot.recovery.recovery_loop``.)"""
        self.resume()
        results = []
        for name in self.scheduled:
            try:
                result = self.tick(name)
            except OperationalError as exc:  # e.g. SQLite busy with another writer: the next catch-up retries
                log.warning("%s not run now (%s); retrying at the next catch-up", name, exc.__class__.__name__)
                continue
            if result is not None:
                results.append(result)
        self.resume()
        return results

    def resume(self) -> SendReport:
        """Send what claimed runs still owe (a crashed process's "sending" rows return after a lease)."""
        released = release_stale_claims(self.ctx)
        if released:
            log.info("outbox: %s interrupted message(s) back to pending", released)
        report = self._send(None, None)
        return report

    def claimed(self, name: str, period: str) -> bool:
        with self.ctx.session() as session:
            return session.exec(select(JobRun.id).where(JobRun.job == name, JobRun.period == period)).first() is not None

    # -- internals -----------------------------------------------------------------------------------------
    def _claim_and_plan(self, name: str, job: Job, period: str, at: datetime) -> list[Delivery] | None:
        now = self.ctx.now()
        with self.ctx.session() as session:
            session.add(JobRun(job=name, period=period, scheduled_for=at, claimed_at=now))
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                log.info("%s %s already claimed", name, period)
                return None
            deliveries = job.plan(self.ctx, session, at, dry_run=False)
            for delivery in deliveries:
                session.add(to_row(name, period, delivery, now))
            try:
                session.commit()
            except IntegrityError:  # another process claimed the period meanwhile
                session.rollback()
                return None
        log.info("%s %s claimed: %s message(s)", name, period, len(deliveries))
        return deliveries

    def _send(self, name: str | None, period: str | None) -> SendReport:
        report = send_pending(self.ctx, AFTER_SENT, name, period)
        self._finish_runs()
        return report

    def _finish_runs(self) -> None:
        """Mark claimed runs finished once none of their messages is pending or being sent."""
        with self.ctx.session() as session:
            open_runs = session.exec(select(JobRun).where(JobRun.finished_at.is_(None))).all()
            for run in open_runs:
                unsent = session.exec(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.job == run.job, OutboxMessage.period == run.period,
                    OutboxMessage.status.in_((PENDING, SENDING)))).one()
                if unsent:
                    continue
                run.messages = session.exec(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.job == run.job, OutboxMessage.period == run.period)).one()
                run.finished_at = self.ctx.now()
                session.add(run)
            session.commit()


class JobScheduler:
    """An APScheduler BackgroundScheduler that drives a JobRunner while this process holds the scheduler lock.

    Without the lock it stands by and tries again every ``poll_seconds``, so a replica takes over when the
    active one stops.
    """

    def __init__(self, runner: JobRunner, *, lock: SchedulerLock | None = None, poll_seconds: float = 60,
                 scheduler: BackgroundScheduler | None = None) -> None:
        config = runner.ctx.config
        self.runner = runner
        self.lock = lock or SchedulerLock(runner.ctx.engine)
        self.poll_seconds = poll_seconds
        self.scheduler = scheduler or BackgroundScheduler(
            timezone=config.tz,
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(config.jobs.misfire_grace_hours * 3600)},
        )
        self._active = False

    @property
    def active(self) -> bool:
        return self._active

    def start(self, *, paused: bool = False) -> bool:
        """Start the scheduler thread; True when this process became the active scheduler."""
        self.scheduler.start(paused=paused)
        if not self.try_activate():
            self.scheduler.add_job(self.try_activate, IntervalTrigger(seconds=self.poll_seconds), id="standby",
                                   replace_existing=True)
            log.info("another scheduler is active; standing by")
        return self._active

    def try_activate(self) -> bool:
        if self._active:
            return True
        if not self.lock.acquire():
            return False
        self._active = True
        if self.scheduler.get_job("standby"):
            self.scheduler.remove_job("standby")
        for name in self.runner.scheduled:
            self.scheduler.add_job(_logged(self.runner.tick), self.runner.triggers[name], args=[name], id=name,
                                   name=name, replace_existing=True)
        # Catch up at once, then keep resuming the outbox and catching up regularly.
        self.scheduler.add_job(_logged(self.runner.catch_up), IntervalTrigger(seconds=self.poll_seconds),
                               id="catch-up", name="catch-up", replace_existing=True,
                               next_run_time=datetime.now(self.runner.ctx.config.tz))
        log.info("scheduler active: %s", ", ".join(self.runner.scheduled))
        return True

    def run_until(self, stop: threading.Event) -> None:
        """Block until ``stop`` is set or Ctrl-C (for ``lorebot serve --jobs-only``), then shut down."""
        try:
            while not stop.wait(timeout=1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.shutdown()

    def shutdown(self, wait: bool = True) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        self.lock.release()
        self._active = False


def start_scheduler(runner: JobRunner, *, lock: SchedulerLock | None = None, poll_seconds: float = 60,
                    paused: bool = False) -> JobScheduler:
    """Build and start the background scheduler for ``runner`` (see JobScheduler)."""
    scheduler = JobScheduler(runner, lock=lock, poll_seconds=poll_seconds)
    scheduler.start(paused=paused)
    return scheduler


def _logged(function: Callable) -> Callable:
    """Log a failed run by job and error class only (message bodies never reach the logs)."""
    def call(*args):
        try:
            return function(*args)
        except Exception as exc:  # noqa: BLE001 - the scheduler thread must survive; the next tick retries
            log.error("scheduled %s%s failed: %s", function.__name__, args, exc.__class__.__name__)
            return None
    call.__name__ = getattr(function, "__name__", "job")
    return call


__all__ = ["JobRunner", "JobScheduler", "RunResult", "start_scheduler"]
