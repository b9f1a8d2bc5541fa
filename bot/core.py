"""Lorebot's conversation core: one ``handle(event)`` for every platform, composed of small flows.

Adapters translate platform payloads into events and call ``handle``; the core answers through the
``Messenger`` it was given. Ordinary failures never reach the adapter: they are logged (ids only, never
message text) and the person is told, kindly, in their thread.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Callable, Sequence

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot import messages
from bot.people import access
from bot.curation import answer_edits, champions, feedback_learning, own_impact, phrasings, triage
from bot.addresses import Address, MessageRef, Person
from bot.asking.flow import answer_claimed, claim, claim_ask, handle_ask, reroute
from bot.config import LorebotConfig
from bot.context import LorebotContext
from bot.events import Action, Ask, Edit, Event, Reaction, ThreadReply
from bot.extensions import Extension
from bot.people.profiles import KnownPerson, known_people, remember
from bot.ports import Clock, Knowledge, Messenger, NoPeopleSource, PeopleSource, system_clock
from bot.replies import ASK_CHAMPION, HELPFUL, NOT_HELPFUL, SAME_AS, SUGGESTION_NO, SUGGESTION_YES, Reply
from bot.tables.claims import ProcessedEvent
from bot.tables.feedback import Feedback
from bot.tables.questions import Question
from bot.asking.topics import TopicPicker
from knowledge.sources.status import SourceHealth, source_health

if TYPE_CHECKING:
    from knowledge.llm import Llm

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuestionSummary:
    """A question as App Home and similar views list it."""

    id: int
    text: str
    status: str
    topic: str | None
    asker_name: str | None
    asked_at: datetime
    link: str | None = None
    post_id: str | None = None  # the message to answer in: the routed post, else the asker's thread


class Lorebot:
    """The core over one store. Its tables must exist: the composition root creates the schema once
    (``adapters.wiring.create_schema``) rather than every constructor as a side effect."""

    def __init__(self, *, config: LorebotConfig, knowledge: Knowledge, messenger: Messenger,
                 clock: Clock = system_clock, extensions: Sequence[Extension] = (), engine: Engine | None = None,
                 identities_verified: bool = True, people: PeopleSource | None = None,
                 llm: Llm | None = None) -> None:
        """``engine`` holds the bot's tables, beside the knowledge base's own unless given (a throwaway store for
        a trial endpoint without authentication, with ``identities_verified`` False). ``people`` looks up names,
        time zones and teams on the platforms (none by default)."""
        self.config = config
        self.knowledge = knowledge
        self.messenger = messenger
        self.extensions = tuple(extensions)
        self.context = LorebotContext(config=config, knowledge=knowledge, messenger=messenger, clock=clock,
                                      engine=engine or knowledge.engine, identities_verified=identities_verified,
                                      people=people or NoPeopleSource(), llm=llm)
        self.topics = TopicPicker.of(config, knowledge)

    # -- events -------------------------------------------------------------------------------------------
    def handle(self, event: Event) -> None:
        """Handle one event; never raises for ordinary failures (the person is told instead)."""
        if isinstance(event, Ask):
            self._guarded(event, handle_ask, self.context, self.topics, event)
        else:
            self._guarded(event, self._handle_other, event)

    def accept(self, event: Event) -> Callable[[], None] | None:
        """Take ``event`` in before the platform is acknowledged; returns the rest of its handling, to run in the
        background, or None when there is nothing to do (a duplicate ask).

        An ask's message is claimed here, with the ask stored on the claim: a platform that heard its
        acknowledgement never sends the message again, so from then on the claim is what keeps the question
        from being lost if this process dies (``bot.recovery.ask_recovery`` answers it once its lease runs out). Other
        events are only handed back. When the claim cannot be written (the database busy or away), the whole
        handling is handed back and the worker claims the ask itself."""
        if not isinstance(event, Ask):
            return functools.partial(self.handle, event)
        try:
            lease = claim_ask(self.context, event)
        except Exception as exc:  # noqa: BLE001 - the acknowledgement must still go out; the worker retries
            log.warning("ask %s not claimed before its acknowledgement: %s", event.event_id, type(exc).__name__)
            return functools.partial(self.handle, event)
        if lease is None:
            return None
        return functools.partial(self._guarded, event, answer_claimed, self.context, self.topics, event, lease)

    def _guarded(self, event: Event, handler: Callable, *args) -> None:
        try:
            handler(*args)
        except Exception as exc:  # noqa: BLE001 - the adapter must never see our failures
            log.error("%s %s failed: %s", type(event).__name__, event.event_id, type(exc).__name__)
            log.debug("failure details for %s", event.event_id, exc_info=True)
            self._apologise(event)

    def _handle_other(self, event: ThreadReply | Reaction | Action | Edit) -> None:
        ctx = self.context
        with ctx.session() as session:
            ctx.remember(session, event.person)
            kind = type(event).__name__.lower()
            if not claim(session, ProcessedEvent(platform=event.person.platform, event_id=event.event_id,
                                                 kind=kind, at=ctx.now())):
                log.info("duplicate %s %s ignored", kind, event.event_id)
                return
        if isinstance(event, ThreadReply):
            if not champions.handle_thread_reply(ctx, event):
                self._offer(lambda ext: ext.handle_thread_reply(ctx, event))
        elif isinstance(event, Reaction):
            if not champions.handle_reaction(ctx, event):
                self._offer(lambda ext: ext.handle_reaction(ctx, event))
        elif isinstance(event, Edit):
            if not answer_edits.handle_edit(ctx, event):
                self._offer(lambda ext: ext.handle_edit(ctx, event))
        elif not self._handle_action(event) and not self._offer(lambda ext: ext.handle_action(ctx, event)):
            ctx.messenger.send(event.where, messages.action_expired())

    def _offer(self, call) -> bool:
        return any(call(extension) for extension in self.extensions)

    def _handle_action(self, event: Action) -> bool:
        if event.name == SAME_AS:
            phrasings.on_same_as(self.context, event)
            return True
        if event.name not in (HELPFUL, NOT_HELPFUL, ASK_CHAMPION, SUGGESTION_YES, SUGGESTION_NO):
            return (champions.handle_action(self.context, event) or triage.handle_action(self.context, event)
                    or own_impact.handle_action(self.context, event))
        ctx = self.context
        with ctx.session() as session:
            question = session.get(Question, int(event.value)) if event.value.isdigit() else None
            if question is None or not access.in_askers_thread(question, event.where):
                ctx.messenger.send(event.where, messages.action_expired())
                return True
            if not access.may_give_feedback(ctx, question, event.person):
                log.info("%s on question %s by someone else refused", event.name, question.id)
                ctx.messenger.send(event.where, messages.only_the_asker())
                return True
            if event.name in (HELPFUL, NOT_HELPFUL, SUGGESTION_YES, SUGGESTION_NO):
                session.add(Feedback(question_id=question.id, person_id=event.person.key, kind=event.name,
                                     at=ctx.now()))
                session.commit()
            if event.name in (HELPFUL, NOT_HELPFUL):
                feedback_learning.learn(ctx, session, question, event.person, event.name)
            if event.name in (SUGGESTION_YES, SUGGESTION_NO):
                phrasings.on_suggestion(ctx, session, question, event, accepted=event.name == SUGGESTION_YES)
            elif event.name == HELPFUL:
                phrasings.on_helpful(ctx, session, question, event.person)
                ctx.messenger.send(event.where, messages.thanks_for_feedback())
            else:
                reroute(ctx, session, question, event.where)
        return True

    def _apologise(self, event: Event) -> None:
        where = event.message.address if isinstance(event, Reaction) else event.where
        if isinstance(event, Ask):
            where = where.in_thread(where.thread or event.message_id)
        try:
            self.messenger.send(where, messages.something_went_wrong())
        except Exception as exc:  # noqa: BLE001 - nothing more we can do; it is logged
            log.error("could not tell %s about the failure: %s", event.event_id, type(exc).__name__)

    # -- views --------------------------------------------------------------------------------------------
    def champion_topics(self, person: Person) -> list[str]:
        return self.context.champion_topics(person)

    def own_impact(self, person: Person) -> Reply | None:
        """A champion's figures over the last 30 days (App Home); None for anyone else."""
        return own_impact.impact_reply(self.context, person)

    def waiting_for(self, person: Person) -> list[QuestionSummary]:
        """Routed questions still waiting for a champion of this person's topics, oldest first."""
        topics = self.champion_topics(person)
        if not topics:
            return []
        return [q for q in self.waiting(person.platform) if q.topic in topics or q.topic is None]

    def waiting(self, platform: str) -> list[QuestionSummary]:
        """Every routed question on this platform still waiting for a champion, oldest first."""
        with self.context.session() as session:
            rows = session.exec(
                select(Question).where(Question.platform == platform, Question.status == "routed")
                .order_by(Question.asked_at, Question.id)
            ).all()
            return [self._summary(q) for q in rows]

    def known_people(self, platform: str) -> list[KnownPerson]:
        """Who the bot knows on this platform (lorebot.toml's people first), with team and champion topics."""
        with self.context.session() as session:
            return known_people(session, self.config, platform)

    def source_health(self, person: Person) -> "list[SourceHealth]":
        """How each source is syncing, for the admins named in lorebot.toml; nothing for anyone else."""
        config = self.context.config
        if not config.sources or config.handle_for(person.platform, person.id) not in config.admins:
            return []
        return source_health(self.context.knowledge.engine, list(config.sources))

    def recent_questions(self, person: Person, limit: int = 10) -> list[QuestionSummary]:
        with self.context.session() as session:
            rows = session.exec(
                select(Question).where(Question.platform == person.platform, Question.asker_id == person.id)
                .order_by(Question.asked_at.desc(), Question.id.desc()).limit(limit)
            ).all()
            return [self._summary(q) for q in rows]

    def _summary(self, question: Question) -> QuestionSummary:
        channel, root = ((question.routed_channel, question.routed_thread) if question.routed_thread
                         else (question.channel, question.thread))
        link = None
        if root:
            try:
                link = self.messenger.link(MessageRef(Address(question.platform, channel, root), root))
            except Exception as exc:  # noqa: BLE001 - a view without a link is still useful
                log.info("no link for question %s: %s", question.id, type(exc).__name__)
        return QuestionSummary(id=question.id, text=question.text, status=question.status, topic=question.topic,
                               asker_name=question.asker_name, asked_at=question.asked_at, link=link, post_id=root)
