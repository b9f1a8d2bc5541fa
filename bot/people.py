"""People the bot has met, keyed by platform and platform user id, with their config handle, team and manager.

Jobs read this table to reach managers and champions, so the core keeps it current on every event.
"""
from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

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
