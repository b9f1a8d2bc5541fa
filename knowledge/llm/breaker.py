"""A circuit breaker in front of the LLM: after several failures in a row, stop calling it for a while.

A model server that is down or overloaded would otherwise cost every asker the full timeout before the extract
answer they get anyway. Open, the breaker answers "skip" at once; after the cooldown one trial call goes through
(half-open): success closes it, failure opens it for another cooldown. Its ``state`` is a plain value, so
``lorebot stats`` and the admins' digest can say that the LLM is being skipped, since when and why.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

Clock = Callable[[], float]  # seconds since the epoch (so `since` can be shown as a time); tests pass their own


@dataclass(frozen=True)
class BreakerState:
    open: bool  # calls are being skipped (or, after the cooldown, one trial is due)
    since: float | None  # the clock reading when it opened; None while closed
    consecutive_failures: int
    last_reason: str | None  # the last failure's short reason, kept after it closes for the record


class Breaker:
    def __init__(self, failures: int, cooldown_s: float, clock: Clock = time.time) -> None:
        self._failures = failures
        self._cooldown = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._consecutive = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self._last_reason: str | None = None

    def allow(self) -> bool:
        """Whether a call may go out now: always while closed; once open, only the single trial after cooldown."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._trial_running or self._clock() - self._opened_at < self._cooldown:
                return False
            self._trial_running = True
            return True

    def succeeded(self) -> None:
        with self._lock:
            self._consecutive = 0
            self._opened_at = None
            self._trial_running = False

    def failed(self, reason: str) -> None:
        with self._lock:
            self._consecutive += 1
            self._last_reason = reason
            if self._trial_running or self._consecutive >= self._failures:
                self._opened_at = self._clock()  # a failed trial starts a fresh cooldown
            self._trial_running = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return BreakerState(open=self._opened_at is not None, since=self._opened_at,
                                consecutive_failures=self._consecutive, last_reason=self._last_reason)
