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
