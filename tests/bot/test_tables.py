"""The bot's tables on SQLite and PostgreSQL: created idempotently, times come back aware UTC, and the unique
keys that make events exactly-once hold."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, create_engine, select

from bot.addresses import Person
from bot.config import parse_config
from bot.database import create_tables
from bot.people.profiles import remember
from bot.tables.claims import ProcessedEvent
from bot.tables.curation import Rejection
from bot.tables.people import PersonRow
from bot.tables.questions import Question

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)

EXPECTED = {
    "people": {"id", "platform", "user_id", "name", "handle", "team", "manager"},
    "questions": {"id", "platform", "asker_id", "asker_name", "asker_handle", "channel", "thread", "message_id",
                  "text", "status", "topic", "confidence", "asked_at", "answered_at", "routed_at",
                  "champion_answered_at", "answered_by", "resolved_by", "routed_channel", "routed_thread",
                  "nudge_count", "last_nudged_at", "escalated"},
    "answers_shown": {"id", "question_id", "message_id", "confidence", "status", "sources", "shown_at"},
    "champion_answers": {"id", "question_id", "champion_id", "text", "message_id", "answered_at"},
    "verified_answers": {"id", "question_id", "topic", "question_text", "answer_text", "champion_id",
                         "champion_name", "entry_id", "source_documents", "verified_at", "last_verified_at",
                         "pinned", "stale", "status"},
    "rejections": {"question_id", "hit_key", "by", "at"},
    "feedback": {"id", "question_id", "person_id", "kind", "message_id", "at"},
    "curation_audit": {"id", "actor_id", "action", "question_id", "verified_answer_id", "reason", "at"},
    "processed_events": {"platform", "event_id"},
}


@pytest.fixture
def engine(database_url: str):
    engine = create_engine(database_url)
    create_tables(engine)
    yield engine
    engine.dispose()


def question(**overrides) -> Question:
    values = dict(platform="slack", asker_id="U1", channel="C1", thread="1.0", message_id="1.0", text="Leave?",
                  status="answered", asked_at=NOW)
    values.update(overrides)
    return Question(**values)


def test_tables_have_the_agreed_names_and_columns(engine) -> None:
    inspector = inspect(engine)
    for table, columns in EXPECTED.items():
        present = {column["name"] for column in inspector.get_columns(table)}
        assert columns <= present, f"{table} lacks {columns - present}"


def test_create_tables_twice_keeps_rows(engine) -> None:
    with Session(engine) as session:
        session.add(question())
        session.commit()
    create_tables(engine)
    with Session(engine) as session:
        assert len(session.exec(select(Question)).all()) == 1


def test_times_come_back_timezone_aware_utc(engine) -> None:
    local = NOW.astimezone(timezone(timedelta(hours=2)))
    with Session(engine) as session:
        session.add(question(asked_at=local))
        session.commit()
    with Session(engine) as session:
        stored = session.exec(select(Question)).one()
    assert stored.asked_at == NOW and stored.asked_at.tzinfo is not None
    assert stored.asked_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused(engine) -> None:
    with Session(engine) as session:
        session.add(question(asked_at=NOW.replace(tzinfo=None)))
        with pytest.raises(Exception, match="naive datetime"):
            session.commit()


def test_one_question_per_message(engine) -> None:
    with Session(engine) as session:
        session.add(question())
        session.commit()
        session.add(question(asker_name="again"))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        session.add(question(message_id=None))
        session.add(question(message_id=None))
        session.commit()  # slash commands have no message id and are never merged
        assert len(session.exec(select(Question)).all()) == 3


def test_one_claim_per_event_id(engine) -> None:
    with Session(engine) as session:
        session.add(ProcessedEvent(platform="slack", event_id="Ev1", kind="ask", at=NOW))
        session.commit()
        session.add(ProcessedEvent(platform="teams", event_id="Ev1", kind="ask", at=NOW))
        session.commit()  # the same id on another platform is another event
        session.add(ProcessedEvent(platform="slack", event_id="Ev1", kind="ask", at=NOW))
        with pytest.raises(IntegrityError):
            session.commit()


def test_one_rejection_per_question_and_source(engine) -> None:
    with Session(engine) as session:
        session.add(question())
        session.commit()
        stored = session.exec(select(Question)).one()
        session.add(Rejection(question_id=stored.id, hit_key="chunk:1", by="slack:U2", at=NOW))
        session.commit()
        session.add(Rejection(question_id=stored.id, hit_key="chunk:1", by="slack:U3", at=NOW))
        with pytest.raises(IntegrityError):
            session.commit()


def test_people_are_remembered_once_with_handle_team_and_manager(engine) -> None:
    config = parse_config({
        "people": {"alice": {"name": "Alice", "team": "ops", "ids": {"slack": "UA"}},
                   "erin": {"name": "Erin"}},
        "teams": {"ops": {"manager": "erin"}},
    })
    with Session(engine) as session:
        remember(session, config, Person("slack", "UA", "alice.m"))
        remember(session, config, Person("slack", "UA", "alice.m"))
        remember(session, config, Person("slack", "UX", "Xavier"))
        rows = session.exec(select(PersonRow).order_by(PersonRow.user_id)).all()
    assert [(r.user_id, r.name, r.handle, r.team, r.manager) for r in rows] == [
        ("UA", "Alice", "alice", "ops", "erin"),
        ("UX", "Xavier", None, None, None),
    ]
