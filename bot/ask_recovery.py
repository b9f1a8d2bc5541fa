"""Questions recorded but never replied to: a crash between the commit and the reply, answered on recovery.

``handle_ask`` records the question (and completes its claim) in one transaction, then sends the reply and
records it as an AnswerShown row. A process that dies in between leaves a question nobody answers: the
platform's retry stops at the done claim. This pass finds those questions once the claim's reply lease has run
out, takes each with a conditional UPDATE (``ask_claims.take_for_reply``) so one replica replies, searches again
and replies as the ask would have. A reply that fails is left for the next pass, up to ``MAX_ATTEMPTS``; an
asker the platform cannot reach at all is recorded as told (with no message) so nobody tries again. Questions
older than ``HORIZON`` are left alone (an answer days late helps nobody, and it keeps an old database's history
quiet).
"""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from sqlalchemy import exists
from sqlmodel import Session, select

from bot import ask_claims, routing
from bot.addresses import Address
from bot.answering import UNSURE, Answer
from bot.asking import decide, record_shown, send_reply
from bot.audiences import Reader
from bot.context import LorebotContext
from bot.ports import Unreachable
from bot.tables.claims import AskClaim
from bot.tables.questions import AnswerShown, Question

log = logging.getLogger(__name__)

HORIZON = timedelta(days=1)
MAX_ATTEMPTS = 5  # takeovers of one claim, the delivery's own included


def answer_unreplied(ctx: LorebotContext) -> int:
    """Reply to every recorded question a crash left without its reply; returns how many were answered."""
    now = ctx.now()
    with ctx.session() as session:
        waiting = session.exec(
            select(AskClaim.id, AskClaim.question_id, Question.platform)
            .join(Question, Question.id == AskClaim.question_id)
            .where(AskClaim.done_at.is_not(None), AskClaim.leased_until < now, Question.asked_at > now - HORIZON,
                   AskClaim.takeovers < MAX_ATTEMPTS,
                   ~exists().where(AnswerShown.question_id == AskClaim.question_id))
            .order_by(AskClaim.id)
        ).all()
    answered = 0
    for claim_id, question_id, platform in waiting:
        if not ctx.serves(platform):
            continue  # left for a process that serves its platform
        try:
            answered += _reply(ctx, claim_id, question_id)
        except Exception as exc:  # noqa: BLE001 - one failed reply must not stop the others; the next pass retries
            log.warning("question %s still without a reply: %s", question_id, type(exc).__name__)
    return answered


def _reply(ctx: LorebotContext, claim_id: int, question_id: int) -> bool:
    with ctx.session() as session:
        if not ask_claims.take_for_reply(session, claim_id, ctx.now()):
            return False  # another replica is replying, or the reply was recorded meanwhile
        question = session.get(Question, question_id)
        vector = ctx.knowledge.embed_question(question.text)
        _, answer = decide(ctx, session, Reader.of_question(ctx.config, question), question.text, vector)
        answer = _settle(ctx, session, question, answer, ctx.now())
        try:
            send_reply(ctx, session, question, answer,
                       Address(question.platform, question.channel, question.thread), vector)
        except Unreachable:
            session.rollback()
            record_shown(session, question, answer, None, ctx.now())
            session.commit()
            log.info("question %s: its asker cannot be reached; not tried again", question.id)
            return False
        log.info("question %s answered on recovery (%s)", question.id, question.status)
        return True


def _settle(ctx: LorebotContext, session: Session, question: Question, answer: Answer, now: datetime) -> Answer:
    """The answer to send, with the question row agreeing with it: a question already routed to champions stays
    routed (they were asked); otherwise the fresh search decides, as it would have on time."""
    if question.status in ("routed", "joined") or routing.routed_before(ctx, session, question) is not None:
        return dataclasses.replace(answer, status=UNSURE)
    if answer.status != question.status:
        question.status = "routed" if answer.status == UNSURE else answer.status
        question.confidence = answer.confidence
        question.answered_at = now if answer.answered else None
        question.routed_at = now if question.status == "routed" else None
        question.resolved_by = "bot" if answer.answered else None
        session.add(question)
    return answer
