"""How to reach people and conversations later, without them writing first.

Some platforms (Microsoft Teams) only let a bot message someone proactively with a reference it saved when
they last met. Adapters store that reference here as opaque JSON text; the core and the jobs only ask whether
someone can be reached. A refusal for good (bot uninstalled or blocked) marks the contact unreachable until
the platform introduces them again.
"""
from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from knowledge import schema

from bot.tables.contacts import KINDS, Contact


def create_tables(engine: Engine) -> None:
    schema.create_tables(engine, [Contact.__table__])


def remember_contact(target: Session | Engine, platform: str, key: str, kind: str, payload: str,
                     now: datetime) -> Contact:
    """Insert or refresh a contact and commit. Meeting someone again makes them reachable again.

    Two replicas meeting the same person at once both succeed: the unique key lets one insert, the other
    updates the row it lost to. Every activity from Teams names its conversation and sender, so most calls find
    the row as it is: those write nothing (a commit per delivery was a third of the endpoint's work under load).
    """
    _check_kind(kind)
    with _session(target) as session:
        row = _get(session, platform, key)
        if row is not None and (row.kind, row.payload, row.unreachable) == (kind, payload, False):
            return row
        if row is None:
            row = Contact(platform=platform, key=key, kind=kind, payload=payload, unreachable=False, updated_at=now)
            session.add(row)
            try:
                session.commit()
                return row
            except IntegrityError:
                session.rollback()
                row = _get(session, platform, key)
        row.kind, row.payload, row.unreachable, row.updated_at = kind, payload, False, now
        session.add(row)
        session.commit()
        return row


def find_contact(target: Session | Engine, platform: str, key: str) -> Contact | None:
    with _session(target) as session:
        return _get(session, platform, key)


def mark_unreachable(target: Session | Engine, platform: str, key: str, now: datetime) -> bool:
    """Mark a contact unreachable; False when there is no such contact."""
    with _session(target) as session:
        changed = session.execute(
            update(Contact).where(Contact.platform == platform, Contact.key == key)
            .values(unreachable=True, updated_at=now)
        ).rowcount
        session.commit()
        return bool(changed)


def is_unreachable(target: Session | Engine, platform: str, key: str) -> bool:
    """True only for a contact known to refuse delivery (an unknown contact is not known to refuse)."""
    contact = find_contact(target, platform, key)
    return bool(contact and contact.unreachable)


class StoredContacts:
    """The contacts table as an adapter's address book: what it learns survives restarts and is shared by
    every replica on the same database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def remember(self, platform: str, key: str, kind: str, payload: str, now: datetime) -> None:
        remember_contact(self._engine, platform, key, kind, payload, now)

    def find(self, platform: str, key: str) -> Contact | None:
        return find_contact(self._engine, platform, key)

    def mark_unreachable(self, platform: str, key: str, now: datetime) -> bool:
        return mark_unreachable(self._engine, platform, key, now)


class ScratchContacts:
    """An address book kept in memory, for this process only.

    For an endpoint that cannot tell who is speaking (Teams started with ``--insecure-no-auth``): what it
    learns comes from requests anyone could have forged, so it must not outlive the process. Stored, a forged
    reference would keep sending a champion's questions to someone else's server after every restart."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], Contact] = {}
        self._lock = threading.Lock()

    def remember(self, platform: str, key: str, kind: str, payload: str, now: datetime) -> None:
        _check_kind(kind)
        with self._lock:
            self._rows[(platform, key)] = Contact(platform=platform, key=key, kind=kind, payload=payload,
                                                  unreachable=False, updated_at=now)

    def find(self, platform: str, key: str) -> Contact | None:
        with self._lock:
            return self._rows.get((platform, key))

    def mark_unreachable(self, platform: str, key: str, now: datetime) -> bool:
        with self._lock:
            row = self._rows.get((platform, key))
            if row is None:
                return False
            row.unreachable, row.updated_at = True, now
            return True


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown contact kind {kind!r} (use one of {', '.join(KINDS)})")


class _session:
    """Use the caller's session as is, or open (and close) one on an engine."""

    def __init__(self, target: Session | Engine) -> None:
        self._target = target
        self._own: Session | None = None

    def __enter__(self) -> Session:
        if isinstance(self._target, Session):
            return self._target
        self._own = Session(self._target, expire_on_commit=False)
        return self._own

    def __exit__(self, *exc) -> None:
        if self._own is not None:
            self._own.close()


def _get(session: Session, platform: str, key: str) -> Contact | None:
    return session.exec(select(Contact).where(Contact.platform == platform, Contact.key == key)).first()
