"""Asks a crash cut short, finished on recovery: claimed but never recorded, or recorded but never replied to.

The platform heard its acknowledgement when the ask was claimed (``bot.asking.flow.claim_ask``), so it will not
deliver the message again; the claim alone remembers it. ``handle_ask`` then records the question (and
completes its claim) in one transaction, sends the reply and records it as an AnswerShown row. A process that
dies in between leaves a question nobody answers:

- before the question was recorded, an open claim holding the ask. Once its lease has run out this pass takes
  it (``ask_claims.take_abandoned``) and handles the stored ask as if it had just arrived.
- after, a done claim whose question has no AnswerShown row. Once the claim's reply lease has run out this pass
  takes it (``ask_claims.take_for_reply``), searches again and replies as the ask would have.

Each take is a conditional UPDATE, so one replica does it. A takeover that fails is left for the next pass, up
to ``MAX_ATTEMPTS``; an asker the platform cannot reach at all is recorded as told (with no message) so nobody
tries again. Asks older than ``HORIZON`` are left alone (an answer days late helps nobody, and it keeps an old
database's history quiet), as are those of platforms this process does not serve.
"""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from sqlalchemy import exists
from sqlmodel import Session, select

from bot.asking import ask_claims, routing
from bot.addresses import Address
from bot.asking.answering import ANSWERED, SUGGESTED, UNSURE, Answer
from bot.asking.flow import answer_claimed, decide, record_shown, reply_ref, send_reply
from bot.people.audiences import Reader
from bot.context import LorebotContext
from bot.ports import Unreachable
from bot.tables.claims import AskClaim
from bot.tables.questions import AnswerShown, Question
from bot.asking.topics import TopicPicker

log = logging.getLogger(__name__)

HORIZON = timedelta(days=1)
MAX_ATTEMPTS = 5  # takeovers of one claim, the delivery's own included


def answer_abandoned(ctx: LorebotContext) -> int:
    """Answer every ask whose attempt died after claiming it and before recording its question; returns how
    many were answered."""
    now = ctx.now()
    with ctx.session() as session:
        waiting = session.exec(
            select(AskClaim.platform, AskClaim.id)
            .where(AskClaim.done_at.is_(None), AskClaim.ask.is_not(None), AskClaim.leased_until < now,
                   AskClaim.claimed_at > now - HORIZON, AskClaim.takeovers < MAX_ATTEMPTS)
            .order_by(AskClaim.id)
        ).all()
    topics = TopicPicker.of(ctx.config, ctx.knowledge)  # embeds the topics only if an ask needs them
    return _each_served(ctx, waiting, lambda claim_id: _ask_again(ctx, topics, claim_id),
                        "ask claim %s still unanswered: %s")


def answer_unreplied(ctx: LorebotContext) -> int:
    """Reply to every recorded question a crash left without its reply; returns how many were answered."""
    now = ctx.now()
    with ctx.session() as session:
        waiting = session.exec(
            select(Question.platform, AskClaim.id, AskClaim.question_id)
            .join(Question, Question.id == AskClaim.question_id)
            .where(AskClaim.done_at.is_not(None), AskClaim.leased_until < now, Question.asked_at > now - HORIZON,
                   AskClaim.takeovers < MAX_ATTEMPTS,
                   ~exists().where(AnswerShown.question_id == AskClaim.question_id))
            .order_by(AskClaim.id)
        ).all()
    return _each_served(ctx, waiting, lambda claim_id, question_id: _reply(ctx, claim_id, question_id),
                        "question of claim %s still without a reply: %s")


def _each_served(ctx: LorebotContext, waiting, attempt, failure: str) -> int:
    """Run ``attempt(ids...)`` for each ``(platform, ids...)`` row of a platform this process serves (the
    others are left for a process that does); one that fails is logged and the next pass retries it."""
    done = 0
    for platform, *ids in waiting:
        if not ctx.serves(platform):
            continue
        try:
            done += attempt(*ids)
        except Exception as exc:  # noqa: BLE001 - one failure must not stop the others; the next pass retries
            log.warning(failure, ids[0], type(exc).__name__)
    return done


def _ask_again(ctx: LorebotContext, topics: TopicPicker, claim_id: int) -> bool:
    with ctx.session() as session:
        lease = ask_claims.take_abandoned(session, claim_id, ctx.now(), ctx.config.recovery.lease)
        if lease is None:
            return False  # another replica has it, or its own attempt finished meanwhile
        event = ask_claims.stored_ask(session.get(AskClaim, claim_id).ask)
    if not answer_claimed(ctx, topics, event, lease):
        return False
    log.info("ask %s answered on recovery", event.event_id)
    return True


def _reply(ctx: LorebotContext, claim_id: int, question_id: int) -> bool:
    with ctx.session() as session:
        if not ask_claims.take_for_reply(session, claim_id, ctx.now(), ctx.config.recovery.lease):
            return False  # another replica is replying, or the reply was recorded meanwhile
        question = session.get(Question, question_id)
        where = Address(question.platform, question.channel, question.thread)
        sent = ctx.messenger.find_sent(where, reply_ref(question))
        if sent is not None:  # the platform took the reply; the crash came before it was recorded
            session.add(AnswerShown(question_id=question.id, message_id=sent.message_id,
                                    confidence=question.confidence, shown_at=ctx.now(),
                                    status=question.status if question.status in (ANSWERED, SUGGESTED) else UNSURE))
            session.commit()
            log.info("question %s: its reply had been sent; recorded", question.id)
            return False
        vector = ctx.knowledge.embed_question(question.text)
        _, answer = decide(ctx, session, Reader.of_question(ctx.config, question), question.text, vector)
        answer = _settle(ctx, session, question, answer, ctx.now())
        try:
            send_reply(ctx, session, question, answer, where, vector)
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
