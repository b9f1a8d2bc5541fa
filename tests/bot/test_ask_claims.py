"""Duplicates cost nothing: every delivery of a message claims it before any search, a crashed attempt's claim
is taken over when its lease runs out, a finished one never again. Real model, SQLite and PostgreSQL."""
from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from adapters.wiring import create_schema
from bot.asking import ask_claims
from bot.addresses import Address, Person
from bot.events import Ask
from bot.tables.claims import AskClaim
from bot.tables.questions import Question
from knowledge import KnowledgeBase
from tests.bot.support import LEAVE_QUESTION, UNKNOWN_QUESTION, Chat, Clock, make_config, new_chat, questions
from tests.embedders import CountingEmbedder

THRESHOLDS = {"answer_threshold": 0.5, "verified_threshold": 0.6}
MESSAGE = "1700000000.300"


@pytest.fixture
def embedder_used(embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


@pytest.fixture
def counted_kb(tmp_path, database_url, embedder_used, handbook) -> KnowledgeBase:
    base = KnowledgeBase.open(tmp_path / "home", database_url=database_url, embedder=embedder_used)
    create_schema(base.engine)
    base.ingest([handbook], collection="handbook", progress=False)
    yield base
    base.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def chat(counted_kb, clock) -> Chat:
    return new_chat(make_config(**THRESHOLDS), counted_kb, clock)


def deliver(chat: Chat, event_id: str, text: str = LEAVE_QUESTION) -> None:
    chat.ask("you", text, channel="general", message_id=MESSAGE, event_id=event_id)


def claims(kb: KnowledgeBase) -> list[AskClaim]:
    with Session(kb.engine) as session:
        return session.exec(select(AskClaim).order_by(AskClaim.id)).all()


def ask_event(event_id: str) -> Ask:
    return Ask(event_id=event_id, person=Person("console", "you"), text=LEAVE_QUESTION,
               where=Address("console", "general", MESSAGE), message_id=MESSAGE)


def test_a_mention_its_message_event_and_their_retries_racing_are_answered_once(
        chat, counted_kb, embedder_used) -> None:
    event_ids = ["EvMention", "EvMessage", "EvMention", "EvMessage"]  # Slack: app_mention, message, retries
    barrier = threading.Barrier(len(event_ids))

    def racing(event_id: str) -> None:
        barrier.wait()
        deliver(chat, event_id)

    threads = [threading.Thread(target=racing, args=(event_id,)) for event_id in event_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    said = chat.bot_messages()
    assert len(said) == 1 and "25 days" in said[0].text
    assert len(questions(counted_kb)) == 1
    assert embedder_used.times_embedded(LEAVE_QUESTION) == 1, "the losers never searched"
    [claim] = claims(counted_kb)
    assert claim.done_at is not None and claim.question_id == questions(counted_kb)[0].id


def test_a_crashed_attempt_is_taken_over_by_a_retry_once_its_lease_runs_out(chat, counted_kb, clock) -> None:
    with Session(counted_kb.engine) as session:  # an attempt claimed the message, then its process died
        assert ask_claims.claim(session, ask_event("EvMention"), clock()) is not None
    deliver(chat, "EvMention")  # Slack's first retry, while the lease still runs
    assert chat.bot_messages() == [] and questions(counted_kb) == []
    clock.advance(seconds=ask_claims.LEASE.total_seconds() + 1)
    deliver(chat, "EvMention")  # a later retry
    said = chat.bot_messages()
    assert len(said) == 1 and "25 days" in said[0].text
    assert len(questions(counted_kb)) == 1
    [claim] = claims(counted_kb)
    assert claim.takeovers == 1 and claim.done_at is not None


def test_a_finished_claim_is_never_redone(chat, counted_kb, clock, embedder_used) -> None:
    deliver(chat, "EvMention")
    embedded = embedder_used.texts_embedded
    clock.advance(hours=2)  # long after any lease
    deliver(chat, "EvMention")
    deliver(chat, "EvMessage")
    assert len(chat.bot_messages()) == 1 and len(questions(counted_kb)) == 1
    assert embedder_used.texts_embedded == embedded


def test_an_attempt_that_lost_its_lease_cannot_finish(counted_kb, clock) -> None:
    with Session(counted_kb.engine) as session:
        slow = ask_claims.claim(session, ask_event("EvMention"), clock())
        clock.advance(seconds=ask_claims.LEASE.total_seconds() + 1)
        later = ask_claims.claim(session, ask_event("EvMessage"), clock())
        assert slow is not None and later is not None and later.taken_over
        assert not ask_claims.complete(session, slow, clock())
        session.rollback()
        assert ask_claims.complete(session, later, clock())
        session.commit()
        clock.advance(hours=1)
        assert ask_claims.claim(session, ask_event("EvMention"), clock()) is None


def test_racing_takeovers_of_an_expired_claim_have_one_winner(counted_kb, clock) -> None:
    with Session(counted_kb.engine) as session:
        ask_claims.claim(session, ask_event("EvMention"), clock())
    clock.advance(minutes=5)
    barrier, leases = threading.Barrier(6), []

    def take(number: int) -> None:
        with Session(counted_kb.engine) as session:
            barrier.wait()
            leases.append(ask_claims.claim(session, ask_event(f"EvRetry{number}"), clock()))

    threads = [threading.Thread(target=take, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([lease for lease in leases if lease is not None]) == 1


def test_an_ask_embeds_its_question_once_for_search_topic_and_same_as_offers(chat, counted_kb, embedder_used) -> None:
    chat.ask("you", LEAVE_QUESTION)
    chat.ask("you", UNKNOWN_QUESTION)  # routed: the topic pick and the "Same as…" offers need it too
    assert chat.last(channel="office-champions")
    assert embedder_used.times_embedded(LEAVE_QUESTION) == 1
    assert embedder_used.times_embedded(UNKNOWN_QUESTION) == 1
    assert [q.status for q in questions(counted_kb)] == ["answered", "routed"]


def test_an_ask_without_a_message_id_is_claimed_by_its_event_id(chat, counted_kb) -> None:
    command = dict(person=Person("console", "you"), text=LEAVE_QUESTION, where=Address("console", "general"))
    for event_id in ("command:T1", "command:T1", "command:T2"):
        chat.core.handle(Ask(event_id=event_id, **command))
    assert len(chat.bot_messages()) == 2  # two commands typed, each answered once
    assert len(questions(counted_kb)) == 2
    assert {claim.message_key for claim in claims(counted_kb)} == {"event/command:T1", "event/command:T2"}



def test_a_duplicate_delivery_is_told_by_one_read_and_writes_nothing(counted_kb, clock) -> None:
    """Slack waits for its acknowledgement while a delivery claims the message: a duplicate (the usual case under
    load) must not queue for SQLite's one writer, so it never writes."""
    import sqlalchemy

    with Session(counted_kb.engine) as session:
        assert ask_claims.claim(session, ask_event("EvMention"), clock()) is not None
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement.split()[0].upper())

    sqlalchemy.event.listen(counted_kb.engine, "before_cursor_execute", note)
    try:
        with Session(counted_kb.engine) as session:
            assert ask_claims.claim(session, ask_event("EvMessage"), clock()) is None
            clock.advance(hours=1)
            assert ask_claims.claim(session, ask_event("EvRetry"), clock()) is not None  # the lease ran out
    finally:
        sqlalchemy.event.remove(counted_kb.engine, "before_cursor_execute", note)
    assert statements[0] == "SELECT" and statements[1] == "SELECT", statements  # the duplicate read, then no write
    assert statements.count("UPDATE") == 1 and "INSERT" not in statements
