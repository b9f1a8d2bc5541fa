"""Champions at work: their replies in routed threads become answers relayed to the asker, and their
reactions and buttons curate. Everyone else's reactions are recorded as feedback and change nothing."""
from __future__ import annotations

import logging

from sqlalchemy import delete, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import messages
from bot.asking import joining
from bot.people import access
from bot.curation import curating
from bot.addresses import Address, MessageRef, Person
from bot.asking.ask_claims import LEASE
from bot.context import LorebotContext
from bot.tables.curation import VerifiedAnswer
from bot.events import Action, Reaction, ThreadReply
from bot.ports import Unreachable
from bot.replies import PIN, REJECT, VERIFY, Reply
from bot.tables.feedback import Feedback
from bot.tables.questions import AnswerShown, ChampionAnswer, Question, RoutedPost

log = logging.getLogger(__name__)

VERIFY_EMOJI = "white_check_mark"
REJECT_EMOJI = "x"
PIN_EMOJI = "pushpin"


def handle_thread_reply(ctx: LorebotContext, event: ThreadReply) -> bool:
    """A champion's reply in a routed thread answers the question; False when the thread is not a routed one
    or the person is not a champion (then extensions may claim it)."""
    with ctx.session() as session:
        question = _question_for_routed_thread(session, event.where.platform, event.where.channel,
                                               event.where.thread)
        if question is None:
            question = _question_for_thread(session, event.where.platform, event.where.channel, event.where.thread)
        # Any champion may answer (the right one may be on leave); only the topic's champions curate.
        if (question is None or not ctx.is_champion(event.person)
                or (question.platform, question.asker_id) == (event.person.platform, event.person.id)):
            return False
        now = ctx.now()
        name = ctx.person_name(event.person)
        answer = ChampionAnswer(question_id=question.id, champion_id=event.person.key, champion_name=name,
                                text=event.text.strip(), message_id=event.message_id, answered_at=now,
                                channel=event.where.channel, thread=event.where.thread,
                                pass_on_leased_until=now + LEASE)
        session.add(answer)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            return True
        if question.status in ("routed", "answered"):
            question.status = "champion_answered"
        question.champion_answered_at = question.champion_answered_at or now
        question.answered_by = question.answered_by or event.person.key
        question.resolved_by = "champion" if question.status != "verified" else question.resolved_by
        session.add(question)
        followers = [q for q in joining.joined(session, question.id) if q.status == joining.JOINED]
        for follower in followers:
            follower.status, follower.champion_answered_at = "champion_answered", now
            follower.answered_by, follower.resolved_by = event.person.key, "champion"
            session.add(follower)
        session.commit()
        log.info("question %s answered by a champion (answer %s)", question.id, answer.id)
        pass_on(ctx, session, question, answer)
        return True


def pass_on(ctx: LorebotContext, session: Session, question: Question, answer: ChampionAnswer) -> None:
    """Relay the answer into the asker's thread (unless it was given there) and thank the champion.

    Each message is recorded as soon as it is sent, so a crash repeats at most the one in flight and recovery
    sends only what is missing; a person the platform cannot reach counts as told."""
    where = Address(question.platform, answer.channel, answer.thread)
    askers_thread = Address(question.platform, question.channel, question.thread)
    relayed = where != askers_thread  # an answer given right in the asker's thread needs no relay
    if relayed and answer.relay_message_id is None:
        answer.relay_message_id = _send(ctx, askers_thread, messages.champion_answered(
            answer.champion_name or answer.champion_id, answer.text))
        session.add(answer)
        session.commit()
    if answer.ack_message_id is None:
        for follower in joining.joined(session, question.id):  # everyone who asked the same while it waited
            _send(ctx, Address(follower.platform, follower.channel, follower.thread), messages.champion_answered(
                answer.champion_name or answer.champion_id, answer.text))
        answer.ack_message_id = _send(ctx, where, messages.champion_answer_passed_on(
            question.asker_name or question.asker_id, answer.id, relayed=relayed))
    answer.passed_on_at = ctx.now()
    session.add(answer)
    session.commit()


def _send(ctx: LorebotContext, address: Address, reply: Reply) -> str | None:
    try:
        return ctx.messenger.send(address, reply).message_id
    except Unreachable:
        log.info("champion answer not passed on in %s: unreachable", address.channel)
        return None


def handle_reaction(ctx: LorebotContext, event: Reaction) -> bool:
    with ctx.session() as session:
        question = _question_for_message(session, event.message)
        if question is None:
            return False
        target = _target(session, question, event.message.message_id)
        where = event.message.address.in_thread(event.message.address.thread or event.message.message_id)
        if event.emoji in (VERIFY_EMOJI, REJECT_EMOJI, PIN_EMOJI) and ctx.is_champion(event.person, question.topic):
            if target is not None and _curate(ctx, session, event, question, target, where):
                return True
            if event.added:
                ctx.messenger.send(curating.acting_place(ctx, event.person, question, where),
                                   messages.curation_needs_an_answer())
        _feedback(ctx, session, event.person, question, event.emoji, event.message.message_id, event.added)
        return True


def handle_action(ctx: LorebotContext, event: Action) -> bool:
    """Verify / Reject buttons; False for actions that are not the champions' (the core handles the rest).
    They count only from where the bot showed them: a routed post's thread, or the asker's thread when the
    champion answered right there (see bot.people.access)."""
    model = {VERIFY: ChampionAnswer, REJECT: AnswerShown, PIN: VerifiedAnswer}.get(event.name)
    if model is None:
        return False
    with ctx.session() as session:
        target = session.get(model, _int(event.value)) if _int(event.value) is not None else None
        if isinstance(target, VerifiedAnswer):
            target = _verified_target(session, target)
        question = session.get(Question, target.question_id) if target is not None else None
        if question is None or not (access.in_routed_post(session, question, event.where)
                                    or access.in_askers_thread(question, event.where)):
            ctx.messenger.send(event.where, messages.action_expired())
            return True
        if not ctx.is_champion(event.person, question.topic):
            _feedback(ctx, session, event.person, question, event.name, target.message_id, True)
            ctx.messenger.send(event.where, messages.only_champions_verify(question.topic, event.name))
            return True
        if event.name == VERIFY:
            curating.verify(ctx, session, event.person, question, target, event.where)
        elif event.name == PIN:
            curating.pin(ctx, session, event.person, question, target, event.where)
        else:
            curating.reject(ctx, session, event.person, question, target, event.where)
        return True


def _verified_target(session: Session, verified: VerifiedAnswer) -> curating.Target | None:
    """The answer a verified answer was verified from (what pinning acts on)."""
    if verified.champion_answer_id is not None:
        return session.get(ChampionAnswer, verified.champion_answer_id)
    if verified.answer_shown_id is not None:
        return session.get(AnswerShown, verified.answer_shown_id)
    return None


def _curate(ctx: LorebotContext, session: Session, event: Reaction, question: Question,
            target: curating.Target, where: Address) -> bool:
    """Apply (or undo) a champion's curating reaction; False when the emoji does not fit the message."""
    person = event.person
    if event.emoji == VERIFY_EMOJI:
        if isinstance(target, AnswerShown) and target.status != "answered":
            return False
        if event.added:
            curating.verify(ctx, session, person, question, target, where)
        else:
            curating.unverify(ctx, session, person, question, target, where)
        return True
    if event.emoji == REJECT_EMOJI:
        if not isinstance(target, AnswerShown) or target.status != "answered":
            return False
        if event.added:
            curating.reject(ctx, session, person, question, target, where)
        else:
            curating.unreject(ctx, session, person, question, target, where)
        return True
    if event.added:
        curating.pin(ctx, session, person, question, target, where)
    else:
        curating.unpin(ctx, session, person, question, target, where)
    return True


def _feedback(ctx: LorebotContext, session: Session, person: Person, question: Question, kind: str,
              message_id: str | None, added: bool) -> None:
    if added:
        session.add(Feedback(question_id=question.id, person_id=person.key, kind=kind, message_id=message_id,
                             at=ctx.now()))
    else:
        session.execute(delete(Feedback).where(Feedback.question_id == question.id,
                                               Feedback.person_id == person.key, Feedback.kind == kind,
                                               Feedback.message_id == message_id))
    session.commit()


def _question_for_routed_thread(session: Session, platform: str, channel: str, thread: str | None) -> Question | None:
    if not thread:
        return None
    post = session.exec(
        select(RoutedPost).where(RoutedPost.platform == platform, RoutedPost.channel == channel,
                                 RoutedPost.message_id == thread).order_by(RoutedPost.id.desc())
    ).first()
    return session.get(Question, post.question_id) if post else None


def _question_for_message(session: Session, message: MessageRef) -> Question | None:
    """The question whose conversation holds this message: a routed thread, or the asker's thread.
    The newest wins: a message id may repeat where a platform reuses them (console ids did, before the
    console kept its messages in the database)."""
    address = message.address
    root = address.thread or message.message_id
    question = _question_for_routed_thread(session, address.platform, address.channel, root)
    if question is not None:
        return question
    return _question_for_thread(session, address.platform, address.channel, root)


def _question_for_thread(session: Session, platform: str, channel: str, thread: str | None) -> Question | None:
    """The question asked in this thread of the asker's conversation (the newest, if ids were reused)."""
    if not thread:
        return None
    return session.exec(
        select(Question).where(Question.platform == platform, Question.channel == channel,
                               Question.thread == thread).order_by(Question.id.desc())
    ).first()


def _target(session: Session, question: Question, message_id: str) -> curating.Target | None:
    """The answer a reaction landed on: a champion's answer (or the bot's relay of it), or the bot's answer."""
    answer = session.exec(
        select(ChampionAnswer).where(
            ChampionAnswer.question_id == question.id,
            or_(ChampionAnswer.message_id == message_id, ChampionAnswer.relay_message_id == message_id,
                ChampionAnswer.ack_message_id == message_id),
        ).order_by(ChampionAnswer.id.desc())
    ).first()
    if answer is not None:
        return answer
    return session.exec(
        select(AnswerShown).where(AnswerShown.question_id == question.id, AnswerShown.message_id == message_id)
        .order_by(AnswerShown.id.desc())
    ).first()


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
