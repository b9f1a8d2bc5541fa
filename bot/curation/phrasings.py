"""Verified answers learn the ways people ask for them.

A verified entry is matched by meaning, but some rewordings share too little with its question to be matched
at first ("what app do we use to request time off?" for "where do I log PTO?"). Each time a person confirms
that an entry answered their wording, that wording becomes an alias of the entry and is matched from then on:
the asker pressing Helpful on a verified answer or Yes on a suggestion, or a champion pressing "Same as…" on a
routed question. Every alias is audited, and removable (``lorebot aliases``).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import update
from sqlmodel import Session

from bot import messages
from bot.asking import joining
from bot.people import access, audiences
from bot.addresses import Address, Person
from bot.asking.answering import ANSWERED, answer_from_hits
from bot.asking.suggestions import first_entry
from bot.asking.flow import record_shown, reroute
from bot.context import LorebotContext
from bot.curation.curating import audit
from bot.events import Action
from bot.tables.curation import CurationAudit
from bot.tables.questions import Question, latest_shown
from knowledge import KnowledgeError

log = logging.getLogger(__name__)


def learn(ctx: LorebotContext, session: Session, question: Question, entry_id: int, person: Person) -> int | None:
    """Teach entry ``entry_id`` the question's wording (audited); None when it knew it already, or when no
    one's identity was proven (the knowledge base learns only from people the platform vouched for)."""
    if not ctx.identities_verified:
        return None
    try:
        alias_id = ctx.knowledge.add_alias(entry_id, question.text, added_by=person.key)
    except KnowledgeError:  # the entry was withdrawn meanwhile: nothing left to teach
        return None
    if alias_id is not None:
        audit(session, ctx, person, "alias_add", question, reason=f"entry {entry_id}, alias {alias_id}")
        session.commit()
        log.info("entry %s learned the wording of question %s (alias %s)", entry_id, question.id, alias_id)
    return alias_id


def forget(knowledge, engine, alias_id: int, actor: str) -> bool:
    """Remove a learned wording (an admin's correction), with an audit row like every curating act."""
    if not knowledge.remove_alias(alias_id):
        return False
    with Session(engine) as session:
        session.add(CurationAudit(actor_id=actor, action="alias_remove", reason=f"alias {alias_id}",
                                  at=datetime.now(timezone.utc)))
        session.commit()
    return True


def shown_entry(session: Session, question: Question, statuses: tuple[str, ...]) -> int | None:
    """The verified entry the bot last showed for this question, if what it showed was one."""
    shown = latest_shown(session, question.id)
    if shown is None or shown.status not in statuses:
        return None
    return first_entry(shown.sources)


def on_helpful(ctx: LorebotContext, session: Session, question: Question, person: Person) -> None:
    """The asker found a verified answer helpful for their own wording: remember the wording."""
    if (person.platform, person.id) != (question.platform, question.asker_id):
        return
    entry_id = shown_entry(session, question, (ANSWERED,))
    if entry_id is not None:
        learn(ctx, session, question, entry_id, person)


def on_suggestion(ctx: LorebotContext, session: Session, question: Question, event: Action, accepted: bool) -> None:
    """Yes: the suggestion answered it, so it counts as answered and the wording is learned. No: champions."""
    if (event.person.platform, event.person.id) != (question.platform, question.asker_id):
        ctx.messenger.send(event.where, messages.thanks_for_feedback())
        return
    if not accepted:
        reroute(ctx, session, question, event.where)
        return
    now = ctx.now()
    taken = session.execute(
        update(Question).where(Question.id == question.id, Question.status == "suggested")
        .values(status="answered", answered_at=now, resolved_by="bot")
    ).rowcount
    session.commit()
    entry_id = shown_entry(session, question, ("suggested",))
    if taken and entry_id is not None:
        learn(ctx, session, question, entry_id, event.person)
    ctx.messenger.send(event.where, messages.suggestion_accepted())


def on_same_as(ctx: LorebotContext, event: Action) -> None:
    """A champion says a routed question is answered by an existing verified answer: the asker gets it at
    once, the entry learns the wording, and the champion is told. Only the first click on a waiting question
    counts, decided by a conditional update so two champions (or replicas) cannot both answer it."""
    question_id, _, entry_id = event.value.partition(":")
    with ctx.session() as session:
        question = session.get(Question, int(question_id)) if question_id.isdigit() else None
        entry = ctx.knowledge.entry(int(entry_id)) if entry_id.isdigit() else None
        if (question is None or entry is None or entry.stale
                or not access.in_routed_post(session, question, event.where)):
            ctx.messenger.send(event.where, messages.action_expired())
            return
        if not ctx.is_champion(event.person, question.topic):
            ctx.messenger.send(event.where, messages.only_champions_verify(question.topic))
            return
        if not audiences.may_read(ctx.config, audiences.Reader.of_question(ctx.config, question), entry.collection):
            ctx.messenger.send(event.where, messages.same_as_restricted())
            return
        now = ctx.now()
        taken = session.execute(
            update(Question).where(Question.id == question.id, Question.status == "routed")
            .values(status="answered", answered_at=now, champion_answered_at=now, resolved_by="champion",
                    answered_by=event.person.key)
        ).rowcount
        session.commit()
        if not taken:
            ctx.messenger.send(event.where, messages.same_as_too_late())
            return
        session.refresh(question)
        answer = answer_from_hits(question.text, [entry], ctx.config.answers, ctx.config.collections)
        followers = [q for q in joining.joined(session, question.id) if q.status == joining.JOINED]
        for asked in [question, *followers]:  # everyone who asked the same while it waited
            if asked is not question:
                asked.status, asked.answered_at, asked.resolved_by = "answered", now, "champion"
                asked.answered_by = event.person.key
                session.add(asked)
            ref = ctx.messenger.send(Address(asked.platform, asked.channel, asked.thread),
                                     messages.answer(answer, asked.id, now))
            record_shown(session, asked, answer, ref.message_id, now)
        audit(session, ctx, event.person, "same_as", question, reason=f"entry {entry.entry_id}")
        session.commit()
        learn(ctx, session, question, entry.entry_id, event.person)
        ctx.messenger.send(event.where, messages.same_as_sent(question.asker_name or question.asker_id, entry.title))
