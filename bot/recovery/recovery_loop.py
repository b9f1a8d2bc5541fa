"""The recovery pass (``bot.recovery.passes``) every ``[recovery] interval_seconds``, in every process that serves.

Why a loop of its own, beside the pass at start-up: what a crash leaves is due only once its lease runs out,
which is usually after the restarted process has made its start-up pass. The scheduler's catch-up used to be
the only later pass, and a process serving without jobs (``serve --no-jobs``) never ran one, so a question
Slack had been acknowledged for, claimed but not yet recorded when the process died, was never answered.

One daemon thread runs the passes one after another, so a slow pass never overlaps the next; ``stop`` lets the
pass under way finish and ends the thread (a clean shutdown registers it with the web server's finishers).
"""
from __future__ import annotations

import logging
import threading

from bot.context import LorebotContext
from bot.recovery.passes import RecoveryReport, recover

log = logging.getLogger(__name__)


class RecoveryLoop:
    """Runs ``recover(ctx)`` every ``interval`` seconds (default: the configuration's) until stopped."""

    def __init__(self, ctx: LorebotContext, interval: float | None = None) -> None:
        self.ctx = ctx
        self.interval = interval or ctx.config.recovery.interval_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "RecoveryLoop":
        """Start the thread; the first pass comes one interval from now (the caller made the start-up pass)."""
        self._thread = threading.Thread(target=self._run, name="lorebot-recovery", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """No pass starts after this; waits (up to ``timeout`` seconds) for the one under way to finish."""
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_once(self) -> RecoveryReport:
        """One pass, logged as one line of counts when it did anything (ids and counts only, never text)."""
        report = recover(self.ctx)
        if report.recovered or report.failed:
            log.warning("%s", report.summary())
        return report

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.run_once()
            except Exception as exc:  # noqa: BLE001 - the loop must survive; the next pass retries
                log.error("recovery pass failed: %s", type(exc).__name__)
