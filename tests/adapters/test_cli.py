"""The `lorebot` command end to end, in process: summaries, the ask JSON shape, eval metrics, and one-line
errors with exit code 2 for user mistakes."""
from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.cli import main

HANDBOOK = Path(__file__).resolve().parents[2] / "examples" / "handbook"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """One ingested copy of two handbook files, shared by the read-only tests below."""
    folder = tmp_path_factory.mktemp("docs") / "handbook"
    folder.mkdir()
    for name in ("leave.md", "expenses.md"):
        (folder / name).write_text((HANDBOOK / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    target = tmp_path_factory.mktemp("home")
    assert main(["--home", str(target), "ingest", "--no-progress", str(folder)]) == 0
    return target


def test_ingest_prints_a_summary_with_skipped_files(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "leave.md").write_text((HANDBOOK / "leave.md").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    assert main(["--home", str(tmp_path / "home"), "ingest", "--no-progress", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Ingested 1 documents (1 new" in out
    assert "Skipped 1 file(s):" in out and "broken.pdf: not a readable PDF" in out


def test_an_ingest_that_could_read_nothing_exits_1_with_its_summary(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (folder / "photo.png").write_bytes(b"\x89PNG")
    base = ["--home", str(tmp_path / "home"), "ingest", "--no-progress"]
    assert main([*base, str(folder)]) == 1
    captured = capsys.readouterr()
    assert "Ingested 0 documents" in captured.out and "Skipped 2 file(s):" in captured.out
    assert "nothing was ingested: none of the files could be read" in captured.err

    (folder / "leave.md").write_text((HANDBOOK / "leave.md").read_text(encoding="utf-8"), encoding="utf-8")
    assert main([*base, str(folder)]) == 0  # one readable file is enough
    assert main([*base, str(folder)]) == 0  # and everything unchanged is fine too
    assert "1 unchanged" in capsys.readouterr().out


def test_ask_json_answers_with_sources(home: Path, capsys) -> None:
    assert main(["--home", str(home), "ask", "--json", "How many days of annual leave do I get?"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == {"question", "status", "confidence", "answer", "sources", "verified_question", "verified_by",
                           "verified_at", "generated_by", "cited"}
    assert answer["generated_by"] is None and answer["cited"] is None  # no [llm]: the extract
    assert answer["status"] == "answered" and answer["confidence"] >= 0.55
    assert "25 days" in answer["answer"]
    assert set(answer["sources"][0]) == {"title", "source", "heading", "score", "snippet", "url"}
    assert answer["sources"][0]["url"] is None  # no [collections.handbook] base_url, no url in the document
    assert answer["sources"][0]["source"] == "Leave and time off › Annual leave › Entitlement"


def test_ask_links_sources_to_the_collections_base_url(home: Path, tmp_path: Path, capsys) -> None:
    config = tmp_path / "lorebot.toml"
    config.write_text('[collections.handbook]\nbase_url = "https://wiki.example.com/handbook/"\n', encoding="utf-8")
    question = "How many days of annual leave do I get?"
    assert main(["--home", str(home), "--config", str(config), "ask", "--json", question]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["sources"][0]["url"] == "https://wiki.example.com/handbook/leave"
    assert main(["--home", str(home), "--config", str(config), "ask", question]) == 0
    assert "  1. Leave and time off › Annual leave › Entitlement\n     https://wiki.example.com/handbook/leave\n" \
        in capsys.readouterr().out


def test_ask_says_it_does_not_know_yet(home: Path, capsys) -> None:
    assert main(["--home", str(home), "ask", "--json", "Which football team won last night?"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["status"] == "unsure" and answer["confidence"] < 0.55
    assert main(["--home", str(home), "ask", "Which football team won last night?"]) == 0
    assert "not sure" in capsys.readouterr().out.lower()


def test_ask_on_an_empty_knowledge_base_says_to_ingest(tmp_path: Path, capsys) -> None:
    assert main(["--home", str(tmp_path), "ask", "How many days of annual leave do I get?"]) == 1
    captured = capsys.readouterr()
    assert captured.err == "lorebot: the knowledge base is empty: add documents first with lorebot ingest PATH\n"
    assert captured.out == ""


def test_ask_in_an_unknown_collection_names_the_known_ones(home: Path, capsys) -> None:
    assert main(["--home", str(home), "ask", "--collection", "handbok", "How much leave?"]) == 2
    err = capsys.readouterr().err
    assert err == "lorebot: --collection handbok: no such collection (known: handbook)\n"
    assert main(["--home", str(home), "ask", "--collection", "handbook", "How much annual leave?"]) == 0


def test_eval_prints_exactly_the_metric_keys(tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "corpus.jsonl"
    queries = tmp_path / "queries.jsonl"
    corpus.write_text("\n".join(json.dumps(row) for row in [
        {"id": "d1", "title": "Leave", "text": "Everyone gets 25 days of annual leave a year."},
        {"id": "d2", "title": "Expenses", "text": "Claim expenses in Payhawk within 30 days with receipts."},
        {"id": "d3", "title": "Security", "text": "Report a lost laptop to the security team within one hour."},
    ]), encoding="utf-8")
    queries.write_text("\n".join(json.dumps(row) for row in [
        {"id": "q1", "text": "how much annual leave do I get", "relevant": ["d1"]},
        {"id": "q2", "text": "where do I submit an expense claim", "relevant": ["d2"]},
        {"id": "q3", "text": "what is the capital of Peru", "relevant": []},
    ]), encoding="utf-8")
    for flag in ([], ["--dense-only"], ["--keyword-only"]):
        assert main(["eval", "--corpus", str(corpus), "--queries", str(queries), "--json", *flag]) == 0
        metrics = json.loads(capsys.readouterr().out)
        assert set(metrics) == {"recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "latency_ms_p50",
                                "latency_ms_p95", "answer_precision", "answer_coverage"}
        assert metrics["recall@5"] == 1.0
    assert main(["eval", "--corpus", str(corpus), "--queries", str(queries)]) == 0
    assert "recall@5" in capsys.readouterr().out


def test_eval_measures_the_reuse_of_verified_answers(tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "corpus.jsonl"
    queries = tmp_path / "queries.jsonl"
    corpus.write_text("\n".join(json.dumps(row) for row in [
        {"id": "d1", "title": "Leave", "text": "Everyone gets 25 days of annual leave a year."},
        {"id": "d2", "title": "Security", "text": "Report a lost laptop to the security team within one hour."},
    ]), encoding="utf-8")
    queries.write_text(json.dumps({"id": "q1", "text": "annual leave days", "relevant": ["d1"]}), encoding="utf-8")
    paraphrases = tmp_path / "paraphrases.jsonl"
    paraphrases.write_text("\n".join(json.dumps(row) for row in [
        {"a": "Can I bring my dog to the office?", "b": "Can I bring my dog to the office?"},
        {"a": "How do I report a lost laptop?", "b": "how do i report a lost laptop", "answer": "Tell security."},
    ]), encoding="utf-8")
    near_misses = tmp_path / "near_misses.jsonl"
    near_misses.write_text("\n".join(json.dumps(row) for row in [
        {"a": "Can I bring my dog to the office?", "c": "How do I report a lost laptop?"},
        {"a": "Can I bring my dog to the office?", "c": "Can I bring my cat to the office?"},
    ]), encoding="utf-8")
    argv = ["eval", "--corpus", str(corpus), "--queries", str(queries), "--paraphrases", str(paraphrases),
            "--near-misses", str(near_misses), "--json"]
    assert main(argv) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["verified_paraphrase_rate"] == 1.0  # the same question, as typed, is always the same
    assert metrics["verified_false_match_rate"] == 0.0
    assert metrics["recall@5"] == 1.0

    near_misses.write_text('{"a": "Can I bring my dog?"}\n', encoding="utf-8")
    assert main(argv) == 2
    assert 'missing or invalid "c"' in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["ingest", "/no/such/folder"], "no such file or folder: /no/such/folder"),
    (["ask", "   "], "the question is empty"),
    (["--config", "/no/lorebot.toml", "ask", "hi"], "config file not found"),
    (["--database-url", "postgresql+psycopg://postgres@127.0.0.1:1/none", "ask", "hi"],
     "cannot open the database at postgresql+psycopg://postgres@127.0.0.1:1/none: connection refused; is PostgreSQL "
     "running and listening on 127.0.0.1:1?"),
    (["--database-url", "mysql://lorebot@db/lorebot", "stats"], "unsupported database URL; use sqlite:///PATH or "
                                                                "postgresql+psycopg://"),
])
def test_user_mistakes_exit_2_with_one_line(tmp_path: Path, capsys, argv, message) -> None:
    assert main(["--home", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_an_unwritable_home_or_sqlite_path_says_why(tmp_path: Path, capsys) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a folder", encoding="utf-8")
    assert main(["--home", str(afile / "home"), "stats"]) == 2
    assert capsys.readouterr().err == (f"lorebot: cannot create the data folder {afile / 'home'}: Not a directory; "
                                       "choose another with --home or LOREBOT_HOME\n")
    assert main(["--home", str(tmp_path), "--database-url", f"sqlite:///{afile}/lorebot.db", "stats"]) == 2
    assert capsys.readouterr().err == (f"lorebot: cannot open the database at sqlite:///{afile}/lorebot.db: cannot "
                                       "create or open the SQLite file; check that its folder exists and is writable\n")


@pytest.mark.postgres
@pytest.mark.parametrize("change, reason", [
    ({"database": "test_no_such_db"}, 'no such database "test_no_such_db"; create it (createdb test_no_such_db) or '
                                      'fix the URL'),
    ({"username": "no_such_user", "password": "secret"}, 'authentication failed: no such user "no_such_user" on the '
                                                         'server'),
])
def test_postgresql_errors_say_why(postgres_server: str, tmp_path: Path, capsys, change, reason) -> None:
    import sqlalchemy

    url = sqlalchemy.engine.make_url(postgres_server).set(**change)
    assert main(["--home", str(tmp_path), "--database-url", url.render_as_string(hide_password=False), "stats"]) == 2
    err = capsys.readouterr().err
    assert err == f"lorebot: cannot open the database at {url.render_as_string(hide_password=True)}: {reason}\n"
    assert "secret" not in err


def test_bad_jsonl_line_names_file_and_line(tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "d1", "text": "fine"}\n{"id": "d2", "text": \n', encoding="utf-8")
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"id": "q1", "text": "x", "relevant": []}\n', encoding="utf-8")
    assert main(["eval", "--corpus", str(corpus), "--queries", str(queries)]) == 2
    err = capsys.readouterr().err
    assert f"{corpus}:2: not valid JSON" in err and err.count("\n") == 1


def test_bad_config_key_is_named(tmp_path: Path, capsys) -> None:
    config = tmp_path / "lorebot.toml"
    config.write_text('[answers]\nanswer_threshold = 3\n', encoding="utf-8")
    assert main(["--home", str(tmp_path), "--config", str(config), "ask", "hi"]) == 2
    assert "answers.answer_threshold" in capsys.readouterr().err
    config.write_text('[answers]\nanswer_treshold = 0.5\n', encoding="utf-8")
    assert main(["--home", str(tmp_path), "--config", str(config), "ask", "hi"]) == 2
    assert capsys.readouterr().err == (f"lorebot: {config}: answers.answer_treshold: unknown key; did you mean "
                                       "answer_threshold?\n")


def test_help_lists_every_command(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ("ingest", "ask", "eval", "rebuild-index", "aliases", "chat", "serve", "jobs", "teams-package"):
        assert command in out


def test_bare_lorebot_prints_help_and_version_prints_the_package_version(capsys) -> None:
    from importlib.metadata import version

    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: lorebot") and "ingest" in out and "docs" in out
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"lorebot {version('lorebot')}"


def test_aliases_are_listed_and_removed_with_an_audit_row(tmp_path: Path, capsys) -> None:
    from sqlmodel import Session, select

    from bot.tables.curation import CurationAudit
    from knowledge import KnowledgeBase

    home = tmp_path / "home"
    kb = KnowledgeBase.open(home)
    entry_id = kb.add_entry("Where do I log PTO?", "In Breathe.", source="Alice", verified_by="Alice")
    alias_id = kb.add_alias(entry_id, "which app do we use to request holidays", added_by="slack:U1")
    kb.close()
    assert main(["--home", str(home), "aliases"]) == 0
    out = capsys.readouterr().out
    assert f"{alias_id}  “which app do we use to request holidays” → “Where do I log PTO?”  (by slack:U1" in out
    assert main(["--home", str(home), "aliases", "--remove", str(alias_id)]) == 0
    assert main(["--home", str(home), "aliases", "--remove", str(alias_id)]) == 2
    assert "no learned wording with id" in capsys.readouterr().err
    kb = KnowledgeBase.open(home)
    try:
        assert kb.aliases() == []
        with Session(kb.engine) as session:
            assert [a.action for a in session.exec(select(CurationAudit)).all()] == ["alias_remove"]
    finally:
        kb.close()


def test_serve_has_one_port_for_every_platform(tmp_path, capsys) -> None:
    from adapters.cli import build_parser
    from adapters.wiring import serve_port

    def port(*flags: str) -> int:
        return serve_port(build_parser().parse_args(["serve", "--slack", "--teams", *flags]))

    assert port() == 3000
    assert port("--port", "8080") == 8080
    assert port("--teams-port", "3978") == 3978  # the old Teams-only flag still starts a set-up that used it
    assert port("--port", "3978", "--teams-port", "3978") == 3978
    assert main(["--home", str(tmp_path), "serve", "--slack", "--teams", "--port", "3000", "--teams-port", "3978"]) == 2
    assert "share one port" in capsys.readouterr().err


def test_an_endpoint_without_authentication_listens_on_this_machine_only() -> None:
    from adapters.cli import build_parser
    from adapters.wiring import serve_host

    def host(*flags: str) -> str:
        return serve_host(build_parser().parse_args(["serve", "--teams", *flags]))

    assert host() == "0.0.0.0"
    assert host("--insecure-no-auth") == "127.0.0.1"
    assert host("--insecure-no-auth", "--host", "10.0.0.5") == "10.0.0.5"  # said out loud, so allowed
    assert host("--host", "127.0.0.1") == "127.0.0.1"


def test_ask_as_a_person_or_in_a_channel_shows_only_what_they_may_read(tmp_path: Path, capsys) -> None:
    finance = tmp_path / "finance"
    finance.mkdir()
    (finance / "salaries.md").write_text("# Salary bands\n\n## Engineering\n\nLevel L5 engineers earn between "
                                         "95,000 and 120,000 pounds a year.\n", encoding="utf-8")
    config = tmp_path / "lorebot.toml"
    config.write_text('[people.fiona]\nname = "Fiona Grant"\nteam = "finance"\n\n[people.alice]\nname = "Alice"\n\n'
                      '[teams.finance]\nmanager = "fiona"\n\n'
                      '[collections.finance]\nvisible_to = ["team:finance", "channel:slack:C0FIN"]\n', encoding="utf-8")
    base = ["--home", str(tmp_path / "home"), "--config", str(config)]
    assert main([*base, "ingest", "--no-progress", str(finance)]) == 0
    capsys.readouterr()
    question = "What do L5 engineers earn?"

    def ask(*options: str) -> dict:
        assert main([*base, "ask", "--json", *options, question]) == 0
        return json.loads(capsys.readouterr().out)

    assert "95,000" in ask()["answer"]  # the admin's own view: everything
    as_fiona = ask("--as", "fiona")
    assert "95,000" in as_fiona["answer"] and as_fiona["reader"] == {"as": "fiona", "channel": None}
    assert ask("--as", "alice")["status"] == "unsure"
    assert "95,000" in ask("--as", "alice", "--channel", "slack:C0FIN")["answer"]
    assert ask("--channel", "slack:C0GENERAL")["status"] == "unsure"
    assert main([*base, "ask", "--as", "fiona", question]) == 0
    assert capsys.readouterr().out.startswith("As Fiona Grant would get it in a direct message:")

    assert main([*base, "ask", "--as", "zed", question]) == 2
    assert "--as zed: no such person in the config (known: alice, fiona)" in capsys.readouterr().err
    assert main([*base, "ask", "--channel", "C0FIN", question]) == 2
    assert "use PLATFORM:ID" in capsys.readouterr().err


def test_chat_first_answers_a_question_a_crash_left_unanswered(tmp_path: Path, capsys, caplog, monkeypatch,
                                                                embedder) -> None:
    import io
    from datetime import datetime, timedelta, timezone

    from adapters.wiring import create_schema
    from bot.core import Lorebot
    from bot.config import parse_config
    from knowledge import KnowledgeBase
    from tests.bot.support import Chat, Clock
    from tests.bot.test_recovery import Crash, CrashingPlatform

    home = tmp_path / "home"
    assert main(["--home", str(home), "ingest", "--no-progress", str(HANDBOOK / "leave.md")]) == 0
    kb = KnowledgeBase.open(home, embedder=embedder)
    create_schema(kb.engine)
    platform = CrashingPlatform("general")
    core = Lorebot(config=parse_config({}), knowledge=kb, messenger=platform,
                   clock=Clock(datetime.now(timezone.utc) - timedelta(minutes=2)))
    with pytest.raises(Crash):
        Chat(core, platform).ask("you", "How many days of annual leave do I get?", channel="general")
    kb.close()
    capsys.readouterr()

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["--home", str(home), "chat"]) == 0
    assert "25 days" in capsys.readouterr().out
    assert "recovery: 1 unanswered question(s) answered, 0 orphan entries removed" in caplog.text


def _copy_handbook(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_text((HANDBOOK / name).read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def test_docs_are_listed_and_removed_and_answers_on_them_go_back_for_rechecking(tmp_path: Path, capsys,
                                                                                monkeypatch) -> None:
    from datetime import datetime, timezone

    from sqlmodel import Session, select

    from adapters.wiring import create_schema
    from bot.tables.curation import VerifiedAnswer
    from bot.tables.reverification import ReverificationRequest
    from knowledge import KnowledgeBase

    handbook = _copy_handbook(tmp_path / "handbook", "leave.md", "expenses.md")
    policies = _copy_handbook(tmp_path / "policies", "security.md")
    base = ["--home", str(tmp_path / "home")]
    assert main([*base, "ingest", "--no-progress", str(handbook), str(policies)]) == 0
    capsys.readouterr()
    assert main([*base, "docs", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["PATH", "TITLE", "COLLECTION", "CHUNKS", "INGESTED"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {str(handbook / "leave.md"), str(handbook / "expenses.md"), str(policies / "security.md")}
    assert "Leave and time off" in rows[str(handbook / "leave.md")] and " handbook " in rows[str(handbook / "leave.md")]
    assert f"{datetime.now(timezone.utc):%Y-%m-%d}" in rows[str(policies / "security.md")]

    assert main([*base, "docs", "list", "--collection", "policies", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["path"] == str(policies / "security.md") and listed["collection"] == "policies"
    assert listed["chunks"] >= 1 and set(listed) == {"path", "title", "collection", "chunks", "ingested_at"}

    kb = KnowledgeBase.open(tmp_path / "home")
    create_schema(kb.engine)
    now = datetime.now(timezone.utc)
    with Session(kb.engine) as session:
        session.add(VerifiedAnswer(topic="hr", question_text="How do I book leave?", answer_text="In Breathe.",
                                   champion_id="console:carol", verified_at=now, last_verified_at=now,
                                   source_documents=json.dumps([str(handbook / "leave.md")])))
        session.commit()
    kb.close()

    monkeypatch.chdir(tmp_path)
    assert main([*base, "docs", "remove", "handbook/leave.md"]) == 0  # as typed, relative to here
    out = capsys.readouterr().out
    assert "Removed 1 document(s)" in out and "1 verified answer(s) rely on changed documents" in out
    assert main([*base, "docs", "remove", "--collection", "policies"]) == 0
    assert "Removed 1 document(s)" in capsys.readouterr().out
    assert main([*base, "docs", "list", "--json"]) == 0
    assert [doc["path"] for doc in json.loads(capsys.readouterr().out)] == [str(handbook / "expenses.md")]
    assert main([*base, "ask", "--json", "How do I report a lost laptop?"]) == 0
    assert "security" not in json.dumps(json.loads(capsys.readouterr().out)["sources"]).lower()

    kb = KnowledgeBase.open(tmp_path / "home")
    try:
        with Session(kb.engine) as session:
            [request] = session.exec(select(ReverificationRequest)).all()
        assert json.loads(request.documents) == [str(handbook / "leave.md")]
    finally:
        kb.close()

    assert main([*base, "docs", "remove", str(handbook / "leave.md")]) == 2
    assert "no document at" in capsys.readouterr().err
    assert main([*base, "docs", "remove", "--collection", "nope"]) == 2
    assert "--collection nope: no such collection (known: handbook)" in capsys.readouterr().err
    assert main([*base, "docs", "list", "--collection", "handbok"]) == 2
    assert "--collection handbok: no such collection (known: handbook)" in capsys.readouterr().err


def test_stats_counts_documents_answers_and_this_weeks_questions(tmp_path: Path, capsys) -> None:
    from datetime import datetime, timedelta, timezone

    from sqlmodel import Session

    from adapters.wiring import create_schema
    from bot.tables.questions import Question
    from bot.usage import week_start
    from knowledge import KnowledgeBase

    handbook = _copy_handbook(tmp_path / "handbook", "leave.md")
    config = tmp_path / "lorebot.toml"
    config.write_text('timezone = "Pacific/Kiritimati"\n', encoding="utf-8")
    base = ["--home", str(tmp_path / "home"), "--config", str(config)]
    assert main([*base, "ingest", "--no-progress", str(handbook)]) == 0
    kb = KnowledgeBase.open(tmp_path / "home")
    create_schema(kb.engine)
    kb.add_entry("Where do I log PTO?", "In Breathe.", source="Alice", verified_by="Alice")
    monday = week_start(datetime.now(timezone.utc), timezone(timedelta(hours=14)))
    with Session(kb.engine) as session:
        for minutes in (1, -1):  # just after and just before the week began where the company is (UTC+14)
            session.add(Question(platform="console", asker_id="you", channel="dm", message_id=str(minutes),
                                 text="hi", status="answered", asked_at=monday + timedelta(minutes=minutes)))
        session.commit()
    documents, chunks = kb.stats()["documents"], kb.stats()["chunks"]
    kb.close()
    capsys.readouterr()

    assert main([*base, "stats", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures == {"documents": documents, "chunks": chunks, "verified_answers": 1, "questions_this_week": 1,
                       "week_start": monday.astimezone(ZoneInfo("Pacific/Kiritimati")).isoformat(), "sources": []}
    assert main([*base, "stats"]) == 0
    out = capsys.readouterr().out
    assert "Questions this week: 1 (since Mon" in out and "Pacific/Kiritimati" in out
    assert f"Documents:           {documents}" in out
