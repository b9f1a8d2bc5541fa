"""Curating acts by a champion: verify, reject a source, pin, and their undoing. Each writes an audit row.

A verification writes the knowledge base entry first and the bot's row second; if the second fails, the entry
is removed again, so the two never disagree for long. An unverification retires the row first and removes the
entry second. Either way a crash in between leaves only an entry no row holds, which
``bot.recovery.curation_recovery`` removes.
"""
from __future__ import annotations

import json
import logging

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import messages
from bot.asking import joining
from bot.curation import feedback_learning
from bot.people import access, audiences
from bot.addresses import Address, Person
from bot.asking.ask_claims import LEASE
from bot.context import LorebotContext
from bot.ports import Unreachable
from bot.tables.curation import CurationAudit, Rejection, VerifiedAnswer
from bot.tables.preferences import REJECTED
from bot.tables.questions import AnswerShown, ChampionAnswer, Question

log = logging.getLogger(__name__)

Target = ChampionAnswer | AnswerShown


def audit(session: Session, ctx: LorebotContext, actor: Person, action: str, question: Question | None,
          verified: VerifiedAnswer | None = None, reason: str | None = None) -> None:
    session.add(CurationAudit(actor_id=actor.key, action=action, question_id=question.id if question else None,
                              verified_answer_id=verified.id if verified else None, reason=reason, at=ctx.now()))


def verify(ctx: LorebotContext, session: Session, champion: Person, question: Question, target: Target,
           where: Address | None = None) -> bool:
    """Turn the answer into verified knowledge and tell the asker; tell the champion at ``where`` (where they
    acted, when given), offering Pin there. False when it was verified already."""
    if _active_for(session, target) is not None:
        return False
    answer_text = target.text if isinstance(target, ChampionAnswer) else target.answer_text
    if not answer_text.strip():
        return False
    name = ctx.person_name(champion)
    entry_id = ctx.knowledge.add_entry(question.text, answer_text, source=messages.verified_source(question.topic),
                                       verified_by=name,
                                       collection=audiences.verified_collection(audiences.loads(question.audience)))
    try:
        now = ctx.now()
        verified = VerifiedAnswer(
            question_id=question.id, topic=question.topic, question_text=question.text, answer_text=answer_text,
            champion_id=champion.key, champion_name=name, entry_id=entry_id,
            source_documents=json.dumps(_source_documents(session, question)),
            champion_answer_id=target.id if isinstance(target, ChampionAnswer) else None,
            answer_shown_id=target.id if isinstance(target, AnswerShown) else None,
            verified_at=now, last_verified_at=now, announce_leased_until=now + LEASE,
        )
        session.add(verified)
        session.flush()
        question.status = "verified"
        question.resolved_by = "champion" if isinstance(target, ChampionAnswer) else "bot"
        session.add(question)
        followers = joining.joined(session, question.id)
        for follower in followers:
            follower.status, follower.resolved_by = "verified", question.resolved_by
            session.add(follower)
        audit(session, ctx, champion, "verify", question, verified)
        session.commit()
    except IntegrityError:  # verified at the same moment by another hand (a ✅ and a Verify click)
        session.rollback()
        ctx.knowledge.remove_entry(entry_id)
        log.info("question %s was verified concurrently; this verification withdrawn", question.id)
        return False
    except Exception:
        session.rollback()
        ctx.knowledge.remove_entry(entry_id)
        raise
    log.info("question %s verified as entry %s", question.id, entry_id)
    in_askers_thread = where is not None and access.in_askers_thread(question, where)
    announce(ctx, session, question, verified, pin=in_askers_thread)
    if where is not None and not in_askers_thread:
        place = acting_place(ctx, champion, question, where)  # a Pin button counts only where the question is
        pin = verified.id if place == where else None
        ctx.messenger.send(place, messages.verified_for_champion(question.topic, pin))
    return True


def announce(ctx: LorebotContext, session: Session, question: Question, verified: VerifiedAnswer, *,
             pin: bool = False) -> None:
    """Tell the asker (and whoever joined their question) that the answer is verified knowledge now, and record
    that they were told (an asker the platform cannot reach counts as told). ``pin``: the champion verified
    right in the asker's thread, so the notice there carries their Pin button."""
    name = verified.champion_name or verified.champion_id
    for asked in [question, *joining.joined(session, question.id)]:  # and everyone who asked the same meanwhile
        reply = messages.verified(name, verified.id, question.topic) if pin and asked is question else (
            messages.verified(name))
        try:
            ctx.messenger.send(_asker_thread(asked), reply)
        except Unreachable:
            log.info("question %s: its asker cannot be reached; verification not announced", asked.id)
    verified.announced_at = ctx.now()
    session.add(verified)
    session.commit()


def unverify(ctx: LorebotContext, session: Session, champion: Person, question: Question, target: Target,
             where: Address | None = None) -> bool:
    """Undo this champion's own verification of the answer (and say so at ``where``, when given)."""
    verified = _active_for(session, target)
    if verified is None or verified.champion_id != champion.key:
        return False
    verified.status = "removed"
    verified.pinned = False
    session.add(verified)
    question.status = "champion_answered" if question.answered_by else "answered"
    session.add(question)
    audit(session, ctx, champion, "unverify", question, verified)
    session.commit()
    if verified.entry_id is not None:  # after the commit: a crash leaves an entry nothing holds (curation_recovery)
        ctx.knowledge.remove_entry(verified.entry_id)
    log.info("verified answer %s withdrawn", verified.id)
    if where is not None:
        ctx.messenger.send(acting_place(ctx, champion, question, where), messages.unverified())
    return True


def reject(ctx: LorebotContext, session: Session, champion: Person, question: Question, shown: AnswerShown,
           where: Address) -> bool:
    """Stop offering the answer's top source for this question."""
    key = _top_key(shown)
    if key is None:
        return False
    session.add(Rejection(question_id=question.id, hit_key=key, by=champion.key, at=ctx.now()))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    audit(session, ctx, champion, "reject", question, reason=key)
    session.commit()
    feedback_learning.learn(ctx, session, question, champion, REJECTED)  # rewordings stop getting it too
    ctx.messenger.send(acting_place(ctx, champion, question, where), messages.source_rejected(_top_title(shown)))
    return True


def unreject(ctx: LorebotContext, session: Session, champion: Person, question: Question, shown: AnswerShown,
             where: Address | None = None) -> bool:
    key = _top_key(shown)
    if key is None:
        return False
    removed = session.execute(
        delete(Rejection).where(Rejection.question_id == question.id, Rejection.hit_key == key,
                                Rejection.by == champion.key)
    ).rowcount
    if not removed:
        session.rollback()
        return False
    feedback_learning.withdraw(session, question, champion, REJECTED)  # rewordings get the source back too
    audit(session, ctx, champion, "unreject", question, reason=key)
    session.commit()
    if where is not None:
        ctx.messenger.send(acting_place(ctx, champion, question, where), messages.source_restored(_top_title(shown)))
    return True


def pin(ctx: LorebotContext, session: Session, champion: Person, question: Question, target: Target,
        where: Address) -> bool:
    """Make the verified answer the canonical one for its topic (any other pin of the topic is lifted)."""
    where = acting_place(ctx, champion, question, where)
    verified = _active_for(session, target)
    if verified is None:
        ctx.messenger.send(where, messages.pin_needs_verified())
        return False
    if verified.pinned:
        ctx.messenger.send(where, messages.already_pinned(verified.topic))
        return False
    for other in session.exec(select(VerifiedAnswer).where(
            VerifiedAnswer.topic == verified.topic, VerifiedAnswer.pinned == True,  # noqa: E712 - SQL expression
            VerifiedAnswer.id != verified.id)).all():
        other.pinned = False
        session.add(other)
        audit(session, ctx, champion, "unpin", None, other, reason="replaced")
    verified.pinned = True
    session.add(verified)
    audit(session, ctx, champion, "pin", question, verified)
    session.commit()
    ctx.messenger.send(where, messages.pinned(verified.topic))
    return True


def unpin(ctx: LorebotContext, session: Session, champion: Person, question: Question, target: Target,
          where: Address | None = None) -> bool:
    verified = _active_for(session, target)
    if verified is None or not verified.pinned:
        return False
    verified.pinned = False
    session.add(verified)
    audit(session, ctx, champion, "unpin", question, verified)
    session.commit()
    if where is not None:
        ctx.messenger.send(acting_place(ctx, champion, question, where), messages.unpinned(verified.topic))
    return True


def acting_place(ctx: LorebotContext, champion: Person, question: Question, where: Address) -> Address:
    """Where to tell a champion what their curating did: where they acted, unless that is someone else's direct
    message with the bot (the console lets a champion react there), which the asker alone reads."""
    if question.private and where == _asker_thread(question) and question.asker_key != champion.key:
        return ctx.messenger.open_dm(champion)
    return where


def _active_for(session: Session, target: Target) -> VerifiedAnswer | None:
    column = VerifiedAnswer.champion_answer_id if isinstance(target, ChampionAnswer) else VerifiedAnswer.answer_shown_id
    return session.exec(
        select(VerifiedAnswer).where(column == target.id, VerifiedAnswer.status == "active")
    ).first()


def _top_key(shown: AnswerShown) -> str | None:
    if shown.status != "answered":
        return None
    sources = shown.source_list()
    return sources[0]["key"] if sources and sources[0].get("key") else None


def _top_title(shown: AnswerShown) -> str | None:
    sources = shown.source_list()
    return (sources[0].get("title") or sources[0].get("document")) if sources else None


def _source_documents(session: Session, question: Question) -> list[str]:
    """Documents behind the hits shown for this question, so re-verification can follow their changes."""
    documents: list[str] = []
    for shown in session.exec(select(AnswerShown).where(AnswerShown.question_id == question.id)
                              .order_by(AnswerShown.id)).all():
        for source in shown.source_list():
            document = source.get("document")
            if document and document not in documents:
                documents.append(document)
    return documents


def _asker_thread(question: Question) -> Address:
    return Address(question.platform, question.channel, question.thread)
