"""Where a verified answer comes from, said the same way everywhere: which question the champions verified,
who verified it and when. A verified answer shown for another wording is only trustworthy if the asker can see
what it was verified for."""
from __future__ import annotations

from datetime import datetime, timezone


def ago(then: datetime, now: datetime) -> str:
    """ "just now", "5 minutes ago", "3 days ago", "2 months ago": precise enough to judge freshness."""
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    seconds = max(0.0, (now - then).total_seconds())
    for size, unit in ((365 * 86400, "year"), (30 * 86400, "month"), (7 * 86400, "week"), (86400, "day"),
                       (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def verified_line(question: str | None, verified_by: str | None, verified_at: datetime | None,
                  now: datetime) -> str:
    """'✅ Verified answer to “Can I bring my dog to the office?” · Alice Moreau, 3 days ago' (plain words: each
    platform's renderer escapes and formats it)."""
    line = f"✅ Verified answer to “{question}”" if question else "✅ Verified answer"
    who = verified_by or "a champion"
    when = f", {ago(verified_at, now)}" if verified_at else ""
    return f"{line} · {who}{when}"
