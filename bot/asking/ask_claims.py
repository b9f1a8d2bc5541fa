"""Claims on asks: the first delivery of a message takes it, before any search, so duplicates cost nothing.

A chat platform delivers one question several times: Slack sends ``app_mention`` and ``message`` for one
mention (two event ids, one message ``ts``) and retries each when an answer is slow; a second replica may get
any of them. Every delivery first claims the *message* (platform + channel + message id; the event id for an
ask without a message of its own, such as a slash command) under a unique key. The winner gets a lease of
``LEASE``; everyone else stops there, having cost one insert.

A claim is done once its question is recorded (``complete``, in the same transaction as the question row), and
a done claim is never taken again. A claim still open when its lease runs out belongs to an attempt that
crashed (or hung): the next delivery (a platform retry, another replica) takes it over with a conditional
UPDATE, so exactly one attempt wins on SQLite and PostgreSQL alike, and the loser of a takeover finds out when
its ``complete`` changes no row.

Completing a claim renews its lease for the reply: the question is recorded, and its reply is sent right after.
A done claim whose question still has no reply (no AnswerShown row) once that lease has run out belongs to an
attempt that crashed between the two; ``take_for_reply`` gives it to exactly one recovering attempt
(``bot.recovery.ask_recovery``), again by a conditional UPDATE.

An open claim keeps the ask itself (``ask_json``): the platform heard its acknowledgement and will not deliver
the message again, so when no retry comes to take a dead attempt's claim over, ``take_abandoned`` gives it to
one recovering attempt, which handles the stored ask as if it had just arrived. The copy is cleared when the
question is recorded (the question row holds its words from then on).
"""
from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.addresses import Address, Person
from bot.events import Ask
from bot.tables.claims import AskClaim
from bot.tables.questions import AnswerShown

# Long enough for a search and the platform calls under load (seconds, not minutes), short enough that a
# platform's retries (Slack: at once, after about a minute, after five minutes) find a crashed attempt's
# claim free again. The default of ``[recovery] lease_seconds``, which the ask flow passes in.
LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Lease:
    """This attempt's hold on a claim: only the holder can complete it."""

    claim_id: int
    holder: str
    taken_over: bool  # a crashed attempt had it before


def message_key(event: Ask) -> str:
    """The message's own identity, shared by every delivery of it, whatever its event id."""
    if event.message_id:
        return f"message/{event.where.channel}/{event.message_id}"
    return f"event/{event.event_id}"


def claim(session: Session, event: Ask, now: datetime, lease: timedelta = LEASE) -> Lease | None:
    """Claim the ask's message for this attempt (commits); None when another attempt holds it or finished it.

    A duplicate (the usual case under load: three deliveries of four) is told by one read and writes nothing,
    because adapters claim while the platform waits for its acknowledgement and a write may wait for SQLite's
    one writer. The unique key and the conditional UPDATE below stay the guards when attempts race."""
    platform, key, holder, stored = event.person.platform, message_key(event), uuid.uuid4().hex, ask_json(event)
    held = session.exec(select(AskClaim.done_at, AskClaim.leased_until)
                        .where(AskClaim.platform == platform, AskClaim.message_key == key)).first()
    session.rollback()  # end the read before writing (SQLite refuses to turn a stale read into a write)
    if held is not None and (held.done_at is not None or held.leased_until >= now):
        return None
    if held is None:
        row = AskClaim(platform=platform, message_key=key, event_id=event.event_id, holder=holder,
                       leased_until=now + lease, claimed_at=now, ask=stored)
        session.add(row)
        try:
            session.commit()
            return Lease(row.id, holder, taken_over=False)
        except IntegrityError:
            session.rollback()
    holder = _take_over(session, now, lease, AskClaim.platform == platform, AskClaim.message_key == key,
                        event_id=event.event_id, ask=stored)
    if holder is None:
        return None
    claim_id = session.exec(select(AskClaim.id).where(AskClaim.platform == platform,
                                                      AskClaim.message_key == key)).one()
    return Lease(claim_id, holder, taken_over=True)


def take_abandoned(session: Session, claim_id: int, now: datetime, lease: timedelta = LEASE) -> Lease | None:
    """Take an open claim whose attempt died before recording its question, once its lease has run out
    (commits), to handle its stored ask again; None when another attempt holds it or finished it meanwhile."""
    holder = _take_over(session, now, lease, AskClaim.id == claim_id, AskClaim.ask.is_not(None))
    return Lease(claim_id, holder, taken_over=True) if holder else None


def _take_over(session: Session, now: datetime, lease: timedelta, *where, **values) -> str | None:
    """Give the open claim ``where`` selects to a new attempt if its lease ran out (commits): one conditional
    UPDATE, so of several racing attempts exactly one gets it. Returns the new holder, or None."""
    holder = uuid.uuid4().hex
    taken = session.execute(
        update(AskClaim)
        .where(*where, AskClaim.done_at.is_(None), AskClaim.leased_until < now)
        .values(holder=holder, leased_until=now + lease, takeovers=AskClaim.takeovers + 1, **values)
    ).rowcount
    session.commit()
    return holder if taken else None


def complete(session: Session, lease: Lease, now: datetime, question_id: int | None = None,
             for_reply: timedelta = LEASE) -> bool:
    """Mark the claim done inside the caller's transaction (not committed here), drop its copy of the ask and
    lease it anew (``for_reply``) for the reply; False when this attempt no longer holds it (its lease ran out
    and a later delivery took over), so the caller must roll back."""
    return session.execute(
        update(AskClaim)
        .where(AskClaim.id == lease.claim_id, AskClaim.holder == lease.holder, AskClaim.done_at.is_(None))
        .values(done_at=now, question_id=question_id, leased_until=now + for_reply, ask=None)
    ).rowcount == 1


def take_for_reply(session: Session, claim_id: int, now: datetime, lease: timedelta = LEASE) -> bool:
    """Take a done claim whose question was never replied to, once its lease has run out (commits); False when
    another attempt holds it or the reply is recorded meanwhile."""
    taken = session.execute(
        update(AskClaim)
        .where(AskClaim.id == claim_id, AskClaim.done_at.is_not(None), AskClaim.question_id.is_not(None),
               AskClaim.leased_until < now, ~exists().where(AnswerShown.question_id == AskClaim.question_id))
        .values(holder=uuid.uuid4().hex, leased_until=now + lease, takeovers=AskClaim.takeovers + 1)
    ).rowcount
    session.commit()
    return taken == 1


def ask_json(event: Ask) -> str:
    """The ask as its claim keeps it: everything needed to handle it again (who, where, the words, the flags)."""
    return json.dumps(dataclasses.asdict(event))


def stored_ask(text: str) -> Ask:
    """The ask ``ask_json`` stored."""
    data = json.loads(text)
    return Ask(event_id=data["event_id"], person=Person(**data["person"]), text=data["text"],
               where=Address(**data["where"]), message_id=data["message_id"],
               attachments=tuple(data["attachments"]), private=data["private"])
