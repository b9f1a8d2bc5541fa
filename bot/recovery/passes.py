"""The recovery pass: finish or undo what a crashed process left half done, at start-up and periodically.

Each step is safe to run on every replica at once (conditional UPDATEs decide who does what) and does nothing
while the work it finishes may still be running elsewhere (leases and grace periods), so it can simply run
whenever convenient: when ``serve`` or ``chat`` starts, and every ``[recovery] interval_seconds`` in every
serving process (``bot.recovery.recovery_loop``), whether or not it runs the jobs. Periodically, because what a crash
leaves is only due once its lease runs out, usually after a restart's own pass.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.recovery import ask_recovery, curation_recovery, followup_recovery
from bot.context import LorebotContext

log = logging.getLogger(__name__)


@dataclass
class RecoveryReport:
    asked: int = 0  # asks claimed but never recorded (the platform will not send them again), answered now
    answered: int = 0  # questions recorded without their reply, answered now
    relayed: int = 0  # champions' answers recorded but never passed on to the asker, passed on now
    announced: int = 0  # verifications committed but never announced to the asker, announced now
    entries_removed: int = 0  # knowledge entries a crashed curating step left without a record
    lessons_released: int = 0  # lessons stuck promoting, candidates again
    failed: int = 0  # steps that failed this time (logged; the next pass retries)

    def summary(self) -> str:
        return (f"recovery: {self.answered} unanswered question(s) answered, {self.entries_removed} orphan "
                f"entr{'y' if self.entries_removed == 1 else 'ies'} removed, {self.lessons_released} stuck "
                f"lesson(s) released, {self.relayed} champion answer(s) relayed, {self.announced} verification(s) "
                f"announced, {self.asked} interrupted question(s) resumed"
                + (f", {self.failed} step(s) failed" if self.failed else ""))

    @property
    def recovered(self) -> int:
        return (self.asked + self.answered + self.relayed + self.announced + self.entries_removed
                + self.lessons_released)


def recover(ctx: LorebotContext) -> RecoveryReport:
    """Run every recovery step; one that fails is logged and the others still run."""
    report = RecoveryReport()
    if ctx.knowledge is None:
        return report  # nothing curated or answered without a knowledge base
    steps = (("lessons_released", curation_recovery.release_stuck_lessons),
             ("entries_removed", curation_recovery.remove_orphan_entries),
             ("asked", ask_recovery.answer_abandoned),
             ("answered", ask_recovery.answer_unreplied),
             ("relayed", followup_recovery.pass_on_unrelayed),
             ("announced", followup_recovery.announce_unannounced))
    for field, step in steps:
        try:
            setattr(report, field, step(ctx))
        except Exception as exc:  # noqa: BLE001 - a recovery step must never stop a start or the scheduler
            report.failed += 1
            log.warning("recovery step %s failed: %s", step.__name__, type(exc).__name__)
    return report
