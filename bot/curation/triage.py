"""Champions tidying the questions of their topics: reassign one to another topic (routed again to that topic's
champions), merge a duplicate into an open question (its asker joins that one), and edit a verified answer (the
knowledge base entry's answer is replaced; the asker is not told again). Each act writes a curation audit row.

These come as typed commands (``bot.curation.champion_commands``); who may use them is
``bot.people.access.may_steer``. A reassigned question is routed like any other, so its audience still decides
where it may be posted."""
from __future__ import annotations

import logging

from sqlalchemy import update
from sqlmodel import Session, select

from bot import messages
from bot.asking import joining, routing
from bot.people import access
from bot.addresses import Address
from bot.context import LorebotContext
from bot.curation.curating import audit
from bot.events import Action
from bot.replies import EDIT_VERIFIED, MERGE, REASSIGN, Reply
from bot.tables.curation import VerifiedAnswer
from bot.tables.questions import Question
from knowledge import KnowledgeError

log = logging.getLogger(__name__)


def handle_action(ctx: LorebotContext, event: Action) -> bool:
    """False for actions that are not these commands."""
    act = {REASSIGN: _reassign, MERGE: _merge, EDIT_VERIFIED: _edit_verified}.get(event.name)
    if act is None:
        return False
    question_id, _, argument = event.value.partition(":")
    with ctx.session() as session:
        question = _steerable(ctx, session, question_id, event)
        if question is None:
            reply = messages.no_such_question(question_id)
        elif not argument.strip():
            reply = messages.champion_command_usage()
        else:
            reply = act(ctx, session, event, question, argument.strip())
    ctx.messenger.send(event.where, reply)
    return True


def _steerable(ctx: LorebotContext, session: Session, question_id: str, event: Action) -> Question | None:
    question = session.get(Question, int(question_id)) if question_id.isdigit() else None
    if question is None or not access.may_steer(ctx, question, event.person):
        return None
    return question


def _reassign(ctx: LorebotContext, session: Session, event: Action, question: Question, topic: str) -> Reply:
    if topic not in ctx.config.topics:
        return messages.unknown_topic(topic, list(ctx.config.topics))
    if topic == question.topic:
        return messages.already_in_topic(question.id, topic)
    old = question.topic
    moved = session.execute(
        update(Question).where(Question.id == question.id, Question.status == joining.OPEN, Question.topic == old)
        .values(topic=topic, routed_at=ctx.now(), nudge_count=0, last_nudged_at=None, escalated=False)
    ).rowcount
    session.commit()
    if not moved:  # answered meanwhile, or moved by another champion
        return messages.not_waiting(question.id)
    session.refresh(question)
    outcome = routing.route(ctx, session, question)
    audit(session, ctx, event.person, "reassign", question, reason=f"{old or '-'} -> {topic}")
    session.commit()
    log.info("question %s reassigned to another topic", question.id)
    if outcome.routed:
        ctx.messenger.send(Address(question.platform, question.channel, question.thread),
                           messages.reassigned_to_asker(topic))
    return messages.reassigned(question.id, topic, outcome.champion_names, outcome.routed)


def _merge(ctx: LorebotContext, session: Session, event: Action, question: Question, into_id: str) -> Reply:
    into = _steerable(ctx, session, into_id, event)
    if into is None:
        return messages.no_such_question(into_id)
    if not joining.may_merge(question, into) or not joining.merge(session, question, into):
        return messages.cannot_merge(question.id, into.id)
    audit(session, ctx, event.person, "merge", question, reason=f"into {into.id}")
    session.commit()
    ctx.messenger.send(Address(question.platform, question.channel, question.thread),
                       messages.joined_open_question())
    return messages.merged(question.id, into.id)


def _edit_verified(ctx: LorebotContext, session: Session, event: Action, question: Question, text: str) -> Reply:
    verified = session.exec(select(VerifiedAnswer).where(VerifiedAnswer.question_id == question.id,
                                                         VerifiedAnswer.status == "active")
                            .order_by(VerifiedAnswer.id.desc())).first()
    if verified is None or verified.entry_id is None:
        return messages.no_verified_answer(question.id)
    try:
        ctx.knowledge.update_entry(verified.entry_id, answer=text)
    except KnowledgeError:  # withdrawn meanwhile
        return messages.no_verified_answer(question.id)
    verified.answer_text = text
    verified.last_verified_at = ctx.now()
    session.add(verified)
    audit(session, ctx, event.person, "edit_verified", question, verified)
    session.commit()
    log.info("verified answer %s edited", verified.id)
    return messages.verified_answer_edited(question.id)
