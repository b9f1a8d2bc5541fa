"""Ingest and re-ingest on SQLite and PostgreSQL: summaries, skipped files, and incremental work."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import sqlalchemy

from knowledge import KnowledgeBase, store
from tests.knowledge.conftest import HANDBOOK, write_handbook, write_sample_copies

LONGEST_WAIT = 1.0  # seconds a bot's write may wait for an ingest's


def test_ingest_counts_documents_and_chunks_and_skips_bad_files(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = write_handbook(tmp_path / "handbook")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 garbage that is not a document")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n")
    report = kb.ingest([folder])
    assert report.documents_added == 3
    assert report.chunks_added == 6
    assert sorted(Path(s.path).name for s in report.skipped) == ["broken.pdf", "photo.png"]
    assert all(s.reason and "\n" not in s.reason for s in report.skipped)
    assert kb.stats() == {"documents": 3, "chunks": 6, "entries": 0}
    assert kb.collections() == ["handbook"]


def test_unchanged_documents_cost_no_embedding(kb: KnowledgeBase, tmp_path: Path, counting_embedder) -> None:
    folder = write_handbook(tmp_path / "handbook")
    kb.ingest([folder])
    embedded = counting_embedder.texts_embedded
    report = kb.ingest([folder])
    assert report.documents_unchanged == 3
    assert (report.documents_added, report.documents_changed, report.chunks_added) == (0, 0, 0)
    assert counting_embedder.texts_embedded == embedded


def test_changed_document_is_replaced_and_only_it_is_embedded(kb: KnowledgeBase, tmp_path: Path,
                                                              counting_embedder) -> None:
    folder = write_handbook(tmp_path / "handbook")
    kb.ingest([folder])
    before = counting_embedder.texts_embedded
    (folder / "expenses.md").write_text(HANDBOOK["expenses.md"].replace("40 pounds", "55 pounds"), encoding="utf-8")
    report = kb.ingest([folder])
    assert (report.documents_changed, report.documents_unchanged) == (1, 2)
    assert report.chunks_removed == 2 and report.chunks_added == 2
    assert report.changed == [str((folder / "expenses.md").resolve())]
    assert counting_embedder.texts_embedded - before == 2
    top = kb.search("meal allowance per day in London", k=1)[0]
    assert "55 pounds" in top.text
    assert all("40 pounds" not in hit.text for hit in kb.search("meal allowance London", k=10))


def test_deleted_document_leaves_both_indexes(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = write_handbook(tmp_path / "handbook")
    kb.ingest([folder])
    assert any("1Password" in h.text for h in kb.search("1Password", k=3, mode="keyword"))
    (folder / "security.md").unlink()
    report = kb.ingest([folder])
    assert report.documents_removed == 1 and report.chunks_removed == 2
    assert report.changed == [str((folder / "security.md").resolve())]
    assert not any("1Password" in h.text for h in kb.search("1Password", k=10, mode="keyword"))
    assert not any("1Password" in h.text for h in kb.search("password manager", k=10, mode="dense"))
    assert kb.stats()["documents"] == 2


def test_documents_are_listed_and_removed_from_both_indexes(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = write_handbook(tmp_path / "handbook")
    kb.ingest([folder])
    it = write_handbook(tmp_path / "it", {"laptops.md": HANDBOOK["security.md"].replace("1Password", "Bitwarden")})
    kb.ingest([it])
    listed = kb.documents()
    assert [Path(doc.path).name for doc in listed] == ["expenses.md", "leave.md", "security.md", "laptops.md"]
    assert sum(doc.chunks for doc in listed) == kb.stats()["chunks"]
    assert [doc.collection for doc in kb.documents(collection="it")] == ["it"]
    assert [Path(doc.path).name for doc in kb.documents(path=str(folder))] == ["expenses.md", "leave.md",
                                                                              "security.md"]
    assert kb.documents(path=str(folder)[:-1]) == []  # a folder's name is matched whole, not as a prefix
    first = kb.documents(path=str(folder / "expenses.md"))[0].ingested_at
    assert first.tzinfo is not None

    (folder / "expenses.md").write_text(HANDBOOK["expenses.md"] + "\nReceipts within 30 days.\n", encoding="utf-8")
    kb.ingest([folder])
    assert kb.documents(path=str(folder / "expenses.md"))[0].ingested_at > first  # when its content was stored

    report = kb.remove_documents([str(folder / "security.md"), str(it / "laptops.md")])
    assert (report.documents_removed, report.changed) == (2, [str(folder / "security.md"), str(it / "laptops.md")])
    assert report.chunks_removed == 4
    assert not any("1Password" in h.text or "Bitwarden" in h.text
                   for h in kb.search("password manager 1Password Bitwarden", k=10))
    assert kb.collections() == ["handbook"]
    assert kb.remove_documents([str(folder / "security.md")]).documents_removed == 0


def test_collection_defaults_to_folder_name_and_can_be_chosen(kb: KnowledgeBase, tmp_path: Path) -> None:
    write_handbook(tmp_path / "handbook", {"leave.md": HANDBOOK["leave.md"]})
    write_handbook(tmp_path / "it", {"security.md": HANDBOOK["security.md"]})
    kb.ingest([tmp_path / "handbook"])
    kb.ingest([tmp_path / "it"], collection="it-docs")
    assert kb.collections() == ["handbook", "it-docs"]
    hits = kb.search("how many days of holiday", k=5, collections=["it-docs"])
    assert hits and all(h.collection == "it-docs" for h in hits)
    assert kb.search("how many days of holiday", k=1, collections=["handbook"])[0].collection == "handbook"
    assert kb.search("anything", k=3, collections=["nope"]) == []


def test_single_file_ingest_and_missing_path(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = write_handbook(tmp_path / "policies")
    report = kb.ingest([folder / "leave.md", tmp_path / "missing.md"])
    assert report.documents_added == 1
    assert [s.reason for s in report.skipped] == ["no such file or folder"]
    assert kb.collections() == ["policies"]


def _reasons(report) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in report.skipped}


def test_links_out_of_the_ingested_folder_are_skipped(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = write_handbook(tmp_path / "handbook")
    private = tmp_path / "private"
    private.mkdir()
    (private / "salaries.md").write_text("# Salaries\n\nThe salary band for engineers is 90k to 120k.\n")
    (folder / "salaries.md").symlink_to(private / "salaries.md")
    (folder / "more").symlink_to(private, target_is_directory=True)
    (folder / "leave-copy.md").symlink_to(folder / "leave.md")  # a link that stays inside is fine
    report = kb.ingest([folder])
    reasons = _reasons(report)
    assert reasons["salaries.md"] == "links outside the ingested folder"
    assert report.documents_added == 4
    assert all("salary band" not in hit.text for hit in kb.search("salary band for engineers", k=10))


def test_oversized_and_expanding_files_are_skipped_with_the_reason(kb: KnowledgeBase, tmp_path: Path) -> None:
    import os
    import zipfile

    from knowledge import ingesting, loaders

    folder = write_handbook(tmp_path / "handbook")
    with open(folder / "huge.md", "wb") as handle:  # sparse: nothing is written, the size is what counts
        os.truncate(handle.fileno(), ingesting.MAX_FILE_BYTES + 1)
    with zipfile.ZipFile(folder / "bomb.docx", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:t>" + b"a" * (loaders.MAX_UNPACKED_BYTES + 1) + b"</w:t>")
    (folder / "dump.txt").write_text("word " * (loaders.MAX_TEXT_CHARACTERS // 5 + 1))
    report = kb.ingest([folder])
    reasons = _reasons(report)
    assert reasons["huge.md"].startswith("too large (50 MB")
    assert reasons["bomb.docx"].startswith("unpacks to 100 MB")
    assert reasons["dump.txt"].startswith("too much text")
    assert report.documents_added == 3  # the rest of the folder still goes in


def test_a_bot_writing_while_an_ingest_embeds_never_waits_a_second(kb: KnowledgeBase, tmp_path: Path,
                                                                    database_url: str) -> None:
    """The bot writes through its own engine (its own connections) to the same database while a re-ingest
    removes one document and embeds about 560 new chunks with the real model: seconds of work."""
    folder = write_handbook(tmp_path / "docs")
    kb.ingest([folder])
    (folder / "security.md").unlink()
    write_sample_copies(folder, copies=5)
    bot = store.make_engine(database_url, tmp_path)
    probe = sqlalchemy.Table("bot_writes", sqlalchemy.MetaData(),
                             sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True),
                             sqlalchemy.Column("at", sqlalchemy.Float, nullable=False))
    probe.metadata.create_all(bot)
    reports = []
    ingest = threading.Thread(target=lambda: reports.append(kb.ingest([folder])))
    waits: list[float] = []
    try:
        ingest.start()
        while ingest.is_alive():
            started = time.perf_counter()
            with bot.begin() as connection:
                connection.execute(probe.insert().values(at=time.time()))
            waits.append(time.perf_counter() - started)
            time.sleep(0.05)
        ingest.join()
    finally:
        bot.dispose()
    report, = reports
    assert (report.documents_added, report.documents_removed) == (50, 1)
    assert max(waits) < LONGEST_WAIT, f"a bot write waited {max(waits):.1f} s for the ingest"
    assert len(waits) >= 10, "the ingest should take seconds, with the bot writing all along"


def test_a_file_that_takes_too_long_to_parse_is_skipped_and_the_rest_goes_in(kb: KnowledgeBase,
                                                                            tmp_path: Path) -> None:
    from knowledge.ingesting import Ingester
    from knowledge.sources.folder import ingest_paths
    from tests.knowledge.pdfs import pdf_with_text, slow_pdf
    from tests.knowledge.workers import parsers

    folder = write_handbook(tmp_path / "handbook")
    (folder / "a-crafted.pdf").write_bytes(slow_pdf())
    (folder / "benefits.pdf").write_bytes(pdf_with_text(["Pension matching is 5 percent."]))
    (folder / "it.html").write_text("<h1>IT guide</h1><p>Use WireGuard on every network.</p>", encoding="utf-8")
    report = ingest_paths(kb.engine, Ingester(kb.engine, kb.embedder, parse_timeout=1), [folder])
    assert _reasons(report) == {"a-crafted.pdf": "took longer than 1 s to read"}
    assert report.documents_added == 5
    assert not parsers()  # the worker that read the PDFs and the HTML is gone with the ingest


def test_ingest_stores_each_documents_own_url_and_where_it_sits(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = write_handbook(tmp_path / "handbook")
    (folder / "policies").mkdir()
    (folder / "policies" / "leave.md").write_text(
        "---\nurl: https://wiki.example.com/hr/leave\n---\n" + HANDBOOK["leave.md"], encoding="utf-8")
    (folder / "leave.md").unlink()
    (folder / "canteen.html").write_text(  # read in the parsing worker process
        '<html><head><link rel="canonical" href="https://intranet.example.com/canteen"></head>'
        "<body><h1>Canteen</h1><p>The canteen serves lunch from noon.</p></body></html>", encoding="utf-8")
    kb.ingest([folder])
    with sqlalchemy.orm.Session(kb.engine) as session:
        urls = dict(session.execute(sqlalchemy.select(store.KbDocument.path, store.KbDocument.url)).all())
    assert urls[str((folder / "policies" / "leave.md").resolve())] == "https://wiki.example.com/hr/leave"
    assert urls[str((folder / "expenses.md").resolve())] is None
    assert urls[str((folder / "canteen.html").resolve())] == "https://intranet.example.com/canteen"
    leave = kb.search("How many days of annual leave do I get?", k=1)[0]
    assert (leave.url, leave.relative_path) == ("https://wiki.example.com/hr/leave", "policies/leave.md")
    assert "wiki.example.com" not in leave.text and "---" not in leave.text
    meals = kb.search("meal allowance per day in London", k=1)[0]
    assert (meals.url, meals.relative_path) == (None, "expenses.md")


def test_a_changed_url_is_stored_on_the_next_ingest(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = write_handbook(tmp_path / "handbook")
    kb.ingest([folder])
    (folder / "leave.md").write_text("---\nurl: https://wiki.example.com/leave\n---\n" + HANDBOOK["leave.md"],
                                     encoding="utf-8")
    assert kb.ingest([folder]).documents_changed == 1
    assert kb.search("parental leave weeks on full pay", k=1)[0].url == "https://wiki.example.com/leave"


def test_a_file_ingested_alone_is_known_by_its_name(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = write_handbook(tmp_path / "handbook")
    kb.ingest([folder / "leave.md"])
    assert kb.search("parental leave weeks on full pay", k=1)[0].relative_path == "leave.md"


def test_a_store_from_before_urls_gets_the_column_and_keeps_its_documents(tmp_path: Path, database_url: str,
                                                                          counting_embedder) -> None:
    folder = write_handbook(tmp_path / "handbook")
    first = KnowledgeBase.open(tmp_path / "home", database_url=database_url, embedder=counting_embedder)
    first.ingest([folder])
    with first.engine.begin() as connection:  # as a database made before documents had a url
        connection.execute(sqlalchemy.text("ALTER TABLE kb_documents DROP COLUMN url"))
    first.close()
    again = KnowledgeBase.open(tmp_path / "home", database_url=database_url, embedder=counting_embedder)
    try:
        hit = again.search("parental leave weeks on full pay", k=1)[0]
        assert hit.url is None and hit.relative_path == "leave.md"
    finally:
        again.close()


def test_two_ingests_of_one_folder_at_once_store_each_document_once(kb: KnowledgeBase, tmp_path: Path,
                                                                    counting_embedder) -> None:
    """An ingest is the folder's source on the sync engine: the second waits for the first, then finds every
    document unchanged."""
    folder = write_handbook(tmp_path / "handbook")
    reports = []
    runs = [threading.Thread(target=lambda: reports.append(kb.ingest([folder]))) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    files = len(list(folder.glob("*.md")))
    assert sorted(report.documents_added for report in reports) == [0, files]
    assert sorted(report.documents_unchanged for report in reports) == [0, files]
    assert len(kb.documents()) == files
    assert counting_embedder.texts_embedded == kb.stats()["chunks"]  # nothing embedded twice


def test_a_folder_emptied_on_purpose_empties_its_documents(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = write_handbook(tmp_path / "handbook")
    kb.ingest([folder])
    for file in folder.glob("*.md"):
        file.unlink()
    report = kb.ingest([folder])
    assert report.documents_removed > 0 and kb.documents() == [] and report.skipped == []
