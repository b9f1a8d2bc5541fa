"""Messages that must follow a commit, cut off by a crash: a champion's answer relayed to the asker (with the
champion's thanks), and a verification announced in the asker's thread.

Each such row is committed with a lease on sending what follows it (``…leased_until`` = commit + ``LEASE``)
and is marked done once sent (``champions.pass_on``, ``curating.announce``), each message recorded as it goes,
so a crash repeats at most the one in flight. A row still not done when its lease has run out belongs to a
process that died; this pass takes it with a conditional UPDATE (one replica wins) and sends what is missing.
A pass that fails is left for the next one, up to ``MAX_ATTEMPTS`` takeovers; rows older than ``HORIZON`` are
left alone, as for questions, and rows recorded before leases were kept have none and are never taken.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import update
from sqlmodel import Session, select

from bot.asking.ask_claims import LEASE
from bot.recovery.ask_recovery import HORIZON, MAX_ATTEMPTS
from bot.curation.champions import pass_on
from bot.context import LorebotContext
from bot.curation.curating import announce
from bot.tables.curation import VerifiedAnswer
from bot.tables.questions import ChampionAnswer, Question

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Followup:
    """A kind of row followed by messages: its lease columns, and how to send what follows it."""

    name: str
    row: Any  # the table's model
    leased_until: Any
    takeovers: Any
    done_at: Any
    made_at: Any
    send: Callable[[LorebotContext, Session, Question, Any], None]
    only: tuple = ()  # further conditions on rows still worth sending

    def take(self, session: Session, row_id: int, now: datetime) -> bool:
        """Lease the row to this attempt once the previous lease has run out (commits)."""
        taken = session.execute(
            update(self.row)
            .where(self.row.id == row_id, self.done_at.is_(None), self.leased_until < now,
                   self.takeovers < MAX_ATTEMPTS, *self.only)
            .values({self.leased_until: now + LEASE, self.takeovers: self.takeovers + 1})
        ).rowcount
        session.commit()
        return taken == 1


RELAY = Followup("champion answer", ChampionAnswer, ChampionAnswer.pass_on_leased_until,
                 ChampionAnswer.pass_on_takeovers, ChampionAnswer.passed_on_at, ChampionAnswer.answered_at, pass_on)
ANNOUNCEMENT = Followup("verified answer", VerifiedAnswer, VerifiedAnswer.announce_leased_until,
                        VerifiedAnswer.announce_takeovers, VerifiedAnswer.announced_at, VerifiedAnswer.verified_at,
                        announce, only=(VerifiedAnswer.status == "active",))


def pass_on_unrelayed(ctx: LorebotContext) -> int:
    """Relay every champion's answer a crash kept from the asker; returns how many were passed on now."""
    return _send_missing(ctx, RELAY)


def announce_unannounced(ctx: LorebotContext) -> int:
    """Announce every verification a crash kept from the asker; returns how many were announced now."""
    return _send_missing(ctx, ANNOUNCEMENT)


def _send_missing(ctx: LorebotContext, followup: Followup) -> int:
    now = ctx.now()
    with ctx.session() as session:
        waiting = session.exec(
            select(followup.row.id, Question.platform)
            .join(Question, Question.id == followup.row.question_id)
            .where(followup.done_at.is_(None), followup.leased_until < now, followup.takeovers < MAX_ATTEMPTS,
                   followup.made_at > now - HORIZON, *followup.only)
            .order_by(followup.row.id)
        ).all()
    sent = 0
    for row_id, platform in waiting:
        if not ctx.serves(platform):
            continue  # left for a process that serves its platform
        try:
            with ctx.session() as session:
                if not followup.take(session, row_id, ctx.now()):
                    continue  # another replica is sending it, or it was sent meanwhile
                row = session.get(followup.row, row_id)
                followup.send(ctx, session, session.get(Question, row.question_id), row)
            sent += 1
            log.info("%s %s: what follows it sent during recovery", followup.name, row_id)
        except Exception as exc:  # noqa: BLE001 - one failure must not stop the others; the next pass retries
            log.warning("%s %s: what follows it still not sent: %s", followup.name, row_id, type(exc).__name__)
    return sent
