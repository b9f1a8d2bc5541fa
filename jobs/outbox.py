"""Rendered messages waiting to be sent, and the sending itself.

A message moves pending -> sending -> sent. "sending" is taken by one conditional UPDATE, so two processes
resuming the same outbox never both send a row; a row left "sending" by a crashed process goes back to pending
after a lease. The window between the platform accepting a message and our commit is the only place a crash
can repeat one message; every other crash resumes exactly where it stopped. A failing after-send hook never
reopens that window: the row is then marked sent on its own.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import update
from sqlmodel import Session, select

from bot.addresses import Address, MessageRef, Person
from bot.context import LorebotContext
from bot.ports import Unreachable
from bot.replies import Reply, ReplyAction, SourceRef
from jobs.tables import FAILED, PENDING, SENDING, SENT, UNREACHABLE, OutboxMessage

log = logging.getLogger("lorebot.jobs")

MAX_ATTEMPTS = 5
SENDING_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Delivery:
    """One message a job wants sent: to a person's DM (``kind="dm"``, target = user id) or into a channel."""

    recipient: str
    platform: str
    kind: str
    target: str
    reply: Reply
    thread: str | None = None
    meta: dict = field(default_factory=dict)


def reply_to_json(reply: Reply) -> str:
    return json.dumps(asdict(reply), ensure_ascii=False, sort_keys=True)


def reply_from_json(text: str) -> Reply:
    data = json.loads(text)
    return Reply(
        text=data["text"],
        sources=tuple(SourceRef(**source) for source in data.get("sources", ())),
        actions=tuple(ReplyAction(**action) for action in data.get("actions", ())),
        title=data.get("title"),
        context=data.get("context"),
    )


def to_row(job: str, period: str, delivery: Delivery, now: datetime) -> OutboxMessage:
    return OutboxMessage(
        job=job,
        period=period,
        recipient=delivery.recipient,
        platform=delivery.platform,
        kind=delivery.kind,
        target=delivery.target,
        thread=delivery.thread,
        reply=reply_to_json(delivery.reply),
        meta=json.dumps(delivery.meta, sort_keys=True),
        created_at=now,
    )


# Called after a message was sent, inside the transaction that marks it sent (e.g. remember a lessons thread).
# A hook that fails is logged and the row is marked sent without it: resending the message would not fix it.
AfterSent = Callable[[Session, OutboxMessage, MessageRef], None]


@dataclass
class SendReport:
    sent: int = 0
    unreachable: int = 0
    failed: int = 0
    retrying: int = 0


def release_stale_claims(ctx: LorebotContext) -> int:
    """Rows a crashed process left "sending" for longer than the lease go back to pending."""
    cutoff = ctx.now() - SENDING_LEASE
    with ctx.session() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == SENDING, OutboxMessage.attempted_at <= cutoff)
            .values(status=PENDING)
        )
        session.commit()
        return result.rowcount or 0


def pending_ids(ctx: LorebotContext, job: str | None = None, period: str | None = None) -> list[int]:
    with ctx.session() as session:
        query = select(OutboxMessage.id).where(OutboxMessage.status == PENDING)
        if job is not None:
            query = query.where(OutboxMessage.job == job)
        if period is not None:
            query = query.where(OutboxMessage.period == period)
        return list(session.exec(query.order_by(OutboxMessage.id)).all())


def send_pending(ctx: LorebotContext, after_sent: dict[str, AfterSent], job: str | None = None,
                 period: str | None = None) -> SendReport:
    """Send every pending row (of one run, or all); one unreachable or failing recipient never stops the batch."""
    report = SendReport()
    for row_id in pending_ids(ctx, job, period):
        outcome = _send_one(ctx, row_id, after_sent)
        if outcome:
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _claim(ctx: LorebotContext, row_id: int) -> OutboxMessage | None:
    with ctx.session() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.status == PENDING)
            .values(status=SENDING, attempted_at=ctx.now(), attempts=OutboxMessage.attempts + 1)
        )
        session.commit()
        if result.rowcount != 1:
            return None  # another process took it, or it is no longer pending
        return session.get(OutboxMessage, row_id)


def _send_one(ctx: LorebotContext, row_id: int, after_sent: dict[str, AfterSent]) -> str | None:
    messenger_ready = True
    with ctx.session() as session:
        row = session.get(OutboxMessage, row_id)
        if row is None or not ctx.serves(row.platform):
            messenger_ready = False
    if not messenger_ready:
        return None  # left pending for a process that serves this platform
    row = _claim(ctx, row_id)
    if row is None:
        return None
    messenger = ctx.messenger
    try:
        if row.kind == "dm":
            address = messenger.open_dm(Person(platform=row.platform, id=row.target))
        else:
            address = Address(platform=row.platform, channel=row.target)
        if row.thread:
            address = address.in_thread(row.thread)
        ref = messenger.send(address, reply_from_json(row.reply))
    except Unreachable:
        _finish(ctx, row_id, UNREACHABLE)
        log.info("outbox %s (%s %s): recipient unreachable", row_id, row.job, row.period)
        return "unreachable"
    except Exception as exc:  # noqa: BLE001 - a platform hiccup must not stop the other recipients
        status = FAILED if row.attempts >= MAX_ATTEMPTS else PENDING
        _finish(ctx, row_id, status)
        log.warning("outbox %s (%s %s): send failed (%s), %s", row_id, row.job, row.period,
                    exc.__class__.__name__, status)
        return "failed" if status == FAILED else "retrying"
    hook = after_sent.get(row.job)
    try:
        _mark_sent(ctx, row_id, ref, hook)
    except Exception as exc:  # noqa: BLE001 - the message is out: it must be marked sent whatever the hook did
        log.warning("outbox %s (%s %s): after-send step failed (%s); marked sent without it", row_id, row.job,
                    row.period, exc.__class__.__name__)
        _mark_sent(ctx, row_id, ref, None)
    return "sent"


def _mark_sent(ctx: LorebotContext, row_id: int, ref: MessageRef, hook: AfterSent | None) -> None:
    """Mark the row sent, with the hook's changes in the same transaction when there is a hook."""
    with ctx.session() as session:
        stored = session.get(OutboxMessage, row_id)
        stored.status = SENT
        stored.sent_at = ctx.now()
        stored.message_id = ref.message_id
        stored.channel = ref.address.channel
        session.add(stored)
        if hook is not None:
            hook(session, stored, ref)
        session.commit()


def _finish(ctx: LorebotContext, row_id: int, status: str) -> None:
    with ctx.session() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(status=status))
        session.commit()
