"""A time cursor, for sources that ask "what changed since" (Confluence's CQL, Notion's search).

The cursor is the newest change a run handled, with the scope it covered (the spaces, the root pages): a cursor
kept from another scope would skip that scope's older documents, so it reads as no cursor at all.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time as the APIs write it ("…Z" included), aware; None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def time_cursor(scope: str, since: datetime | None) -> str:
    return json.dumps({"scope": scope, "since": since.isoformat() if since else None})


def since_of(cursor: str | None, scope: str) -> datetime | None:
    """Where a cursor says to start; None (everything) for one of another scope, or one that cannot be read."""
    try:
        position = json.loads(cursor) if cursor else {}
    except ValueError:
        return None
    if not isinstance(position, dict) or position.get("scope") != scope:
        return None
    return parse_time(position.get("since"))
