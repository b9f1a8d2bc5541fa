"""Re-verification: verified answers go back to their champion ("still right?") when they grow old or a
document they rely on changes; unanswered requests past their grace time turn the answer stale.

The request table holds one open request per verified answer at most: ``open_for`` carries the answer id
while the request is open and NULL once closed, and a unique key on it does the rest.

A button's value is only the request id, which can be forged, so "Still right" / "Outdated" count only from
the message the request was shown in (``platform``, ``channel``, ``message_id``, recorded by the sending job
through ``record_shown``) and only from the answer's champion or a champion of its topic. A click from
anywhere else is answered like an unknown id and changes nothing (see bot.people.access). Requests sent before the
place was recorded (or whose recording failed after the send) count only when the answer's own champion
clicks in their direct message with the bot, the only place the job ever sends them; anyone else is refused
without asking the platform for a conversation.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Iterable

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import messages
from bot.people import access
from bot.addresses import Address, MessageRef, Person
from bot.events import Action, Edit, Reaction, ThreadReply
from bot.ports import Unreachable, system_clock
from bot.replies import OUTDATED, STILL_RIGHT
from bot.tables.curation import CurationAudit, VerifiedAnswer
from bot.tables.reverification import CONFIRMED, OUTDATED_STATUS, SOURCE_CHANGED, ReverificationRequest

log = logging.getLogger("lorebot.reverification")


def open_request(session: Session, answer_id: int, reason: str, at: datetime,
                 documents: Iterable[str] = ()) -> ReverificationRequest:
    """Add an open request; the caller checked none is open, and the unique key on ``open_for`` turns a
    concurrent duplicate into an IntegrityError at commit (the caller's transaction is then retried)."""
    request = ReverificationRequest(verified_answer_id=answer_id, open_for=answer_id, reason=reason,
                                    documents=json.dumps(sorted(documents)), flagged_at=at)
    session.add(request)
    session.flush()
    return request


def record_shown(session: Session, request_id: int, message: MessageRef) -> None:
    """Remember the message that asked the champion, so its buttons count only from there."""
    request = session.get(ReverificationRequest, request_id)
    if request is None:
        return
    request.platform = message.address.platform
    request.channel = message.address.channel
    request.message_id = message.message_id
    session.add(request)


def _shown_there(ctx, request: ReverificationRequest, answer: VerifiedAnswer, event: Action) -> bool:
    """The click came from the message the request was shown in; for a request whose place is unknown, from
    the answer's champion in their direct message with the bot."""
    where = event.where
    if request.platform is not None and request.channel is not None:
        return access.in_place(where, request.platform, request.channel, request.message_id)
    platform, _, user_id = answer.champion_id.partition(":")
    if event.person.key != answer.champion_id or where.platform != platform or not user_id:
        return False
    try:
        direct = ctx.messenger.open_dm(Person(platform=platform, id=user_id))
    except Unreachable:
        return False
    return (direct.platform, direct.channel) == (where.platform, where.channel)


def _session(target) -> Session:
    if isinstance(target, Engine):
        return Session(target, expire_on_commit=False)
    factory = getattr(target, "session", None)
    if callable(factory):
        return factory()
    return target()


def flag_changed_sources(target, changed_paths: Iterable[str], now: datetime | None = None) -> int:
    """After a re-ingest: each active verified answer built on a changed or removed document gets a request
    to its champion at the next re-verification run. ``target`` is an Engine, a context with ``session()``
    (and ``clock``), or a session factory. Returns how many answers were flagged."""
    changed = {str(path) for path in changed_paths}
    if not changed:
        return 0
    if now is None:
        clock = getattr(target, "clock", None)
        now = clock() if callable(clock) else system_clock()
    flagged = 0
    with _session(target) as session:
        answers = session.exec(select(VerifiedAnswer).where(VerifiedAnswer.status == "active")).all()
        for answer in answers:
            hit = changed.intersection(answer.documents())
            if not hit:
                continue
            existing = session.exec(select(ReverificationRequest).where(
                ReverificationRequest.open_for == answer.id)).first()
            if existing is not None:
                if existing.reason != SOURCE_CHANGED:
                    existing.reason = SOURCE_CHANGED
                    existing.documents = json.dumps(sorted(set(existing.document_list()) | hit))
                    session.add(existing)
                flagged += 1
                continue
            open_request(session, answer.id, SOURCE_CHANGED, now, hit)
            flagged += 1
        try:
            session.commit()
        except IntegrityError:  # a request was opened meanwhile by a re-verification run: try once more
            session.rollback()
            return flag_changed_sources(target, changed, now)
    log.info("flagged %s verified answer(s) after re-ingest", flagged)
    return flagged


def _is_allowed(ctx, person: Person, answer: VerifiedAnswer) -> bool:
    return person.key == answer.champion_id or bool(ctx.is_champion(person, answer.topic))


class ReverifyExtension:
    """Handles the "Still right" / "Outdated" buttons of a re-verification request."""

    def handle_thread_reply(self, ctx, event: ThreadReply) -> bool:
        return False

    def handle_reaction(self, ctx, event: Reaction) -> bool:
        return False

    def handle_edit(self, ctx, event: Edit) -> bool:
        return False

    def handle_action(self, ctx, event: Action) -> bool:
        if event.name not in (STILL_RIGHT, OUTDATED):
            return False
        try:
            request_id = int(event.value)
        except ValueError:
            return False
        with ctx.session() as session:
            request = session.get(ReverificationRequest, request_id)
            answer = session.get(VerifiedAnswer, request.verified_answer_id) if request else None
            if request is None or answer is None or not _shown_there(ctx, request, answer, event):
                log.info("%s on re-verification request %s refused: unknown or not where it was shown",
                         event.name, request_id)
                ctx.messenger.send(event.where, messages.action_expired())
                return True
            if not _is_allowed(ctx, event.person, answer):
                ctx.messenger.send(event.where, messages.reverification_not_yours())
                return True
            now = ctx.clock()
            new_status = CONFIRMED if event.name == STILL_RIGHT else OUTDATED_STATUS
            closed = session.execute(
                update(ReverificationRequest)
                .where(ReverificationRequest.id == request_id, ReverificationRequest.open_for.is_not(None))
                .values(status=new_status, open_for=None, closed_at=now, closed_by=event.person.key)
            ).rowcount
            if closed != 1:
                session.rollback()
                ctx.messenger.send(event.where, messages.reverification_closed())
                return True
            stale = event.name == OUTDATED
            entry_id = answer.entry_id
            answer.stale = stale
            if not stale:
                answer.last_verified_at = now
            session.add(answer)
            session.add(CurationAudit(actor_id=event.person.key, action="reverify" if not stale else "outdated",
                                      question_id=answer.question_id, verified_answer_id=answer.id, at=now))
            session.commit()
        # After the commit: the knowledge base writes through its own connection, which SQLite would make
        # wait for this session's write lock.
        if entry_id is not None and ctx.knowledge is not None:
            ctx.knowledge.update_entry(entry_id, stale=stale)
        ctx.messenger.send(event.where,
                           messages.reverification_outdated() if stale else messages.reverification_confirmed())
        return True
