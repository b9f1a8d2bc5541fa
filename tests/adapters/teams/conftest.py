"""Fixtures for the Teams adapter: loopback servers, a database on SQLite and PostgreSQL, and a messenger
whose backoff sleeps are recorded instead of waited."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from adapters.wiring import create_schema
from tests.adapters.teams.support import RecordedSleep, Servers, Teams, storing_messenger
from tests.bot.support import Clock


@pytest.fixture
def servers():
    running = Servers()
    yield running
    running.close()


@pytest.fixture
def teams(servers) -> Teams:
    return Teams(servers.connector.url)


@pytest.fixture
def engine(database_url):
    engine = create_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
def messenger(engine, clock, sleeps):
    messenger = storing_messenger(engine, clock=clock, sleep=sleeps)
    yield messenger
    messenger.close()
