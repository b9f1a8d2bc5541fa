"""Handing a question to its topic's champions: the topic's channel, else the champions' channel, else a DM
to each champion. Every post is recorded, because a champion's reply in any of them answers the question."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Sequence

from sqlmodel import Session, select

from bot import messages
from bot.people import audiences
from bot.addresses import Address, MessageRef, Person
from bot.context import LorebotContext
from bot.ports import Unreachable
from bot.tables.questions import Question, RoutedPost
from bot.people.audiences import Reader

log = logging.getLogger(__name__)

ROUTED = "routed"
NO_CHAMPIONS = "no_champions"
UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class RouteOutcome:
    status: str  # ROUTED | NO_CHAMPIONS | UNREACHABLE
    topic: str | None
    champion_names: list[str] = field(default_factory=list)

    @property
    def routed(self) -> bool:
        return self.status == ROUTED


SAME_AS_OFFERS = 3


def route(ctx: LorebotContext, session: Session, question: Question,
          vector: Sequence[float] | None = None) -> RouteOutcome:
    """Post the question where its champions will see it and record the posts (commits the session).

    ``vector`` is the question's embedding when the caller has it, so offering "Same as…" does not embed the
    question again."""
    targets, names = _targets(ctx, question)
    if not targets:
        return RouteOutcome(NO_CHAMPIONS if not names else UNREACHABLE, question.topic, names)
    readers = [_reader(ctx, address, recipient) for address, recipient in targets]
    reply = messages.routed_post(question.asker_name or question.asker_id, question.text, question.topic,
                                 _link_to_asker(ctx, question), question.id, _similar(ctx, question, vector, readers))
    posted = 0
    for address, recipient in targets:
        try:
            if address is None:
                address = ctx.messenger.open_dm(recipient)
            ref = ctx.messenger.send(address, reply)
        except Unreachable:
            log.info("champion %s unreachable for question %s", recipient.key if recipient else "-", question.id)
            continue
        except Exception as exc:  # noqa: BLE001 - one failed destination must not hide the others
            log.warning("routing question %s failed: %s", question.id, type(exc).__name__)
            continue
        session.add(RoutedPost(question_id=question.id, platform=ref.address.platform, channel=ref.address.channel,
                               message_id=ref.message_id, recipient_id=recipient.key if recipient else None,
                               posted_at=ctx.now()))
        if posted == 0:
            question.routed_channel = ref.address.channel
            question.routed_thread = ref.message_id
            session.add(question)
        posted += 1
    session.commit()
    log.info("question %s routed to %d destination(s)", question.id, posted)
    return RouteOutcome(ROUTED if posted else UNREACHABLE, question.topic, names)


def routed_before(ctx: LorebotContext, session: Session, question: Question) -> RouteOutcome | None:
    """The outcome of an earlier routing of this question (its posts are recorded), so an attempt that finishes
    a crashed one tells the asker without posting to the champions twice; None when it was never routed."""
    if session.exec(select(RoutedPost.id).where(RoutedPost.question_id == question.id)).first() is None:
        return None
    return RouteOutcome(ROUTED, question.topic, _targets(ctx, question)[1])


def _similar(ctx: LorebotContext, question: Question, vector: Sequence[float] | None,
             readers: list[Reader]) -> tuple[tuple[int, str], ...]:
    """Verified answers that may already answer it, offered to the champions as "Same as…" buttons: only those
    both the asker and every reader of the post may read."""
    if vector is None:  # a re-route ("Not helpful"): the ask that embedded it is long gone
        vector = ctx.knowledge.embed_question(question.text)
    asker = Reader.of_question(ctx.config, question)
    hits = ctx.knowledge.similar_entries(question.text, SAME_AS_OFFERS, vector=vector,
                                         collections=audiences.searched(ctx.config, ctx.knowledge, asker))
    return tuple((hit.entry_id, hit.title) for hit in hits if hit.entry_id is not None
                 and all(audiences.may_read(ctx.config, reader, hit.collection) for reader in readers))


def _reader(ctx: LorebotContext, address: Address | None, recipient: Person | None) -> Reader:
    if address is not None:
        return Reader.in_channel(address.platform, address.channel)
    return Reader.person(ctx.config, recipient.platform, recipient.id)


def _targets(ctx: LorebotContext, question: Question) -> tuple[list[tuple[Address | None, Person | None]], list[str]]:
    """Where to post, and the champions' names to tell the asker. ``None`` as address means "open a DM"."""
    platform = question.platform
    topic = ctx.config.topics.get(question.topic) if question.topic else None
    channel = (topic.channel.get(platform) if topic else None) or ctx.config.champions.channel.get(platform)
    audience = audiences.loads(question.audience)
    if channel and not audiences.may_read_all(ctx.config, Reader.in_channel(platform, channel), audience):
        log.info("question %s concerns restricted collections its champions' channel may not read", question.id)
        channel = None  # never copy it where not everyone may read it: ask the champions directly instead
    if topic is None:
        names: list[str] = []
        return ([(Address(platform, channel), None)] if channel else []), names
    handles = [handle for handle in answerers(ctx, question)
               if audiences.may_read_all(ctx.config, Reader.of_handle(handle), audience)]
    names = [ctx.name_of(handle) for handle in handles]
    if channel:
        return [(Address(platform, channel), None)], names
    people = [Person(platform, user_id, ctx.name_of(handle)) for handle in handles
              if (user_id := ctx.config.user_id_for(handle, platform))]
    return [(None, person) for person in people], names


def answerers(ctx: LorebotContext, question: Question) -> list[str]:
    """The handles to ask about a question: its topic's champions other than the asker, or the topic's backup
    when the asker is its only champion. Nobody is asked their own question."""
    topic = ctx.config.topics.get(question.topic or "")
    if topic is None:
        return []
    asker = question.asker_handle or ctx.config.handle_for(question.platform, question.asker_id)
    others = [handle for handle in topic.champions if handle != asker]
    if others or not topic.champions:
        return others
    return [topic.backup] if topic.backup and topic.backup != asker else []


def _link_to_asker(ctx: LorebotContext, question: Question) -> str | None:
    root = question.thread or question.message_id
    if not root:
        return None
    try:
        return ctx.messenger.link(MessageRef(Address(question.platform, question.channel, root), root))
    except Exception as exc:  # noqa: BLE001 - a missing link never stops routing
        log.info("no link for question %s: %s", question.id, type(exc).__name__)
        return None
