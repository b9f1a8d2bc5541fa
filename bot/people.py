"""People the bot has met, keyed by platform and platform user id, with their config handle, team and manager.

Jobs read this table to reach managers and champions, so the core keeps it current on every event.
"""
from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from dataclasses import dataclass

from bot.addresses import Person
from bot.config import LorebotConfig


class PersonRow(SQLModel, table=True):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_people_platform_user"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=255)
    name: str | None = Field(default=None, max_length=255)
    handle: str | None = Field(default=None, max_length=255, index=True)
    team: str | None = Field(default=None, max_length=255)
    manager: str | None = Field(default=None, max_length=255)


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


def remember(session: Session, config: LorebotConfig, person: Person) -> PersonRow | None:
    """Insert or refresh the person's row and commit; safe when two replicas meet the same person at once
    (the unique key decides, the loser updates the winner's row)."""
    handle = config.handle_for(person.platform, person.id)
    team = config.people[handle].team if handle else None
    manager = config.teams[team].manager if team else None
    name = display_name(config, person)
    wanted = {"name": name, "handle": handle, "team": team, "manager": manager}
    row = _find(session, person)
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


def _find(session: Session, person: Person) -> PersonRow | None:
    return session.exec(
        select(PersonRow).where(PersonRow.platform == person.platform, PersonRow.user_id == person.id)
    ).first()
