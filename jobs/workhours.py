"""Working hours between two instants, in the configured timezone (Monday to Friday, workday start to end).

A question routed on Friday evening has not waited "4 hours" by Saturday morning; nudges count only the
hours champions could have answered in.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def working_hours_between(start: datetime, end: datetime, tz: ZoneInfo, day_start: int, day_end: int) -> float:
    """Hours of working time in [start, end]; 0 when end is not after start."""
    if end <= start:
        return 0.0
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    total = timedelta()
    day = local_start.date()
    while day <= local_end.date():
        if day.weekday() < 5:
            opens = datetime.combine(day, time(day_start), tzinfo=tz)
            closes = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
                if day_end >= 24
                else datetime.combine(day, time(day_end), tzinfo=tz)
            )
            lo, hi = max(opens, local_start), min(closes, local_end)
            if hi > lo:
                total += hi.astimezone(ZoneInfo("UTC")) - lo.astimezone(ZoneInfo("UTC"))
        day += timedelta(days=1)
    return total.total_seconds() / 3600
