"""`lorebot sources` and `lorebot sync` end to end, on a real Git repository and the real knowledge base."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.cli import main
from tests.knowledge.sources.gitrepo import Repo

LEAVE = "# Leave\n\nEveryone gets 25 days of annual leave a year, booked in Breathe.\n"
PARKING = "# Parking\n\nStaff park for free in lot B behind the warehouse.\n"


@pytest.fixture
def site(tmp_path: Path, database_url: str):
    repo = Repo(tmp_path / "handbook")
    repo.write("leave.md", LEAVE)
    repo.write("parking.md", PARKING)
    repo.commit("first")
    config = tmp_path / "lorebot.toml"
    config.write_text(f'[sources.handbook]\ntype = "git"\nrepo = "{repo.path}"\n'
                      'link = "https://git.example.com/{branch}/{path}"\n', encoding="utf-8")
    base = ["--home", str(tmp_path / "home"), "--database-url", database_url, "--config", str(config)]
    return repo, config, base


def run_json(capsys, *args: str):
    code = main([*args])
    return code, json.loads(capsys.readouterr().out)


def test_sync_then_ask_answers_with_the_link_and_follows_edits_and_deletions(site, capsys) -> None:
    repo, _, base = site
    code, reports = run_json(capsys, *base, "sync", "--json")
    assert code == 0
    assert reports == [{"source": "handbook", "added": 2, "changed": 0, "unchanged": 0, "removed": 0, "failed": 0,
                        "failures": [], "skipped": [], "removal_blocked": None, "error": None, "busy": False}]
    _, answer = run_json(capsys, *base, "ask", "--json", "How many days of annual leave do I get?")
    assert "25 days" in answer["answer"] and answer["sources"][0]["url"] == "https://git.example.com/main/leave.md"

    repo.write("leave.md", LEAVE.replace("25 days", "30 days"))
    repo.delete("parking.md")
    repo.commit("edit and delete")
    code = main([*base, "sync", "--no-progress"])
    assert code == 0
    assert "handbook: 0 new, 1 changed, 0 unchanged, 1 removed, 0 failed" in capsys.readouterr().out
    _, answer = run_json(capsys, *base, "ask", "--json", "How many days of annual leave do I get?")
    assert "30 days" in answer["answer"]
    _, answer = run_json(capsys, *base, "ask", "--json", "Where can staff park for free?")
    assert all(source["url"] != "https://git.example.com/main/parking.md" for source in answer["sources"])

    code, again = run_json(capsys, *base, "sync", "--json", "handbook")
    assert code == 0 and (again[0]["added"], again[0]["changed"], again[0]["removed"]) == (0, 0, 0)


def test_sources_lists_health_and_next_run(site, capsys) -> None:
    _, _, base = site
    _, before = run_json(capsys, *base, "sources", "--json")
    assert before[0]["documents"] == 0 and before[0]["last_success"] is None and before[0]["next_run"]
    main([*base, "sync", "--no-progress"])
    capsys.readouterr()
    _, after = run_json(capsys, *base, "sources", "--json")
    row = after[0]
    assert {key: row[key] for key in ("source", "type", "collection", "documents", "last_error", "failed",
                                      "failures", "schedule")} == {
        "source": "handbook", "type": "git", "collection": "handbook", "documents": 2, "last_error": None,
        "failed": 0, "failures": [], "schedule": "0 * * * *"}
    assert row["last_success"] is not None
    assert main([*base, "sources"]) == 0
    text = capsys.readouterr().out
    assert "handbook (git, collection handbook): 2 document(s)" in text and "next run:" in text


def test_a_source_that_cannot_be_read_exits_1_and_keeps_its_documents(site, tmp_path, capsys) -> None:
    repo, _, base = site
    main([*base, "sync", "--no-progress"])
    repo.path.rename(tmp_path / "elsewhere")
    capsys.readouterr()
    code, reports = run_json(capsys, *base, "sync", "--json")
    assert code == 1 and "cannot read the default branch of" in reports[0]["error"] and reports[0]["removed"] == 0
    _, rows = run_json(capsys, *base, "sources", "--json")
    assert rows[0]["documents"] == 2 and "cannot read the default branch of" in rows[0]["last_error"]
    _, stats = run_json(capsys, *base, "stats", "--json")
    assert stats["sources"][0]["healthy"] is False and stats["sources"][0]["documents"] == 2
    assert main([*base, "stats"]) == 0
    assert "Sources:\n  ⚠️ handbook: the last sync failed: cannot read the default branch of" in capsys.readouterr().out


def test_mistakes_are_one_line_with_exit_code_2(site, tmp_path, capsys) -> None:
    _, config, base = site
    assert main([*base, "sync", "wiki"]) == 2
    assert "no source named wiki (configured: handbook)" in capsys.readouterr().err
    config.write_text('[sources.handbook]\ntype = "git"\nrepo = "https://git.example.com/h.git"\n'
                      'token_env = "LOREBOT_TEST_UNSET_TOKEN"\n', encoding="utf-8")
    assert main([*base, "sync"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("lorebot: sources.handbook.token_env: the environment variable LOREBOT_TEST_UNSET_TOKEN "
                           "is not set")
    config.write_text('[sources.handbook]\ntype = "gti"\nrepo = "x"\n', encoding="utf-8")
    assert main([*base, "sources"]) == 2
    assert 'sources.handbook.type: "gti" is not one of' in capsys.readouterr().err


def test_a_sync_while_another_process_holds_the_source_reports_busy_and_does_nothing(tmp_path, database_url) -> None:
    """The other process is this test holding the source's store lock (what a running sync holds), so the
    outcome does not hang on which of two processes starts faster."""
    import sqlalchemy

    from knowledge.store_lock import StoreLock

    repo = Repo(tmp_path / "big")
    for number in range(60):
        repo.write(f"notes/{number:03}.md", f"# Note {number}\n\nFact {number} concerns office {number % 17}.\n")
    repo.commit("many")
    config = tmp_path / "lorebot.toml"
    config.write_text(f'[sources.notes]\ntype = "git"\nrepo = "{repo.path}"\n', encoding="utf-8")
    command = [sys.executable, "-m", "adapters.cli", "--home", str(tmp_path / "home"), "--database-url",
               database_url, "--config", str(config), "sync", "--json"]
    main(["--home", str(tmp_path / "home"), "--database-url", database_url, "sources"])  # tables exist first
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    engine = sqlalchemy.create_engine(database_url)
    try:
        with StoreLock(engine, "lorebot-sync:notes") as lock:
            assert lock.acquire()
            held = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)
        free = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)
    finally:
        engine.dispose()
    assert held.returncode == free.returncode == 0, (held.stderr, free.stderr)
    [busy], [done] = json.loads(held.stdout), json.loads(free.stdout)
    assert (busy["busy"], busy["added"]) == (True, 0)
    assert (done["busy"], done["added"]) == (False, 60)


def test_a_website_synced_and_asked_through_the_command_line(tmp_path, database_url, capsys) -> None:
    """Three pages behind a sitemap and one robots.txt disallows; then an edit, a page gone from the sitemap and a
    page answering 500; then a sitemap answering 500."""
    from tests.knowledge.sources.fake_site import FakeSite, page_html

    with FakeSite() as site:
        site.robots = "User-agent: *\nDisallow: /handbook/security.html\n"
        site.put("/handbook/leave.html", page_html("Annual leave", "Everyone gets 25 days of annual leave a year."))
        site.put("/handbook/expenses.html", page_html("Expenses", "Claim meals up to 40 euros a day when travelling."))
        site.put("/handbook/parking.html", page_html("Parking", "Staff park for free in lot B behind the warehouse."))
        site.put("/handbook/security.html", page_html("Security", "The alarm code is changed every month."))
        config = tmp_path / "lorebot.toml"
        config.write_text(f'[sources.intranet]\ntype = "web"\nurl = "{site.url("/sitemap.xml")}"\n'
                          'collection = "handbook"\n', encoding="utf-8")
        base = ["--home", str(tmp_path / "home"), "--database-url", database_url, "--config", str(config)]

        def ask(question: str) -> dict:
            assert main([*base, "ask", "--json", question]) == 0
            return json.loads(capsys.readouterr().out)

        code, reports = run_json(capsys, *base, "sync", "--json")
        assert code == 0 and (reports[0]["added"], reports[0]["failed"]) == (3, 0)
        answer = ask("How many days of annual leave do I get?")
        assert "25 days" in answer["answer"]
        assert answer["sources"][0]["url"] == site.url("/handbook/leave.html")
        assert "cookies" not in answer["answer"]
        assert site.requests_for("/handbook/security.html") == []

        site.put("/handbook/leave.html", page_html("Annual leave", "Everyone gets 30 days of annual leave a year."))
        site.pages["/handbook/parking.html"].in_sitemap = False
        site.fail("/handbook/expenses.html", 500)
        code, reports = run_json(capsys, *base, "sync", "--json")
        report = reports[0]
        assert code == 0 and (report["changed"], report["removed"], report["failed"]) == (1, 1, 1)
        assert report["failures"] == [{"key": site.url("/handbook/expenses.html"),
                                       "url": site.url("/handbook/expenses.html"), "reason": report["failures"][0]["reason"]}]
        assert "500" in report["failures"][0]["reason"]
        assert "30 days" in ask("How many days of annual leave do I get?")["answer"]
        assert all(source["url"] != site.url("/handbook/parking.html")
                   for source in ask("Where can staff park for free?")["sources"])
        meals = ask("How much can I claim for meals when travelling?")
        assert meals["sources"][0]["url"] == site.url("/handbook/expenses.html") and "40 euros" in meals["answer"]
        assert site.requests_for("/handbook/security.html") == []

        site.fail("/sitemap.xml", 500)
        code, reports = run_json(capsys, *base, "sync", "--json")
        assert code == 1 and reports[0]["error"] and reports[0]["removed"] == 0
        assert ask("How much can I claim for meals when travelling?")["sources"][0]["url"] == \
            site.url("/handbook/expenses.html")
