"""An ingest is applied to the running indexes as a delta (rows added, rows removed), not by a full rebuild, and
a search over base + delta ranks exactly as a search over a fresh build would."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import sqlalchemy

from sqlmodel import Session

from knowledge import KnowledgeBase, dense, store
from knowledge.index_delta import CHANGES_AT_LEAST
from knowledge.keyword import KeywordIndex, tokenize
from knowledge.keyword_layers import KeywordLayers
from knowledge.store import KbChunk, KbDocument
from tests.knowledge.conftest import HANDBOOK, write_handbook

TEXTS = [
    "Annual leave: everyone gets 25 days of leave a year, booked in Breathe.",
    "Parental leave: birth parents get 26 weeks on full pay.",
    "Meals while travelling are capped at 40 pounds a day.",
    "Submit expense claims in Payhawk within 30 days.",
    "Report a lost laptop to security within one hour.",
    "Use the password manager for every work account.",
]
ADDED = ["Parking permits are issued by the office manager.", "Leave for jury service is paid in full."]
QUERIES = ["annual leave days", "lost laptop", "parking permit", "leave paid", "expenses payhawk claims"]


def test_added_rows_score_as_in_a_fresh_build_and_removed_rows_not_at_all() -> None:
    base = KeywordIndex.build(TEXTS)
    live = np.array([True, False, True, True, True, True])  # the parental leave chunk was removed
    layers = KeywordLayers(base, live, [Counter(tokenize(text)) for text in ADDED])
    fresh = KeywordIndex.build([text for text, kept in zip(TEXTS, live) if kept] + ADDED)
    for query in QUERIES:
        scores = layers.scores(query)
        assert len(scores) == len(TEXTS) + len(ADDED)
        assert scores[1] == 0
        assert np.allclose(scores[len(TEXTS):], fresh.scores(query)[-len(ADDED):], rtol=1e-5)
        terms = tokenize(query)
        assert np.allclose(layers.idf(terms), fresh.idf(terms))


def test_changes_on_an_empty_base_rank_exactly_as_a_fresh_build() -> None:
    empty = KeywordIndex.build([])
    layers = KeywordLayers(empty, np.zeros(0, dtype=bool), [Counter(tokenize(text)) for text in TEXTS])
    fresh = KeywordIndex.build(TEXTS)
    for query in QUERIES:
        assert np.allclose(layers.scores(query), fresh.scores(query), rtol=1e-5)


def _top(kb: KnowledgeBase, query: str) -> list[tuple[str, str]]:
    return [(hit.source, hit.text) for hit in kb.search(query, k=3)]


def test_ingests_are_applied_as_changes_and_rank_as_a_rebuild_would(kb, tmp_path: Path) -> None:
    folder = write_handbook(tmp_path / "handbook")
    built = kb._live.counts["built"]
    kb.ingest([folder])
    (folder / "leave.md").write_text(HANDBOOK["leave.md"].replace("25 days", "27 days"), encoding="utf-8")
    (folder / "security.md").unlink()
    kb.ingest([folder])
    assert kb._live.counts["built"] == built, "an ingest changes the running index, it does not rebuild it"
    assert kb._live.counts["changes applied"] >= 2
    texts = " ".join(text for _, text in _top(kb, "how many days of annual leave"))
    assert "27 days" in texts and "25 days" not in texts
    assert "Security › Lost devices" not in [source for source, _ in _top(kb, "lost laptop")]
    scoped = kb.search("annual leave", k=3, collections=["handbook"])
    assert scoped and all(hit.collection == "handbook" for hit in scoped)
    assert kb.search("annual leave", k=3, collections=["elsewhere"]) == []
    layered = {query: _top(kb, query) for query in QUERIES}
    kb.rebuild_index()
    assert kb._live.counts["built"] == built + 1
    assert {query: _top(kb, query) for query in QUERIES} == layered


def test_changes_apply_over_an_approximate_base_as_over_an_exact_one(kb, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(dense, "APPROXIMATE_ABOVE", 0)  # a corpus this small is exact otherwise
    folder = write_handbook(tmp_path / "handbook")
    kb.ingest([folder])
    kb.rebuild_index()
    assert kb._live.chunks.dense.kind == "ivf"
    (folder / "leave.md").write_text(HANDBOOK["leave.md"].replace("25 days", "27 days"), encoding="utf-8")
    (folder / "security.md").unlink()
    kb.ingest([folder])
    texts = " ".join(text for _, text in _top(kb, "how many days of annual leave"))
    assert "27 days" in texts and "25 days" not in texts
    assert "Security › Lost devices" not in [source for source, _ in _top(kb, "lost laptop")]
    layered = {query: _top(kb, query) for query in QUERIES}
    kb.rebuild_index()
    assert {query: _top(kb, query) for query in QUERIES} == layered


def test_a_home_made_before_chunk_ids_were_never_reused_is_upgraded(tmp_path: Path, embedder) -> None:
    home = tmp_path / "home"
    home.mkdir()
    engine = sqlalchemy.create_engine(f"sqlite:///{home / 'lorebot.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE kb_documents (id INTEGER NOT NULL PRIMARY KEY, path TEXT NOT NULL "
                                   "UNIQUE, root TEXT NOT NULL, collection VARCHAR NOT NULL, title TEXT NOT NULL, "
                                   "content_hash VARCHAR NOT NULL, updated_at DATETIME NOT NULL)")
        connection.exec_driver_sql("CREATE TABLE kb_chunks (id INTEGER NOT NULL PRIMARY KEY, document_id INTEGER NOT "
                                   "NULL, ordinal INTEGER NOT NULL, collection VARCHAR NOT NULL, title TEXT NOT NULL, "
                                   "heading TEXT NOT NULL, text TEXT NOT NULL, embedding BLOB NOT NULL)")
        connection.exec_driver_sql("CREATE INDEX ix_kb_chunks_document_id ON kb_chunks (document_id)")
        connection.exec_driver_sql("INSERT INTO kb_documents VALUES (1, 'a.md', 'r', 'c', 'A', 'h', '2026-01-01')")
        vector = np.zeros(embedder.dim, dtype="float32").tobytes()
        connection.exec_driver_sql("INSERT INTO kb_chunks VALUES (7, 1, 0, 'c', 'A', '', 'kept', ?)", (vector,))
    engine.dispose()
    kb = KnowledgeBase.open(home, embedder=embedder)
    try:
        with kb.engine.connect() as connection:
            sql = connection.exec_driver_sql("select sql from sqlite_master where name = 'kb_chunks'").scalar()
            assert "AUTOINCREMENT" in sql
            assert connection.exec_driver_sql("select id, text from kb_chunks").all() == [(7, "kept")]
        assert kb.stats()["chunks"] == 1
    finally:
        kb.close()


def _add_document_rows(kb: KnowledgeBase, chunks: int, dim: int) -> None:
    """What another process's large ingest leaves in the database: a document and its chunks, one generation."""
    vectors = np.random.default_rng(7).normal(size=(chunks, dim)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with Session(kb.engine) as session:
        document = KbDocument(path="bulk.md", root="bulk", collection="bulk", title="Bulk", content_hash="h")
        session.add(document)
        session.flush()
        session.execute(sqlalchemy.insert(KbChunk), [
            {"document_id": document.id, "ordinal": i, "collection": "bulk", "title": "Bulk", "heading": f"Part {i}",
             "text": f"bulk passage number {i} about warehouse pallets", "embedding": store.to_blob(vector)}
            for i, vector in enumerate(vectors)])
        store.bump_generation(session)
        session.commit()


def test_a_delta_grown_too_large_becomes_a_new_base_that_other_processes_load(kb, database_url, counting_embedder):
    other = KnowledgeBase.open(kb.home, database_url=database_url, embedder=counting_embedder)
    try:
        _add_document_rows(kb, CHANGES_AT_LEAST + 1, counting_embedder.dim)
        built = kb._live.counts["built"]
        kb._live.refresh(force=True)
        assert kb._live.counts["built"] == built + 1, "too many changes: a new base is built and saved"
        assert len(kb._live.chunks) == CHANGES_AT_LEAST + 1 and kb._live.chunks.live is None
        loaded, other_built = other._live.counts["loaded"], other._live.counts["built"]
        other._live.refresh(force=True)
        assert other._live.counts["loaded"] == loaded + 1 and other._live.counts["built"] == other_built
        assert [hit.title for hit in other.search("warehouse pallets", k=2)] == ["Bulk", "Bulk"]
    finally:
        other.close()


def test_rebuilds_at_the_same_moment_leave_one_whole_index(kb, tmp_path: Path, database_url: str) -> None:
    import threading

    kb.ingest([write_handbook(tmp_path / "handbook")])
    before = {query: _top(kb, query) for query in QUERIES}
    others = [KnowledgeBase.open(kb.home, database_url=database_url, embedder=kb.embedder) for _ in range(3)]
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def rebuild(knowledge: KnowledgeBase) -> None:
        start.wait()
        try:
            for _ in range(3):
                knowledge.rebuild_index()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=rebuild, args=(each,)) for each in [kb, *others]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    fresh = KnowledgeBase.open(kb.home, database_url=database_url, embedder=kb.embedder)
    assert {query: _top(fresh, query) for query in QUERIES} == before
    for each in [*others, fresh]:
        each.close()
