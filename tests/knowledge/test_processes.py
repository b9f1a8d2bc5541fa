"""Several processes on one store: a bot, a scheduler and an ingest run side by side on one home (SQLite) or one
PostgreSQL database. Real spawned processes, real model, real FAISS and bm25s; nothing of ours is mocked."""
from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Callable

import pytest
import sqlalchemy
from sqlmodel import Session, func, select

from knowledge import KnowledgeBase, chunk_rows, store
from knowledge.chunking import chunk_document
from knowledge.loaders import load
from knowledge.store import KbChunk, KbDocument
from tests.knowledge.conftest import HANDBOOK, write_handbook, write_sample_copies
from tests.knowledge.knowledge_process import KnowledgeProcess

SEEN_WITHIN = 5.0  # seconds: how soon a change made in one process must reach another's search


@pytest.fixture
def processes():
    started: list[KnowledgeProcess] = []
    yield started
    for process in started:
        process.stop()


def _start(processes: list, count: int, home: Path, database_url: str) -> list[KnowledgeProcess]:
    """``count`` processes that open the store at the same moment, once each has loaded the model."""
    start = multiprocessing.get_context("spawn").Event()
    new = [KnowledgeProcess(str(home), database_url, start) for _ in range(count)]
    processes.extend(new)
    time.sleep(0.5)
    start.set()
    outcomes = [process.opened() for process in new]
    assert [status for status, _ in outcomes] == ["opened"] * count, [detail for _, detail in outcomes]
    return new


def test_processes_opening_one_fresh_store_at_once_all_start_and_search(processes, tmp_path: Path,
                                                                         database_url: str) -> None:
    first, *others = _start(processes, 3, tmp_path / "home", database_url)
    builds = [process.ask("stats").get("built", 0) for process in [first, *others]]
    assert sum(builds) == 1, "one process builds the empty index under the lock; the others load its files"
    assert first.ask("ingest", str(write_handbook(tmp_path / "handbook"))) == len(HANDBOOK)
    for process in [first, *others]:
        assert _found(process, "lost laptop", "Security › Lost devices")


def _found(process: KnowledgeProcess, query: str, source: str, *, present: bool = True) -> bool:
    """Whether within ``SEEN_WITHIN`` seconds the top hits for ``query`` include (or no longer include) ``source``."""
    return _seen(process, query, lambda hits: (source in [hit[1] for hit in hits]) == present)


def _seen(process: KnowledgeProcess, query: str, wanted: Callable[[list], bool]) -> bool:
    """Whether within ``SEEN_WITHIN`` seconds the top hits (document, source, text) for ``query`` are as wanted."""
    deadline = time.monotonic() + SEEN_WITHIN
    while True:
        if wanted(process.ask("search", query, 3)):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def test_an_ingest_in_one_process_reaches_another_running_process_without_a_rebuild(processes, tmp_path: Path,
                                                                                   database_url: str) -> None:
    writer, reader = _start(processes, 2, tmp_path / "home", database_url)
    folder = write_handbook(tmp_path / "handbook")
    assert reader.ask("search", "lost laptop", 3) == []
    before = reader.ask("stats")

    writer.ask("ingest", str(folder))
    assert _found(reader, "lost laptop", "Security › Lost devices")

    (folder / "leave.md").write_text(HANDBOOK["leave.md"].replace("25 days", "27 days"), encoding="utf-8")
    (folder / "security.md").unlink()
    writer.ask("ingest", str(folder))
    assert _seen(reader, "how many days of annual leave", lambda hits: "27 days" in hits[0][2])
    assert "25 days" not in " ".join(hit[2] for hit in reader.ask("search", "how many days of annual leave", 3))
    assert _found(reader, "lost laptop", "Security › Lost devices", present=False)

    after = reader.ask("stats")
    for kind in ("built", "loaded"):
        assert after.get(kind, 0) == before.get(kind, 0), f"the reader's index was {kind} anew: {before} {after}"
    assert after["changes applied"] >= before.get("changes applied", 0) + 2


def _chunks_per_document(engine: sqlalchemy.Engine) -> dict[str, int]:
    with Session(engine) as session:
        return dict(session.exec(select(KbDocument.path, func.count(KbChunk.id)).join(
            KbChunk, KbChunk.document_id == KbDocument.id, isouter=True).group_by(KbDocument.path)).all())


def test_an_ingest_killed_midway_leaves_whole_documents_and_the_next_one_finishes(
        processes, tmp_path: Path, database_url: str, counting_embedder) -> None:
    """One copy of the sample handbook is stored; then its first file changes and four more copies arrive. The
    ingest of that is killed as soon as its first batch is in: the changed file went in with it."""
    home = tmp_path / "home"
    folder = write_sample_copies(tmp_path / "docs", copies=1)
    kb = KnowledgeBase.open(home, database_url=database_url, embedder=counting_embedder)
    kb.ingest([folder], collection="handbook")
    kb.close()
    write_sample_copies(folder, copies=5)  # copy 0 as it was, and four more
    first = sorted(folder.glob("*.md"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n\nA new paragraph: lunch is on us on Fridays.\n",
                     encoding="utf-8")
    expected = {str(file.resolve()): len(chunk_document(load(file).text, load(file).title))
                for file in sorted(folder.glob("*.md"))}

    ingester, = _start(processes, 1, home, database_url)
    engine = store.make_engine(database_url, home)
    try:
        generation = store.versions(engine)[0]
        ingester.send("ingest", str(folder))
        deadline = time.monotonic() + 120
        while store.versions(engine)[0] == generation and time.monotonic() < deadline:
            time.sleep(0.02)
        ingester.kill()  # as soon as the first batch is in: the rest is still being embedded
        stored = _chunks_per_document(engine)
        assert 10 < len(stored) < len(expected), "what was stored before the kill stays; the rest is not there yet"
        assert stored == {path: expected[path] for path in stored}, "every stored document has all its chunks"
    finally:
        engine.dispose()

    kb = KnowledgeBase.open(home, database_url=database_url, embedder=counting_embedder)
    try:
        assert list(kb._live.chunks.ids) == list(chunk_rows.chunk_ids(kb.engine)), "the index serves what is stored"
        embedded = counting_embedder.texts_embedded
        report = kb.ingest([folder], collection="handbook")
        assert (report.documents_unchanged, report.documents_added) == (len(stored), len(expected) - len(stored))
        assert counting_embedder.texts_embedded - embedded == sum(expected.values()) - sum(stored.values()), \
            "only the documents the killed ingest had not stored are embedded"
        assert report.changed == [str(first.resolve())], "the killed ingest's change is still reported"
        assert _chunks_per_document(kb.engine) == expected
        assert list(kb._live.chunks.ids) == list(chunk_rows.chunk_ids(kb.engine))
        assert kb.search("I lost my laptop", k=1)[0].source.endswith("Lost or stolen devices")
    finally:
        kb.close()
