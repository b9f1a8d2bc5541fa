"""Re-verification run: turn overdue requests stale, then ask champions about old or source-changed answers.

Each answer gets its own message with "Still right" / "Outdated" buttons (handled by
bot.curation.reverify_answers.ReverifyExtension), so a champion can settle them one by one. Once a message is out,
``after_sent`` records where it was shown: its buttons count only there.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.addresses import MessageRef
from bot.context import LorebotContext
from bot.replies import OUTDATED, STILL_RIGHT, Reply, ReplyAction
from bot.curation.reverify_answers import open_request, record_shown
from bot.tables.curation import VerifiedAnswer
from bot.tables.reverification import AGE, FLAGGED, REQUESTED, SOURCE_CHANGED, STALE, ReverificationRequest
from jobs import messages
from jobs.job import Job
from jobs.outbox import Delivery
from jobs.render import said
from jobs.tables import OutboxMessage

log = logging.getLogger("lorebot.jobs")


def plan(ctx: LorebotContext, session: Session, at: datetime, *, dry_run: bool) -> list[Delivery]:
    settings = ctx.config.jobs.reverify
    _mark_overdue_stale(ctx, session, settings.grace_days, at, dry_run=dry_run)
    old = session.exec(select(VerifiedAnswer).where(
        VerifiedAnswer.status == "active", VerifiedAnswer.stale == False,  # noqa: E712 - SQL comparison
        VerifiedAnswer.last_verified_at <= at - timedelta(days=settings.max_age_days),
    ).order_by(VerifiedAnswer.id)).all()
    already_open = set(session.exec(select(ReverificationRequest.open_for).where(
        ReverificationRequest.open_for.is_not(None))).all())
    for answer in old:
        if answer.id not in already_open:
            open_request(session, answer.id, AGE, at)
    session.flush()
    due = session.exec(select(ReverificationRequest).where(ReverificationRequest.status == FLAGGED)
                       .order_by(ReverificationRequest.id)).all()
    deliveries = []
    for request in due:
        answer = session.get(VerifiedAnswer, request.verified_answer_id)
        if answer is None or answer.status != "active":
            continue
        platform, _, user_id = answer.champion_id.partition(":")
        if not ctx.serves(platform) or not user_id:
            continue
        deliveries.append(Delivery(
            recipient=f"dm:{answer.champion_id}#request:{request.id}",
            platform=platform,
            kind="dm",
            target=user_id,
            reply=_render(ctx, request, answer, at),
            meta={"request": request.id, "verified_answer": answer.id},
        ))
        request.status = REQUESTED
        request.requested_at = at
        session.add(request)
    return deliveries


def after_sent(session: Session, row: OutboxMessage, ref: MessageRef) -> None:
    """Record where the request was shown, so its buttons act only from that message."""
    request_id = json.loads(row.meta or "{}").get("request")
    if request_id is not None:
        record_shown(session, int(request_id), ref)


def _mark_overdue_stale(ctx: LorebotContext, session: Session, grace_days: int, at: datetime, *, dry_run: bool) -> None:
    """Requests asked ``grace_days`` or more local calendar days ago (so a daylight-saving change in between
    does not postpone a weekly run's decision by a week)."""
    tz = ctx.config.tz
    today = at.astimezone(tz).date()
    overdue = [request for request in session.exec(select(ReverificationRequest).where(
        ReverificationRequest.status == REQUESTED, ReverificationRequest.requested_at <= at,
    )).all() if (today - request.requested_at.astimezone(tz).date()).days >= grace_days]
    for request in overdue:
        answer = session.get(VerifiedAnswer, request.verified_answer_id)
        if answer is not None:
            if answer.entry_id is not None and ctx.knowledge is not None and not dry_run:
                ctx.knowledge.update_entry(answer.entry_id, stale=True)  # idempotent, safe to repeat on a retry
            answer.stale = True
            session.add(answer)
        request.status = STALE
        request.open_for = None
        request.closed_at = at
        session.add(request)
    if overdue:
        log.info("re-verification: %s answer(s) marked stale", len(overdue))


def _render(ctx: LorebotContext, request: ReverificationRequest, answer: VerifiedAnswer, at: datetime) -> Reply:
    settings = ctx.config.jobs.reverify
    if request.reason == SOURCE_CHANGED:
        reason = messages.REVERIFY_REASON_SOURCE.format(documents=", ".join(request.document_list()))
    else:
        reason = messages.REVERIFY_REASON_AGE.format(days=(at - answer.last_verified_at).days)
    value = str(request.id)
    return Reply(
        title=messages.REVERIFY_TITLE,
        text=messages.REVERIFY_TEXT.format(question=said(answer.question_text, 300),
                                           answer=said(answer.answer_text, 600), reason=reason),
        actions=(
            ReplyAction(name=STILL_RIGHT, value=value, label=messages.REVERIFY_STILL_RIGHT, style="primary"),
            ReplyAction(name=OUTDATED, value=value, label=messages.REVERIFY_OUTDATED, style="danger"),
        ),
        context=messages.REVERIFY_CONTEXT.format(grace=settings.grace_days),
    )


JOB = Job(name="reverify", settings=lambda config: config.jobs.reverify, plan=plan, after_sent=after_sent)
