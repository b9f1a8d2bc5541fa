"""Fixtures for the jobs: a movable clock, a configuration with teams and champions, a store, the real knowledge
base on it, the console's messenger (a real Messenger that keeps what it sent), and helpers to seed the core's
tables."""
from __future__ import annotations

import io
import itertools
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, create_engine

from adapters.console import ConsoleMessenger
from bot.addresses import Address, MessageRef, Person
from bot.config import parse_config
from bot.ports import Unreachable
from bot.tables.questions import Question

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A London wall-clock time as the aware UTC datetime a clock returns."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(timezone.utc)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


CONFIG = {
    "timezone": "Europe/London",
    "people": {
        "mia": {"name": "Mia", "ids": {"slack": "UMIA"}},
        "max": {"name": "Max"},
        "olga": {"name": "Olga"},
        "leo": {"name": "Leo"},
        "sam": {"name": "Sam", "team": "sales"},
        "sue": {"name": "Sue", "team": "sales"},
        "tom": {"name": "Tom", "team": "support"},
        "cara": {"name": "Cara"},
        "carl": {"name": "Carl"},
        "bea": {"name": "Bea"},
        "ivan": {"name": "Ivan"},
    },
    "teams": {
        "sales": {"manager": "mia", "lessons_channel": {"console": "sales-lessons"}},
        "support": {"manager": "max"},
        "ops": {"manager": "olga"},
        "legal": {"manager": "leo"},
    },
    "topics": {
        "hr": {"description": "Leave, pay and benefits", "champions": ["cara", "carl"], "backup": "bea"},
        "it": {"description": "Laptops, VPN and accounts", "champions": ["ivan"]},
    },
    "jobs": {"lessons": {"channels": [{"console": "general"}]}},
}


@pytest.fixture
def config():
    return parse_config(CONFIG)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(london(2026, 3, 16, 9))


@pytest.fixture
def engine(database_url):
    """The store with every table the core and the jobs use."""
    from adapters.wiring import create_schema

    engine = create_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def kb(tmp_path, database_url, embedder):
    """The real knowledge base (the bundled model) on the store, with the core's and the jobs' tables beside it."""
    from adapters.wiring import create_schema
    from knowledge import KnowledgeBase

    kb = KnowledgeBase.open(tmp_path / "home", database_url=database_url, embedder=embedder)
    create_schema(kb.engine)
    yield kb
    kb.close()


@pytest.fixture
def make_engine(database_url, engine):
    """Another engine on the same store (its tables made by ``engine``), as a second process would have."""
    made = []

    def make():
        made.append(create_engine(database_url))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


class FlakyPlatform(ConsoleMessenger):
    """The console messenger on a platform that goes away: after ``ok`` messages every send raises ``error``;
    people listed in ``unreachable`` cannot be messaged at all."""

    def __init__(self, ok: int | None = None, error: BaseException | None = None, unreachable: tuple[str, ...] = ()):
        super().__init__(io.StringIO())
        self.ok, self.error, self.unreachable = ok, error, unreachable

    def open_dm(self, person: Person) -> Address:
        if person.id in self.unreachable:
            raise Unreachable(person.id)
        return super().open_dm(person)

    def send(self, address: Address, reply) -> MessageRef:
        if self.ok is not None and len(self.messages) >= self.ok:
            raise self.error
        return super().send(address, reply)


def console() -> ConsoleMessenger:
    return ConsoleMessenger(io.StringIO())


def sent_to(*messengers: ConsoleMessenger) -> list[str]:
    """Channels that received a message, over all the given messengers, in order."""
    return [m.address.channel for messenger in messengers for m in messenger.messages.values()]


_ids = itertools.count(1)


def add_question(session: Session, *, asker: str, text: str, asked_at: datetime, status: str = "routed",
                 topic: str | None = "hr", resolved_by: str | None = None, confidence: float | None = 0.2,
                 routed_at: datetime | None = None, champion_answered_at: datetime | None = None,
                 platform: str = "console", **extra) -> Question:
    n = next(_ids)
    question = Question(
        platform=platform, asker_id=asker, asker_name=asker.title(), asker_handle=asker, channel=f"dm-{asker}",
        thread=f"t{n}", message_id=f"q{n}", text=text, text_key=text.lower(), status=status, topic=topic,
        confidence=confidence, asked_at=asked_at,
        routed_at=routed_at if routed_at is not None else (asked_at if status != "answered" else None),
        routed_channel="champions", routed_thread=f"r{n}", resolved_by=resolved_by,
        champion_answered_at=champion_answered_at, **extra,
    )
    session.add(question)
    session.commit()
    return question
