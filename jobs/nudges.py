"""Champion nudges: one DM per champion listing routed questions that have waited too long, oldest first.

A question nudged on ``escalate_after`` days goes to its topic's backup champion instead. A question is nudged at
most once a local day, however many runs (scheduled or by hand) that day has, so a second run sends nothing new
and escalation counts days, not runs. Nudge counts are written in the same transaction that claims the run, so
a repeated or resumed run never counts twice. An open question asked in the very words of one that already has
a verified answer is not nudged: the answer exists, the champions need not write it again.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlmodel import Session, select

from bot.asking import routing
from bot.people import audiences
from bot.addresses import Address, MessageRef, Person
from bot.people.audiences import Reader
from bot.context import LorebotContext
from bot.replies import Reply
from bot.tables.questions import Question, RoutedPost
from jobs import messages
from jobs.job import Job
from jobs.outbox import Delivery
from jobs.render import hours, said, thread_link
from jobs.verified import verified
from jobs.workhours import working_hours_between



def plan(ctx: LorebotContext, session: Session, at: datetime, *, dry_run: bool) -> list[Delivery]:
    settings = ctx.config.jobs.nudges
    tz = ctx.config.tz
    waiting = session.exec(
        select(Question).where(Question.status == "routed").order_by(Question.routed_at, Question.id)
    ).all()
    answered = verified(session)
    today = at.astimezone(tz).date()
    per_handle: dict[str, list[tuple[Question, float, bool]]] = defaultdict(list)
    for question in waiting:
        topic = ctx.config.topics.get(question.topic or "")
        since = question.routed_at or question.asked_at
        if topic is None or since is None or since > at or answered.covers(question):
            continue
        if question.last_nudged_at is not None and question.last_nudged_at.astimezone(tz).date() == today:
            continue
        waited = working_hours_between(since, at, tz, settings.workday_start, settings.workday_end)
        if waited < settings.wait_hours:
            continue
        asker = question.asker_handle or ctx.config.handle_for(question.platform, question.asker_id)
        # A backup who asked it is not escalated to: their topic's champions keep being nudged instead.
        escalate = bool(topic.backup) and topic.backup != asker and (
            question.escalated or question.nudge_count >= settings.escalate_after)
        handles = [topic.backup] if escalate else routing.answerers(ctx, question)  # never the asker
        audience = audiences.loads(question.audience)
        for handle in dict.fromkeys(handles):
            if audiences.may_read_all(ctx.config, Reader.of_handle(handle), audience):  # as when it was routed
                per_handle[handle].append((question, waited, escalate))
        if not dry_run:
            question.nudge_count += 1
            question.last_nudged_at = at
            question.escalated = question.escalated or escalate
            session.add(question)
    deliveries = []
    for handle, items in per_handle.items():
        person = ctx.reach(handle, prefer=[items[0][0].platform])
        if person is None:
            continue
        deliveries.append(Delivery(
            recipient=f"dm:{handle}",
            platform=person.platform,
            kind="dm",
            target=person.id,
            reply=_render(ctx, session, person, items),
            meta={"questions": [question.id for question, _, _ in items]},
        ))
    return deliveries


def _render(ctx: LorebotContext, session: Session, person: Person, items: list[tuple[Question, float, bool]]) -> Reply:
    escalated_only = all(escalate for _, _, escalate in items)
    intro = messages.NUDGE_ESCALATED_INTRO if escalated_only else messages.NUDGE_INTRO
    lines = [intro.format(count=len(items))]
    for question, waited, escalate in items:
        template = messages.NUDGE_LINE_ESCALATED if escalate and not escalated_only else messages.NUDGE_LINE
        lines.append(template.format(
            waited=hours(waited), topic=question.topic, text=said(question.text),
            link=_link(ctx, session, person, question),
        ).rstrip())
    return Reply(text="\n".join(lines), title=messages.NUDGE_TITLE, context=messages.NUDGE_CONTEXT)


def _link(ctx: LorebotContext, session: Session, person: Person, question: Question) -> str:
    """A link to where this champion can answer: their own routed DM, else the routed thread."""
    post = session.exec(select(RoutedPost).where(RoutedPost.question_id == question.id,
                                                 RoutedPost.recipient_id == person.key)).first()
    if post is not None:
        ref = MessageRef(Address(post.platform, post.channel, post.message_id), post.message_id)
    elif question.routed_channel and question.routed_thread:
        ref = MessageRef(Address(question.platform, question.routed_channel, question.routed_thread),
                         question.routed_thread)
    else:
        return ""
    return thread_link(ctx, ref)


JOB = Job(name="nudges", settings=lambda config: config.jobs.nudges, plan=plan)
