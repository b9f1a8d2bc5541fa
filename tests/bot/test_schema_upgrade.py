"""A database made before an index was declared gets it when Lorebot next starts (SQLite and PostgreSQL)."""
from __future__ import annotations

import sqlalchemy

from adapters.wiring import create_schema


def _indexes(engine) -> set[str]:
    return {index["name"] for index in sqlalchemy.inspect(engine).get_indexes("verified_answers")}


def test_an_index_missing_from_an_existing_table_is_added(kb) -> None:
    assert "uq_verified_answers_active_reply" in _indexes(kb.engine)
    with kb.engine.begin() as connection:  # as a database from before the index was declared
        connection.execute(sqlalchemy.text("DROP INDEX uq_verified_answers_active_reply"))
    assert "uq_verified_answers_active_reply" not in _indexes(kb.engine)
    create_schema(kb.engine)
    assert "uq_verified_answers_active_reply" in _indexes(kb.engine)


def test_columns_missing_from_an_existing_table_are_added_with_their_defaults(kb) -> None:
    with kb.engine.begin() as connection:  # a questions table from before audiences
        connection.execute(sqlalchemy.text(
            "INSERT INTO questions (platform, asker_id, channel, text, text_key, status, asked_at, nudge_count, "
            "escalated, private, audience) VALUES ('console', 'u', 'c', 'old', 'old', 'answered', "
            "'2026-01-01 00:00:00', 0, false, false, '[]')"))
        connection.execute(sqlalchemy.text("ALTER TABLE questions DROP COLUMN audience"))
        connection.execute(sqlalchemy.text("ALTER TABLE questions DROP COLUMN private"))
    create_schema(kb.engine)
    columns = {column["name"] for column in sqlalchemy.inspect(kb.engine).get_columns("questions")}
    assert {"audience", "private"} <= columns
    with kb.engine.connect() as connection:
        row = connection.execute(sqlalchemy.text("SELECT private, audience FROM questions")).one()
    assert (bool(row.private), row.audience) == (False, "[]")
    create_schema(kb.engine)  # a second start finds nothing to add


def test_ask_claims_from_before_claims_kept_their_ask_get_the_column_and_are_left_alone(kb) -> None:
    """An open claim an earlier version left has no ask to answer again: recovery cannot replay it, and the
    start still succeeds."""
    from datetime import datetime, timezone

    from bot.recovery.passes import recover
    from tests.bot.test_recovery import core_on, rows
    from tests.bot.support import Clock
    from adapters.console import ConsoleMessenger
    from bot.tables.claims import AskClaim
    import io

    with kb.engine.begin() as connection:
        connection.execute(sqlalchemy.text("ALTER TABLE ask_claims DROP COLUMN ask"))
        connection.execute(sqlalchemy.text(
            "INSERT INTO ask_claims (platform, message_key, event_id, holder, leased_until, claimed_at, takeovers) "
            "VALUES ('console', 'message/general/u1', 'ev1', 'h', '2026-03-02 09:00:00', '2026-03-02 09:00:00', 0)"))
    create_schema(kb.engine)
    assert "ask" in {column["name"] for column in sqlalchemy.inspect(kb.engine).get_columns("ask_claims")}
    clock = Clock(datetime(2026, 3, 2, 9, 5, tzinfo=timezone.utc))
    assert recover(core_on(kb, ConsoleMessenger(io.StringIO()), clock).context).asked == 0
    [claim] = rows(kb, AskClaim)
    assert claim.ask is None and claim.done_at is None and claim.takeovers == 0
