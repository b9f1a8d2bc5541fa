"""Fire times from crontab schedules, and the period key each fire time claims.

Periods are keyed by the local wall-clock fire time in the configured timezone, so a daylight-saving week has
exactly one Monday 09:00 (one digest), and the two 01:30s of an autumn night collapse into one period.
"""
from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.errors import ConfigError

_STEP = timedelta(seconds=1)
MANUAL = "manual:"  # the prefix of the periods runs by hand claim


def trigger_for(schedule: str, tz: ZoneInfo, *, job: str = "") -> CronTrigger:
    """The cron trigger for a crontab string; a bad schedule is a configuration error naming the job."""
    try:
        return CronTrigger.from_crontab(schedule, timezone=tz)
    except ValueError as exc:
        raise ConfigError(f"jobs.{job}.schedule: {schedule!r} is not a crontab schedule ({exc})") from None


def fire_times(trigger: CronTrigger, start: datetime, end: datetime) -> list[datetime]:
    """Fire times in [start, end], oldest first, as aware UTC datetimes.

    Steps past APScheduler returning the same instant twice around a daylight-saving change.
    """
    times: list[datetime] = []
    cursor = start
    while True:
        fire = trigger.get_next_fire_time(None, cursor)
        if fire is None:
            return times
        fire = fire.astimezone(timezone.utc)
        if times and fire <= times[-1]:
            cursor = max(cursor, times[-1]) + timedelta(minutes=1)
            continue
        if fire > end:
            return times
        times.append(fire)
        cursor = fire + _STEP


def latest_due(trigger: CronTrigger, now: datetime, grace: timedelta) -> datetime | None:
    """The most recent fire time at or before ``now`` that is still within the grace period, if any."""
    times = fire_times(trigger, now - grace, now)
    return times[-1] if times else None


def next_fire(trigger: CronTrigger, now: datetime) -> datetime | None:
    times = fire_times(trigger, now + _STEP, now + timedelta(days=400))
    return times[0] if times else None


def period_key(fire_time: datetime, tz: ZoneInfo) -> str:
    """The local wall-clock time of a scheduled run, e.g. "2026-03-30T09:00"."""
    return fire_time.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def manual_period_key(now: datetime, tz: ZoneInfo) -> str:
    """Runs started by hand share one period per local day, e.g. "manual:2026-03-30": a second run by hand that
    day sends nothing, yet a run by hand neither blocks nor repeats the scheduled one."""
    return MANUAL + now.astimezone(tz).strftime("%Y-%m-%d")


def month_before(at: datetime, tz: ZoneInfo) -> datetime:
    """The same local wall-clock time a calendar month earlier (the last day of a shorter month when the day does
    not exist there), so a monthly job run on the 1st covers exactly the month before, whatever its length."""
    local = at.astimezone(tz)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(timezone.utc)
