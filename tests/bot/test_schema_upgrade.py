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
