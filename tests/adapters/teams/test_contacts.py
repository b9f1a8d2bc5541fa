"""The contacts store on SQLite and PostgreSQL: one row per (platform, key), refreshed on every meeting,
unreachable until met again."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.people import contacts
from bot.tables.contacts import Contact
from tests.bot.support import Clock


@pytest.fixture
def store(database_url):
    engine = create_engine(database_url)
    contacts.create_tables(engine)
    yield engine
    engine.dispose()


def test_remember_find_and_refresh(store):
    clock = Clock()
    contacts.remember_contact(store, "teams", "aad-alice", "user", '{"v": 1}', clock())
    clock.advance(hours=1)
    contacts.remember_contact(store, "teams", "aad-alice", "user", '{"v": 2}', clock())
    found = contacts.find_contact(store, "teams", "aad-alice")
    assert (found.kind, found.payload, found.unreachable) == ("user", '{"v": 2}', False)
    assert found.updated_at == clock()
    assert contacts.find_contact(store, "slack", "aad-alice") is None
    with Session(store) as session:
        assert len(session.exec(select(Contact)).all()) == 1


def test_meeting_again_unchanged_writes_nothing(store):
    clock = Clock()
    contacts.remember_contact(store, "teams", "aad-alice", "user", '{"v": 1}', clock())
    met_at = clock()
    clock.advance(hours=1)
    contacts.remember_contact(store, "teams", "aad-alice", "user", '{"v": 1}', clock())
    assert contacts.find_contact(store, "teams", "aad-alice").updated_at == met_at


def test_unreachable_until_met_again(store):
    clock = Clock()
    assert contacts.mark_unreachable(store, "teams", "nobody", clock()) is False
    assert contacts.is_unreachable(store, "teams", "nobody") is False
    contacts.remember_contact(store, "teams", "a:chat", "channel", "{}", clock())
    assert contacts.mark_unreachable(store, "teams", "a:chat", clock() + timedelta(minutes=1)) is True
    assert contacts.is_unreachable(store, "teams", "a:chat") is True
    contacts.remember_contact(store, "teams", "a:chat", "channel", "{}", clock() + timedelta(minutes=2))
    assert contacts.is_unreachable(store, "teams", "a:chat") is False


def test_works_inside_a_callers_session(store):
    clock = Clock()
    with Session(store) as session:
        contacts.remember_contact(session, "teams", "19:x@thread.tacv2", "channel", "{}", clock())
        assert contacts.find_contact(session, "teams", "19:x@thread.tacv2").kind == "channel"


def test_unique_key_is_in_the_schema(store):
    clock = Clock()
    with Session(store) as session:
        session.add(Contact(platform="teams", key="k", kind="user", payload="{}", updated_at=clock()))
        session.add(Contact(platform="teams", key="k", kind="user", payload="{}", updated_at=clock()))
        with pytest.raises(IntegrityError):
            session.commit()


def test_unknown_kind_is_refused(store):
    with pytest.raises(ValueError, match="unknown contact kind"):
        contacts.remember_contact(store, "teams", "k", "robot", "{}", Clock()())
