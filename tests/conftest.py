"""Shared fixtures: a database on SQLite and on PostgreSQL, the bundled model loaded once per session, and the
real knowledge base on a tiny handbook for the core and every adapter."""
from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

POSTGRES_URL = os.environ.get("LOREBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_available() -> str | None:
    """None when the server answers, else the reason (the fixture skips, or fails in CI)."""
    try:
        engine = sqlalchemy.create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc.__class__.__name__}"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    reason = _postgres_available()
    if reason:
        if os.environ.get("LOREBOT_TEST_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    return POSTGRES_URL


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    """A fresh schema on the PostgreSQL server, dropped after the test, so tests can run side by side."""
    base = request.getfixturevalue("postgres_server")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'create schema "{schema}"'))
    yield f"{base}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'drop schema "{schema}" cascade'))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Every store test runs twice: on a SQLite file and on a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lorebot.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def model_cache():
    """The machine's model cache, where the bundled model's ONNX export is made once and shared by every run
    (its lock lets concurrent runs wait for one export instead of racing)."""
    from knowledge.onnx_cache import default_cache_dir

    return default_cache_dir()


@pytest.fixture(scope="session")
def embedder(model_cache):
    """The real bundled model on ONNX Runtime, loaded once for the whole run."""
    from knowledge.embed import Embedder

    return Embedder(cache_dir=model_cache)


@pytest.fixture(scope="session")
def handbook(tmp_path_factory):
    from tests.bot.support import write_handbook

    return write_handbook(tmp_path_factory.mktemp("handbook") / "handbook")


@pytest.fixture(scope="session")
def commute_handbook(tmp_path_factory):
    from tests.commute_handbook import write_commute_handbook

    return write_commute_handbook(tmp_path_factory.mktemp("commute") / "commute")


@pytest.fixture
def commute_kb(tmp_path, database_url, embedder, commute_handbook):
    """The real knowledge base with the commuting handbook (``tests.commute_handbook``) in collection
    "handbook", and every table of Lorebot beside it, on SQLite and on PostgreSQL."""
    from adapters.wiring import create_schema
    from knowledge import KnowledgeBase

    base = KnowledgeBase.open(tmp_path / "commute-home", database_url=database_url, embedder=embedder)
    create_schema(base.engine)
    base.ingest([commute_handbook], collection="handbook", progress=False)
    yield base
    base.close()


@pytest.fixture
def kb(tmp_path, database_url, embedder, handbook):
    """The real knowledge base with the tiny handbook ingested, and every table of Lorebot beside it (as the
    command line creates them), on SQLite and on PostgreSQL."""
    from adapters.wiring import create_schema
    from knowledge import KnowledgeBase

    base = KnowledgeBase.open(tmp_path / "home", database_url=database_url, embedder=embedder)
    create_schema(base.engine)
    base.ingest([handbook], collection="handbook", progress=False)
    yield base
    base.close()
