"""The Git source on the real sync engine, with a real repository, on SQLite and PostgreSQL."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.sources.git import GitOptions
from knowledge.sources.options import SourceConfigError
from knowledge.sources.syncing import SyncOptions
from tests.knowledge.sources.gitrepo import Repo

LEAVE = "# Leave\n\nEveryone gets 25 days of annual leave a year, booked in Breathe.\n"
PARKING = "# Parking\n\nStaff park for free in lot B behind the warehouse.\n"
VPN = "# VPN\n\nConnect to the VPN with WireGuard before opening the intranet.\n"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "handbook")
    repo.write("docs/leave.md", LEAVE)
    repo.write("parking.md", PARKING)
    repo.write("it/vpn.md", VPN)
    repo.write("logo.png", "not text")
    repo.commit("first")
    return repo


def sync(kb: KnowledgeBase, repo: Repo, **options):
    config = GitOptions(type="git", repo=str(repo.path), link="https://git.example.com/blob/{branch}/{path}",
                        **options)
    source = config.open("handbook", home=kb.home, secrets=lambda name: None)
    return kb.sync("handbook", source, SyncOptions(collection="handbook", type="git"))


def top(kb: KnowledgeBase, question: str):
    hits = kb.search(question, k=1)
    return hits[0] if hits else None


def test_first_sync_reads_wanted_files_with_links_and_authors(kb, repo, counting_embedder) -> None:
    report = sync(kb, repo)
    assert (report.added, report.changed, report.removed, report.failed) == (3, 0, 0, 0)
    hit = top(kb, "How many days of annual leave do I get?")
    assert hit.title == "Leave"
    assert hit.url == "https://git.example.com/blob/main/docs/leave.md"
    assert {doc.path for doc in kb.documents()} == {"source:handbook/docs/leave.md", "source:handbook/parking.md",
                                                      "source:handbook/it/vpn.md"}
    from sqlmodel import Session, select
    from knowledge.store import KbDocument

    with Session(kb.engine) as session:
        row = session.exec(select(KbDocument).where(KbDocument.path == "source:handbook/docs/leave.md")).one()
    assert row.author == "Alice Example" and row.version and row.modified_at is not None


def test_edit_and_delete_are_followed_and_unchanged_files_cost_nothing(kb, repo, counting_embedder) -> None:
    sync(kb, repo)
    repo.write("docs/leave.md", LEAVE.replace("25 days", "30 days"))
    repo.delete("parking.md")
    repo.commit("edit leave, drop parking")
    before = counting_embedder.texts_embedded
    report = sync(kb, repo)
    embedded = counting_embedder.texts_embedded - before
    assert 0 < embedded <= 2  # only the edited file's passages
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 1, 1, 0)
    assert "30 days" in top(kb, "How many days of annual leave do I get?").text
    parking = top(kb, "Where can staff park?")
    assert parking is None or parking.title != "Parking"
    assert sorted(report.changed_paths) == ["source:handbook/docs/leave.md", "source:handbook/parking.md"]

    before = counting_embedder.texts_embedded
    again = sync(kb, repo)
    assert (again.added, again.changed, again.removed, again.failed) == (0, 0, 0, 0)
    assert counting_embedder.texts_embedded == before


def test_a_rename_moves_the_document(kb, repo) -> None:
    sync(kb, repo)
    repo.move("it/vpn.md", "it/remote-access.md")
    repo.commit("rename")
    report = sync(kb, repo)
    assert (report.added, report.removed) == (1, 1)
    assert top(kb, "How do I connect to the VPN?").url.endswith("/it/remote-access.md")


def test_a_rewritten_history_costs_only_what_differs(kb, repo, counting_embedder) -> None:
    sync(kb, repo)
    repo.git("checkout", "-q", "--orphan", "rewritten")
    repo.git("commit", "-q", "-m", "squashed")
    repo.git("branch", "-q", "-D", "main")
    repo.git("branch", "-q", "-m", "main")
    repo.write("parking.md", PARKING.replace("lot B", "lot C"))
    repo.commit("lot C")
    before = counting_embedder.texts_embedded
    report = sync(kb, repo)
    assert (report.added, report.changed, report.removed) == (0, 1, 0)
    assert counting_embedder.texts_embedded - before <= 2


def test_paths_limit_what_is_synced(kb, repo) -> None:
    report = sync(kb, repo, paths=["docs/**/*.md"])
    assert report.added == 1
    assert [doc.path for doc in kb.documents()] == ["source:handbook/docs/leave.md"]


def test_an_unreachable_repository_fails_the_source_and_keeps_everything(kb, repo, tmp_path) -> None:
    sync(kb, repo)
    repo.path.rename(tmp_path / "moved")
    report = sync(kb, repo)
    assert report.error and "cannot read the default branch of" in report.error
    assert report.removed == 0 and len(kb.documents()) == 3


def test_a_named_token_variable_must_be_set(kb, repo) -> None:
    config = GitOptions(type="git", repo="https://git.example.com/handbook.git", token_env="HANDBOOK_TOKEN")
    with pytest.raises(SourceConfigError, match="sources.handbook.token_env: the environment variable "
                                                "HANDBOOK_TOKEN is not set"):
        config.open("handbook", home=kb.home, secrets=lambda name: None)


def test_full_sync_reads_the_whole_tree_and_embeds_nothing_unchanged(kb, repo, counting_embedder) -> None:
    sync(kb, repo)
    before = counting_embedder.texts_embedded
    config = GitOptions(type="git", repo=str(repo.path))
    source = config.open("handbook", home=kb.home, secrets=lambda name: None)
    report = kb.sync("handbook", source, SyncOptions(collection="handbook", type="git", full=True))
    assert (report.added, report.changed, report.unchanged, report.removed) == (0, 0, 3, 0)
    assert counting_embedder.texts_embedded == before


def test_a_killed_sync_resumes_from_its_checkpoint_and_embeds_nothing_twice(kb, tmp_path, database_url,
                                                                             counting_embedder) -> None:
    from tests.knowledge.sources.sync_process import kill_after_checkpoint

    repo = Repo(tmp_path / "big")
    for number in range(360):
        repo.write(f"notes/note-{number:03}.md", f"# Note {number}\n\nFact number {number} is about topic "
                                                 f"{number * 7 % 101} and office {number % 13}.\n")
    repo.commit("many notes")
    options = {"type": "git", "repo": str(repo.path)}
    assert kill_after_checkpoint(kb.home, database_url, "handbook", options), "the sync finished before the kill"
    written = len(kb.documents())
    assert 0 < written < 360
    config = GitOptions(**options)
    report = kb.sync("handbook", config.open("handbook", home=kb.home, secrets=lambda name: None),
                     SyncOptions(collection="handbook", type="git"))
    assert report.error is None and len(kb.documents()) == 360
    assert report.added == 360 - written
    assert counting_embedder.texts_embedded == 360 - written  # one passage per note: nothing twice


def test_a_file_that_cannot_be_read_stays_answered_from_its_last_version_and_is_retried(kb, repo) -> None:
    sync(kb, repo)
    (repo.path / "docs" / "leave.md").write_bytes(b"# Leave\x00\x01\x02 binary garbage")
    repo.git("add", "docs/leave.md")
    repo.commit("broken")
    report = sync(kb, repo)
    assert [(problem.key, problem.url, problem.reason) for problem in report.failures] == [
        ("docs/leave.md", "https://git.example.com/blob/main/docs/leave.md", "looks like a binary file, not text")]
    assert "25 days" in top(kb, "How many days of annual leave do I get?").text
    again = sync(kb, repo)  # nothing new in the repository: the failure is tried again, not forgotten
    assert [problem.key for problem in again.failures] == ["docs/leave.md"]
    repo.write("docs/leave.md", LEAVE.replace("25 days", "28 days"))
    repo.commit("fixed")
    fixed = sync(kb, repo)
    assert fixed.failures == [] and fixed.changed == 1
    assert "28 days" in top(kb, "How many days of annual leave do I get?").text


def test_a_sync_that_would_remove_too_much_removes_nothing_and_says_why(kb, repo) -> None:
    sync(kb, repo)
    repo.delete("parking.md")
    repo.delete("it/vpn.md")
    repo.commit("drop two of three")
    report = sync(kb, repo)
    assert report.removed == 0 and len(kb.documents()) == 3
    assert report.removal_blocked.startswith("2 of the 3 documents in handbook are gone from the source (67%), "
                                             "more than max_removal_share (20%); nothing was removed.")
    config = GitOptions(type="git", repo=str(repo.path), max_removal_share=1.0)
    allowed = kb.sync("handbook", config.open("handbook", home=kb.home, secrets=lambda name: None),
                      SyncOptions(collection="handbook", type="git", max_removal_share=1.0))
    assert allowed.removed == 2 and allowed.removal_blocked is None


def test_without_a_branch_the_repositorys_default_branch_is_synced(kb, tmp_path) -> None:
    repo = Repo(tmp_path / "old-style", branch="master")
    repo.write("leave.md", LEAVE)
    repo.commit("first")
    config = GitOptions(type="git", repo=str(repo.path), link="https://git.example.com/{branch}/{path}")
    report = kb.sync("handbook", config.open("handbook", home=kb.home, secrets=lambda name: None),
                     SyncOptions(collection="handbook", type="git"))
    assert report.added == 1 and top(kb, "How many days of annual leave?").url == \
        "https://git.example.com/master/leave.md"
    named = GitOptions(type="git", repo=str(repo.path), branch="main")
    failed = kb.sync("handbook", named.open("handbook", home=kb.home, secrets=lambda name: None),
                     SyncOptions(collection="handbook", type="git"))
    assert failed.error.startswith("cannot fetch branch main of") and len(kb.documents()) == 1
