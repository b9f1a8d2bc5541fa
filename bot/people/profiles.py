"""People the bot has met, keyed by platform and platform user id, with their name, team, manager and time zone.

Jobs read this table to reach managers and champions, so the core keeps it current on every event. Names, time
zones and teams come from the platform (``bot.ports.PeopleSource``), asked once per person and again only after
``PROFILE_EXPIRY``, so lorebot.toml lists only champions, managers and overrides; what it lists wins. A platform
that cannot be asked never holds up an answer: the person shows by id until the next try, after the expiry.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from dataclasses import dataclass

from bot.addresses import Person
from bot.config import LorebotConfig
from bot.ports import PeopleSource, Profile
from bot.tables.people import PersonRow

log = logging.getLogger(__name__)

PROFILE_EXPIRY = timedelta(hours=24)


class PeopleByPlatform:
    """One PeopleSource for a process serving several platforms: each person is asked about on their own."""

    def __init__(self, sources: dict[str, PeopleSource]) -> None:
        self.sources = dict(sources)

    def profile(self, person: Person) -> Profile | None:
        source = self.sources.get(person.platform)
        return source.profile(person) if source is not None else None


@dataclass(frozen=True)
class KnownPerson:
    """Someone the bot knows on one platform: named in lorebot.toml, or met there."""

    user_id: str
    name: str
    handle: str | None
    team: str | None
    topics: tuple[str, ...]  # topics they champion (or back up)


def known_people(session: Session, config: LorebotConfig, platform: str) -> list[KnownPerson]:
    """The config's people reachable on ``platform``, then everyone else met there, each once."""
    found: dict[str, KnownPerson] = {}
    for handle, person in config.people.items():
        user_id = config.user_id_for(handle, platform)
        if user_id:
            found[user_id] = KnownPerson(user_id, person.name, handle, person.team, _topics(config, handle))
    for row in session.exec(select(PersonRow).where(PersonRow.platform == platform).order_by(PersonRow.id)).all():
        if row.user_id not in found:
            found[row.user_id] = KnownPerson(row.user_id, row.name or row.user_id, row.handle, row.team,
                                             _topics(config, row.handle))
    return list(found.values())


def _topics(config: LorebotConfig, handle: str | None) -> tuple[str, ...]:
    return tuple(name for name, topic in config.topics.items()
                 if handle is not None and (handle in topic.champions or handle == topic.backup))


def display_name(config: LorebotConfig, person: Person) -> str:
    """The name to show: the config's name for a known handle, else the platform's name, else the id."""
    handle = config.handle_for(person.platform, person.id)
    if handle:
        return config.people[handle].name
    return person.name or person.id


def team_from_groups(config: LorebotConfig, platform: str, groups: tuple[str, ...]) -> str | None:
    """The first configured team whose Slack user group (by id or handle; by default the team's own name) the
    person belongs to."""
    for name, team in config.teams.items():
        wanted = (team.slack_usergroup if platform == "slack" else None) or name
        if wanted in groups:
            return name
    return None


@dataclass(frozen=True)
class _Fetched:
    at: datetime
    profile: Profile | None
    answered: bool


def remember(session: Session, config: LorebotConfig, person: Person, *, source: PeopleSource | None = None,
             now: datetime | None = None) -> PersonRow | None:
    """Insert or refresh the person's row and commit, asking ``source`` first when the row has no profile or
    an expired one. Safe when two replicas meet the same person at once (the unique key decides, the loser
    updates the winner's row)."""
    row = _find(session, person)
    fetched = _fetch(source, person, now) if source is not None and now is not None and _stale(row, now) else None
    wanted = _wanted(config, person, row, fetched)
    if row is None:
        row = PersonRow(platform=person.platform, user_id=person.id, **wanted)
        session.add(row)
        try:
            session.commit()
            return row
        except IntegrityError:
            session.rollback()
            row = _find(session, person)
    if row is not None and any(getattr(row, key) != value for key, value in wanted.items()):
        for key, value in wanted.items():
            setattr(row, key, value)
        session.add(row)
        session.commit()
    return row


def known_name(session: Session, person: Person) -> str | None:
    """The name stored for someone lorebot.toml does not list, if the bot has met them."""
    row = _find(session, person)
    return row.name if row is not None else None


def _stale(row: PersonRow | None, now: datetime) -> bool:
    return row is None or row.fetched_at is None or now - row.fetched_at >= PROFILE_EXPIRY


def _fetch(source: PeopleSource, person: Person, now: datetime) -> _Fetched:
    try:
        return _Fetched(now, source.profile(person), True)
    except Exception as exc:  # noqa: BLE001 - a directory failure must never stop an answer
        log.warning("profile of %s not available (%s); asking again after %s", person.key,
                    type(exc).__name__, PROFILE_EXPIRY)
        return _Fetched(now, None, False)


def _wanted(config: LorebotConfig, person: Person, row: PersonRow | None, fetched: _Fetched | None) -> dict:
    """The row's columns: lorebot.toml first, then the platform's profile (fresh, or as stored), then the event."""
    platform_name, platform_team, timezone, platform_email = (
        (row.platform_name, row.platform_team, row.timezone, row.platform_email) if row else (None, None, None, None))
    fetched_at = row.fetched_at if row else None
    if fetched is not None:
        fetched_at = fetched.at
        if fetched.answered:
            profile = fetched.profile or Profile()
            platform_name, timezone, platform_email = profile.name, profile.timezone, profile.email
            platform_team = team_from_groups(config, person.platform, profile.groups)
    handle = config.handle_for(person.platform, person.id)
    listed = config.people[handle] if handle else None
    name = listed.name if listed else (platform_name or person.name or person.id)
    team = (listed.team if listed else None) or platform_team
    manager = config.teams[team].manager if team else None
    email = (listed.email if listed else None) or (platform_email.lower() if platform_email else None)
    return {"name": name, "handle": handle, "team": team, "manager": manager, "platform_name": platform_name,
            "platform_team": platform_team, "timezone": timezone, "fetched_at": fetched_at, "email": email,
            "platform_email": platform_email}


def _find(session: Session, person: Person) -> PersonRow | None:
    return session.exec(
        select(PersonRow).where(PersonRow.platform == person.platform, PersonRow.user_id == person.id)
    ).first()
