"""The database is the truth; index files follow it. A crash between the database commit and the index
write, or a damaged index file, is repaired when the knowledge base is next opened."""
from __future__ import annotations

import shutil
from pathlib import Path

from knowledge import KnowledgeBase
from knowledge.index_files import POINTER
from tests.knowledge.conftest import HANDBOOK, write_handbook


def _reopen(kb: KnowledgeBase, database_url: str, embedder) -> KnowledgeBase:
    kb.close()
    return KnowledgeBase.open(kb.home, database_url=database_url, embedder=embedder)


def test_crash_after_commit_before_index_write_is_repaired_on_open(kb, tmp_path: Path, database_url,
                                                                   counting_embedder) -> None:
    folder = write_handbook(tmp_path / "handbook")
    kb.ingest([folder])
    stale_index = tmp_path / "index-before"
    shutil.copytree(kb.index_dir, stale_index)
    (folder / "leave.md").write_text(HANDBOOK["leave.md"].replace("25 days", "27 days"), encoding="utf-8")
    kb.ingest([folder])
    # What a crash right after the database commit leaves: new rows, the old index files.
    shutil.rmtree(kb.index_dir)
    shutil.copytree(stale_index, kb.index_dir)
    embedded = counting_embedder.texts_embedded
    reopened = _reopen(kb, database_url, counting_embedder)
    try:
        top = reopened.search("how many days of annual leave", k=1)[0]
        assert "27 days" in top.text
        assert reopened.stats()["chunks"] == 6
        assert counting_embedder.texts_embedded - embedded == 1, "rebuilt from stored vectors; only the query"
    finally:
        reopened.close()


def test_damaged_or_missing_index_files_are_rebuilt(kb, tmp_path: Path, database_url, counting_embedder) -> None:
    kb.ingest([write_handbook(tmp_path / "handbook")])
    current = kb.index_dir / (kb.index_dir / POINTER).read_text().strip()
    (current / "dense.faiss").write_bytes(b"not an index")
    reopened = _reopen(kb, database_url, counting_embedder)
    assert reopened.search("lost laptop", k=1)[0].source == "Security › Lost devices"
    shutil.rmtree(reopened.index_dir)
    again = _reopen(reopened, database_url, counting_embedder)
    try:
        assert again.search("lost laptop", k=1)[0].source == "Security › Lost devices"
    finally:
        again.close()


def test_index_swap_leaves_one_generation_folder(kb, tmp_path: Path) -> None:
    folder = write_handbook(tmp_path / "handbook")
    kb.ingest([folder])
    (folder / "extra.md").write_text("# Extra\n\nSomething new about parking permits.\n", encoding="utf-8")
    kb.ingest([folder])
    folders = [p.name for p in kb.index_dir.iterdir() if p.is_dir()]
    assert len(folders) == 1 and (kb.index_dir / POINTER).read_text().strip() == folders[0]
    assert not list(kb.index_dir.glob("*.tmp"))


def test_another_process_ingesting_is_seen_by_a_running_reader(kb, tmp_path: Path, database_url,
                                                               counting_embedder) -> None:
    reader = KnowledgeBase.open(kb.home, database_url=database_url, embedder=counting_embedder)
    try:
        assert reader.search("parking permits", k=1) == []
        kb.ingest([write_handbook(tmp_path / "handbook")])
        reader._live._checked_at = 0.0  # the reader polls every few seconds; do not wait for the clock
        assert reader.search("lost laptop", k=1)[0].source == "Security › Lost devices"
    finally:
        reader.close()
