"""Activities this process has already taken in, so a redelivery costs one lookup.

The Bot Connector delivers an activity again when the first delivery was slow to be acknowledged. The core
would refuse the copy anyway (its claims are exactly-once across processes), but only after botbuilder had
built a connector client for the turn and the directory had looked up the conversation: most of the
endpoint's work under load went into copies. Another process's copy still meets the core's claim.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

REMEMBERED = 4096


class RecentDeliveries:
    """The last ``size`` delivery keys, oldest forgotten first."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._size = size
        self._seen: OrderedDict[tuple[str, ...], None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: tuple[str, ...]) -> bool:
        """True for a key not seen among the recent ones (and remembers it)."""
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return False
            self._seen[key] = None
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)
            return True
