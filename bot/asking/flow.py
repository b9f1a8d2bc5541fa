"""The ask flow: claim the message, embed it once, search, decide, record the question, answer or route.

Nothing is searched before the delivery has claimed its message (``bot.asking.ask_claims``): the duplicates a platform
sends (Slack's ``app_mention`` and ``message`` for one mention, retries, other replicas) stop at that claim.
The winner embeds the question once and the vector serves the search, the topic pick and the "Same as…"
offers. The question row is inserted once, with its final status, in the same transaction that marks the claim
done; the reply carries the question's id, so it is sent right after that commit. A crash between that commit
and the reply leaves a question without an AnswerShown row, which ``bot.recovery.ask_recovery`` answers later.

The claim is one quick insert (``claim_ask``), so an adapter takes it before acknowledging the platform and
answers in the background (``answer_claimed``): a crash after the acknowledgement leaves a claim holding the
ask, which ``bot.recovery.ask_recovery`` answers once its lease has run out, where the platform will not retry.
"""
from __future__ import annotations

import dataclasses
import json
import logging
from typing import Sequence

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import messages
from bot.asking import ask_claims, generating, joining, preferences, routing
from bot.people import askers, audiences
from bot.asking.answering import Answer, answer_from_hits
from bot.addresses import Address
from bot.context import LorebotContext
from bot.tables import llm_health
from bot.tables.curation import Rejection
from bot.tables.claims import ProcessedEvent
from bot.events import Ask
from bot.tables.questions import AnswerShown, Question, text_key
from bot.replies import Reply
from bot.asking.topics import TopicPicker
from knowledge.types import Hit

log = logging.getLogger(__name__)

SEARCH_K = 10


def handle_ask(ctx: LorebotContext, topics: TopicPicker, event: Ask) -> None:
    """Claim the ask's message, then answer it (``answer_claimed``); a duplicate stops at the claim."""
    lease = claim_ask(ctx, event)
    if lease is not None:
        answer_claimed(ctx, topics, event, lease)


def claim_ask(ctx: LorebotContext, event: Ask) -> ask_claims.Lease | None:
    """Claim the ask's message for this attempt (one insert, committed); None for a duplicate delivery. Quick,
    so an adapter can claim before acknowledging the platform: from then on the stored claim, not the
    platform's retries, makes sure the question is answered."""
    with ctx.session() as session:
        lease = ask_claims.claim(session, event, ctx.now(), ctx.config.recovery.lease)
    if lease is None:
        log.info("duplicate ask %s ignored", event.event_id)
    elif lease.taken_over:
        log.info("ask %s taken over from an attempt whose lease ran out", event.event_id)
    return lease


def answer_claimed(ctx: LorebotContext, topics: TopicPicker, event: Ask, lease: ask_claims.Lease) -> bool:
    """Search, decide, record the question (completing the claim ``lease`` holds) and reply. False when another
    attempt took the claim over meanwhile (nothing was recorded or sent)."""
    platform = event.person.platform
    text = event.text.strip()
    with ctx.session() as session:
        asker = askers.resolve(ctx, session, event.person)
        processed = ProcessedEvent(platform=platform, event_id=event.event_id, kind="ask", at=ctx.now())
        if not text:
            reply = messages.attachments_only(event.attachments) if event.attachments else (
                messages.empty_question())
            ctx.messenger.send(_reply_address(event), reply)
            return _record(ctx, session, lease, processed)

        vector = ctx.knowledge.embed_question(text)
        reader = asker.reader(event.private, event.where.channel)
        hits, answer = decide(ctx, session, reader, text, vector, _reply_address(event))
        now = ctx.now()
        question = Question(
            platform=platform, asker_id=event.person.id, asker_name=asker.name,
            asker_handle=asker.handle, channel=event.where.channel, thread=event.where.thread or event.message_id,
            message_id=event.message_id, text=text, text_key=text_key(text),
            status=_status(answer), topic=topics.pick(text, vector),
            confidence=answer.confidence, asked_at=now,
            answered_at=now if answer.answered else None, routed_at=now if _status(answer) == "routed" else None,
            resolved_by="bot" if answer.answered else None,
            private=event.private, audience=audiences.dumps(audiences.concerned(ctx.config, reader, hits)),
        )
        if not _record(ctx, session, lease, processed, question):
            log.info("ask %s was recorded by another attempt", event.event_id)
            return False
        log.info("question %s recorded (%s, confidence %.2f)", question.id, question.status, answer.confidence)

        send_reply(ctx, session, question, answer, _reply_address(event), vector, event.attachments)
        return True


def send_reply(ctx: LorebotContext, session: Session, question: Question, answer: Answer, where: Address,
               vector: Sequence[float] | None = None, unreadable: tuple[str, ...] = ()) -> None:
    """Tell the asker about their recorded question: the answer, the suggestion, or that champions were asked
    (routing it now unless an earlier attempt already did). The AnswerShown row committed here is what marks
    the question replied, so ``bot.recovery.ask_recovery`` can finish a reply a crash cut off; the reply carries
    ``reply_ref(question)`` so that recovery can also tell one the platform took just before the crash."""
    if answer.answered:
        reply = messages.answer(answer, question.id, ctx.now(), unreadable)
    elif answer.suggested:
        reply = messages.suggestion(answer, question.id, ctx.now(), unreadable)
    else:
        reply = _route_or_join(ctx, session, question, vector, unreadable)
    ref = ctx.messenger.send(where, dataclasses.replace(reply, ref=reply_ref(question)))
    record_shown(session, question, answer, ref.message_id, ctx.now())
    if question.thread is None:
        question.thread = ref.message_id
        session.add(question)
    session.commit()


def reply_ref(question: Question) -> str:
    """The name the asker's reply to ``question`` carries on the platform (``Reply.ref``)."""
    return f"question:{question.id}"


def _route_or_join(ctx: LorebotContext, session: Session, question: Question, vector: Sequence[float] | None,
                   unreadable: tuple[str, ...]) -> Reply:
    """Route the question, unless an earlier attempt did, or an equivalent one is already open: then join it."""
    outcome = routing.routed_before(ctx, session, question)
    if outcome is None:
        joined = _join_open(ctx, session, question, vector)
        if joined is not None:
            return joined
        outcome = routing.route(ctx, session, question, vector)
    return _routing_reply(outcome, unreadable)


def _join_open(ctx: LorebotContext, session: Session, question: Question,
               vector: Sequence[float] | None = None) -> Reply | None:
    """Join an equivalent question already waiting for champions, and say so; None when there is none."""
    primary = joining.open_equivalent(ctx, session, question, vector)
    if primary is None:
        return None
    joining.join(ctx, session, question, primary)
    return messages.joined_open_question()


def _record(ctx: LorebotContext, session: Session, lease: ask_claims.Lease, processed: ProcessedEvent,
            question: Question | None = None) -> bool:
    """Insert the delivery (and its question) and mark the claim done, all in one transaction; False when a
    unique key or the claim says another attempt got there first (nothing is written then)."""
    session.add(processed)
    if question is not None:
        session.add(question)
    try:
        session.flush()
        done_at = question.asked_at if question else processed.at  # the reply's lease starts now, not at the claim
        if not ask_claims.complete(session, lease, done_at, question.id if question else None,
                                   ctx.config.recovery.lease):
            session.rollback()
            return False
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def reroute(ctx: LorebotContext, session: Session, question: Question, where: Address) -> None:
    """Route a question the bot had answered ("Not helpful", "Ask a champion"), or join an equivalent one already
    waiting; only the first click does, decided by a conditional update so two replicas cannot both route it."""
    now = ctx.now()
    claimed = session.execute(
        update(Question)
        .where(Question.id == question.id, Question.routed_at.is_(None))
        .values(status="routed", routed_at=now, resolved_by=None)
    ).rowcount
    session.commit()
    if not claimed:
        ctx.messenger.send(where, messages.already_with_champions(question.topic))
        return
    session.refresh(question)
    reply = _join_open(ctx, session, question)
    if reply is None:
        outcome = routing.route(ctx, session, question)
        reply = messages.rerouted(outcome.topic, outcome.champion_names) if outcome.routed else (
            _routing_reply(outcome))
    ctx.messenger.send(Address(question.platform, question.channel, question.thread), reply)


def claim(session: Session, *rows) -> bool:
    """Insert the rows in one transaction; False when a unique key says this was done before."""
    for row in rows:
        session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def record_shown(session: Session, question: Question, answer: Answer, message_id: str | None, at) -> AnswerShown:
    sources = [{"key": s.key, "title": s.title, "document": s.document, "score": s.score} for s in answer.sources]
    # A written answer is kept without its source markers: that is the text a champion's ✅ verifies.
    shown = AnswerShown(question_id=question.id, message_id=message_id, confidence=answer.confidence,
                        status=answer.status, sources=json.dumps(sources),
                        answer_text=answer.plain_text or answer.answer, shown_at=at)
    session.add(shown)
    return shown


def decide(ctx: LorebotContext, session: Session, reader: audiences.Reader, text: str,
           vector: Sequence[float] | None = None, where: Address | None = None) -> tuple[list[Hit], Answer]:
    """The bot's answer decision for a question this reader asked: search what they may read, leave out what
    champions rejected for this wording, let what people judged for the same question reorder the passages
    (``bot.asking.preferences``), then answer, suggest or admit being unsure. ``vector`` is the
    question's embedding when the caller has it (``knowledge.embed_question``); ``where`` is the asker's message,
    marked as being worked on while an LLM reads. Returns the hits considered too, since they tell what the
    question concerns."""
    collections = audiences.searched(ctx.config, ctx.knowledge, reader)
    vector = ctx.knowledge.embed_question(text) if vector is None else vector  # search and preferences share it
    hits = ctx.knowledge.search(text, k=SEARCH_K, collections=collections, vector=vector)
    rejected = _rejected_keys(session, text_key(text))
    hits = [hit for hit in hits if hit.key not in rejected]
    if not any(hit.is_verified and hit.confidence >= ctx.config.answers.verified_threshold for hit in hits):
        standing = preferences.standings(session, ctx.config, ctx.knowledge, reader, text, vector, hits, collections)
        hits = preferences.reorder(hits, standing, ctx.config.answers.feedback_askers)
    answer = answer_from_hits(text, hits, ctx.config.answers, ctx.config.collections)
    if ctx.llm is None:
        return hits, answer
    working = (lambda: ctx.messenger.working(where)) if where is not None else None
    answer = generating.refine(ctx.llm, text, hits, answer, ctx.config.answers, ctx.config.collections, working)
    with ctx.session() as own:  # apart from the caller's transaction, which records the question later
        llm_health.record(own, ctx.llm.breaker.state, ctx.now())
    return hits, answer


def _status(answer: Answer) -> str:
    """A suggestion waits for the asker's Yes or No before anyone else is bothered."""
    if answer.answered:
        return "answered"
    return "suggested" if answer.suggested else "routed"


def _rejected_keys(session: Session, key: str) -> set[str]:
    """Sources a champion rejected for this question (asked before in the same words)."""
    rows = session.exec(
        select(Rejection.hit_key).join(Question, Question.id == Rejection.question_id).where(Question.text_key == key)
    ).all()
    return set(rows)


def _routing_reply(outcome: routing.RouteOutcome, unreadable: tuple[str, ...] = ()):
    if outcome.routed:
        return messages.routed(outcome.topic, outcome.champion_names, unreadable)
    if outcome.status == routing.NO_CHAMPIONS:
        return messages.no_champions(outcome.topic)
    return messages.champions_unreachable(outcome.topic)


def _reply_address(event: Ask) -> Address:
    return event.where.in_thread(event.where.thread or event.message_id)
