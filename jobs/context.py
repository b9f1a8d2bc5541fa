"""What a job needs from the running Lorebot: configuration, the store, the messengers, knowledge and time.

Jobs receive this instead of reaching for globals, so tests pass a fake clock and a real store.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.addresses import Person
from bot.config import LorebotConfig
from bot.ports import Clock, Messenger, system_clock


@dataclass
class JobContext:
    config: LorebotConfig
    engine: Engine
    messengers: Mapping[str, Messenger] = field(default_factory=dict)
    knowledge: Any = None
    clock: Clock = system_clock

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def now(self) -> datetime:
        return self.clock()

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(self.messengers)

    def person_id(self, handle: str, platform: str) -> str | None:
        """The platform user id of a configured person (the console knows people by their handle)."""
        person = self.config.people.get(handle)
        if person is None:
            return None
        if platform in person.ids:
            return person.ids[platform]
        return handle if platform == "console" else None

    def reach(self, handle: str, prefer: Iterable[str] = ()) -> Person | None:
        """Someone we can message: on a preferred platform if they are known there, else the first one we serve."""
        for platform in [*prefer, *self.platforms]:
            if platform not in self.messengers:
                continue
            user_id = self.person_id(handle, platform)
            if user_id:
                return Person(platform=platform, id=user_id, name=self.name_of(handle))
        return None

    def name_of(self, handle: str) -> str:
        person = self.config.people.get(handle)
        return person.name if person else handle


def messengers_by_platform(messengers: Messenger | Iterable[Messenger] | Mapping[str, Messenger] | None) -> dict[str, Messenger]:
    """Accept one messenger, several, or a mapping, and key them by platform."""
    if messengers is None:
        return {}
    if isinstance(messengers, Mapping):
        return dict(messengers)
    if hasattr(messengers, "send") and hasattr(messengers, "platform"):
        messengers = [messengers]
    # A messenger serving several platforms (bot.messengers.MessengerRouter) names them "slack+teams".
    return {platform: m for m in messengers for platform in m.platform.split("+")}
