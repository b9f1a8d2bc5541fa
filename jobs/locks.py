"""Only one scheduler may be active per store (the store lock called "lorebot-scheduler")."""
from __future__ import annotations

from sqlalchemy.engine import Engine

from knowledge.store_lock import StoreLock


class SchedulerLock(StoreLock):
    """Held by the active scheduler for its lifetime; a standby takes over when the process holding it dies."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, "lorebot-scheduler")
