"""Readers a source names, as its collection's audience (``[sources.NAME] visible_to_from_source = true``).

A source that can tell who may read what it syncs (a shared drive's members, a site's group) says so by email
at every sync (``knowledge.sources``). Here those emails become people Lorebot knows: someone in lorebot.toml
with that ``email`` (``person:HANDLE``), or someone a platform introduced with it (``user:PLATFORM:ID``, from the
people table, filled by Slack's and Teams' profiles). A reader must then be among the readers of every such
source of the collection, on top of what ``[collections.NAME] visible_to`` asks: an audience from a source only
ever narrows. A group the source names but cannot list, or an email nobody here has, opens nothing. A source
that cannot tell leaves ``visible_to`` as it is; one that shares with everyone adds no restriction.

Every process keeps one ``SourceAudiences`` on its configuration (``attach``) and reads the store again at
most every ``MAX_AGE``, and at once after its own syncs, so a sync in another process reaches it within that
time.
"""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import LorebotConfig
from bot.tables.people import PersonRow
from knowledge.sources.documents import Audience
from knowledge.sources.tables import KbSourceState

MAX_AGE = timedelta(seconds=30)


class SourceAudiences:
    """For each collection whose readers come from its sources: the reader keys each such source allows."""

    def __init__(self, engine: Engine, config: LorebotConfig, max_age: timedelta = MAX_AGE) -> None:
        self.engine, self.config, self.max_age = engine, config, max_age.total_seconds()
        self._lock = threading.Lock()
        self._loaded_at: float | None = None
        self._by_collection: dict[str, list[frozenset[str]]] = {}

    def readers(self, collection: str) -> list[frozenset[str]]:
        """The reader keys each source of ``collection`` allows (empty: no source restricts it)."""
        with self._lock:
            if self._loaded_at is None or time.monotonic() - self._loaded_at >= self.max_age:
                self._by_collection = self._load()
                self._loaded_at = time.monotonic()
            return self._by_collection.get(collection, [])

    def collections(self) -> set[str]:
        """The collections some source restricts."""
        self.readers("")
        return set(self._by_collection)

    def refresh(self) -> None:
        """Read the store again now (after a sync in this process)."""
        with self._lock:
            self._loaded_at = None

    def _load(self) -> dict[str, list[frozenset[str]]]:
        wanted = {name: options for name, options in self.config.sources.items() if options.visible_to_from_source}
        if not wanted:
            return {}
        with Session(self.engine) as session:
            states = {state.name: state for state in session.exec(
                select(KbSourceState).where(KbSourceState.name.in_(list(wanted)))).all()}
            said = {name: _audience(states.get(name)) for name in wanted}
            emails = {email for audience in said.values() if audience is not None for email in audience.emails}
            known = session.exec(select(PersonRow.email, PersonRow.platform, PersonRow.user_id).where(
                PersonRow.email.in_(sorted(emails)))).all() if emails else []
        by_email: dict[str, set[str]] = {}
        for handle, person in self.config.people.items():
            if person.email:
                by_email.setdefault(person.email, set()).add(f"person:{handle}")
        for email, platform, user_id in known:
            by_email.setdefault(email, set()).add(f"user:{platform}:{user_id}")
        out: dict[str, list[frozenset[str]]] = {}
        for name, audience in said.items():
            if audience is None or audience.anyone:
                continue  # it cannot tell, or it shares with everyone: lorebot.toml alone decides
            allowed = frozenset(key for email in audience.emails for key in by_email.get(email, ()))
            out.setdefault(wanted[name].collection_for(name), []).append(allowed)
        return out


def _audience(state: KbSourceState | None) -> Audience | None:
    if state is None or state.audience is None:
        return None
    data = json.loads(state.audience)
    return Audience.from_json(data) if data is not None else None


def attach(config: LorebotConfig, engine: Engine) -> SourceAudiences:
    """Give this process's configuration the source audiences kept in ``engine`` (the knowledge base's store)."""
    book = SourceAudiences(engine, config)
    config._source_audiences = book
    return book


def of(config: LorebotConfig) -> SourceAudiences | None:
    return config._source_audiences
