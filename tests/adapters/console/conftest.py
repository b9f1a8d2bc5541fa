"""Fixtures for the core's flows: the real knowledge base on a tiny handbook, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from tests.bot.support import write_handbook


@pytest.fixture(scope="session")
def handbook(tmp_path_factory):
    return write_handbook(tmp_path_factory.mktemp("handbook") / "handbook")


@pytest.fixture
def kb(tmp_path, database_url, embedder, handbook):
    from knowledge import KnowledgeBase

    base = KnowledgeBase.open(tmp_path / "home", database_url=database_url, embedder=embedder)
    base.ingest([handbook], collection="handbook", progress=False)
    yield base
    base.close()
