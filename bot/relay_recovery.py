"""Champions' answers recorded but never passed on: a crash between the commit and the relay to the asker.

``champions.handle_thread_reply`` records the answer with a lease on passing it on, then relays it into the
asker's thread and thanks the champion, recording each message as it goes. A process that dies in between
leaves an asker never told. This pass finds such answers once their lease has run out, takes each with a
conditional UPDATE (one replica wins) and sends what is missing. A pass that fails is left for the next one,
up to ``MAX_ATTEMPTS`` takeovers; answers older than ``HORIZON`` are left alone, as for questions.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from bot.ask_claims import LEASE
from bot.ask_recovery import HORIZON, MAX_ATTEMPTS
from bot.champions import pass_on
from bot.context import LorebotContext
from bot.questions import ChampionAnswer, Question

log = logging.getLogger(__name__)


def pass_on_unrelayed(ctx: LorebotContext) -> int:
    """Pass on every champion's answer a crash left unrelayed; returns how many were passed on now."""
    now = ctx.now()
    with ctx.session() as session:
        waiting = session.exec(
            select(ChampionAnswer.id, Question.platform)
            .join(Question, Question.id == ChampionAnswer.question_id)
            .where(ChampionAnswer.passed_on_at.is_(None), ChampionAnswer.pass_on_leased_until < now,
                   ChampionAnswer.pass_on_takeovers < MAX_ATTEMPTS, ChampionAnswer.answered_at > now - HORIZON)
            .order_by(ChampionAnswer.id)
        ).all()
    passed = 0
    for answer_id, platform in waiting:
        if not ctx.serves(platform):
            continue  # left for a process that serves its platform
        try:
            with ctx.session() as session:
                if not _take(session, answer_id, ctx.now()):
                    continue  # another replica is passing it on, or it was passed on meanwhile
                answer = session.get(ChampionAnswer, answer_id)
                pass_on(ctx, session, session.get(Question, answer.question_id), answer)
            passed += 1
            log.info("champion answer %s passed on during recovery", answer_id)
        except Exception as exc:  # noqa: BLE001 - one failure must not stop the others; the next pass retries
            log.warning("champion answer %s still not passed on: %s", answer_id, type(exc).__name__)
    return passed


def _take(session: Session, answer_id: int, now: datetime) -> bool:
    """Lease the answer to this attempt once the previous lease has run out (commits)."""
    taken = session.execute(
        update(ChampionAnswer)
        .where(ChampionAnswer.id == answer_id, ChampionAnswer.passed_on_at.is_(None),
               ChampionAnswer.pass_on_leased_until < now, ChampionAnswer.pass_on_takeovers < MAX_ATTEMPTS)
        .values(pass_on_leased_until=now + LEASE, pass_on_takeovers=ChampionAnswer.pass_on_takeovers + 1)
    ).rowcount
    session.commit()
    return taken == 1
