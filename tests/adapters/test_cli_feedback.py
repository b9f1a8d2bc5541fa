"""`lorebot feedback` (list and remove what feedback taught) and `lorebot eval --feedback-replay`, in process, on
the commuting handbook (``tests.commute_handbook``)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from adapters.cli import main
from bot.replies import HELPFUL
from bot.tables.curation import CurationAudit
from tests.bot.support import RAW_CONFIG, new_chat
from tests.commute_handbook import BIKE, CAR, CAR_REWORDED, COMMUTE_HANDBOOK

CONFIG = """timezone = "Europe/London"

[answers]
answer_threshold = 0.25
"""


def test_feedback_lists_what_was_learned_and_removes_it_with_an_audit_row(tmp_path: Path, embedder,
                                                                             commute_handbook, capsys) -> None:
    from adapters.wiring import create_schema
    from bot.config import parse_config
    from knowledge import KnowledgeBase

    home = tmp_path / "home"
    assert main(["--home", str(home), "feedback"]) == 0
    assert "Nothing learned from feedback yet" in capsys.readouterr().out
    kb = KnowledgeBase.open(home, embedder=embedder)
    try:
        create_schema(kb.engine)
        kb.ingest([commute_handbook], collection="handbook", progress=False)
        chat = new_chat(parse_config({**RAW_CONFIG, "answers": {"answer_threshold": 0.25}}), kb)
        chat.ask("bob", CAR)
        chat.click("bob", chat.last(channel="dm-bob"), HELPFUL)
    finally:
        kb.close()
    assert main(["--home", str(home), "feedback"]) == 0
    out = capsys.readouterr().out
    assert f"helped: “Parking” for “{CAR}”  (by console:bob, 2026-03-02)" in out
    assert main(["--home", str(home), "feedback", "--json"]) == 0
    [learned] = json.loads(capsys.readouterr().out)
    assert {key: learned[key] for key in ("kind", "question", "title", "by", "audience", "document_changed")} == {
        "kind": "helpful", "question": CAR, "title": "Parking", "by": "console:bob", "audience": [],
        "document_changed": False}
    assert main(["--home", str(home), "feedback", "--remove", str(learned["id"])]) == 0
    assert "Removed learned preference" in capsys.readouterr().out
    assert main(["--home", str(home), "feedback", "--remove", str(learned["id"])]) == 2
    assert "no learned preference with id" in capsys.readouterr().err
    assert main(["--home", str(home), "feedback", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    kb = KnowledgeBase.open(home, embedder=embedder)
    try:
        with Session(kb.engine) as session:
            assert [a.action for a in session.exec(select(CurationAudit)).all()] == ["preference_remove"]
    finally:
        kb.close()


@pytest.fixture
def replay_files(tmp_path: Path) -> dict[str, Path]:
    files = {name: tmp_path / f"{name}.jsonl" for name in ("corpus", "queries", "paraphrases", "near_misses")}
    files["corpus"].write_text("\n".join(json.dumps({"id": name, "title": text.splitlines()[0].strip("# "),
                                                     "text": text}) for name, text in COMMUTE_HANDBOOK.items()),
                               encoding="utf-8")
    files["queries"].write_text(json.dumps({"id": "q1", "text": CAR, "relevant": ["parking.md"]}), encoding="utf-8")
    files["paraphrases"].write_text("\n".join(json.dumps(row) for row in [
        {"a": CAR, "b": CAR_REWORDED},
        {"a": "a question that is not among the queries", "b": CAR},  # not replayed: no relevant documents
    ]), encoding="utf-8")
    files["near_misses"].write_text(json.dumps({"a": CAR, "c": BIKE}), encoding="utf-8")
    return files


def replay(files: dict[str, Path], *extra: str) -> dict:
    argv = [*extra, "eval", "--corpus", str(files["corpus"]), "--queries", str(files["queries"]),
            "--paraphrases", str(files["paraphrases"]), "--near-misses", str(files["near_misses"]),
            "--feedback-replay", "--json"]
    assert main(argv) == 0
    return argv


def test_the_replay_reports_one_round_of_feedback(replay_files, tmp_path: Path, capsys) -> None:
    replay(replay_files)
    metrics = json.loads(capsys.readouterr().out)
    # The rewording finds cycling first and parking far below: one asker's Helpful only breaks near-ties.
    assert {key: metrics[key] for key in metrics if key.startswith("replay_")} == {
        "replay_rounds": 1, "replay_right_before": 0.0, "replay_right_after": 0.0,
        "replay_near_miss_rounds": 1, "replay_near_miss_changed": 0.0}
    assert metrics["verified_paraphrase_rate"] == 0.5  # the other figures are still there

    config = tmp_path / "lorebot.toml"
    config.write_text(CONFIG + "feedback_askers = 1\n", encoding="utf-8")  # where one voice decides
    replay(replay_files, "--config", str(config))
    metrics = json.loads(capsys.readouterr().out)
    assert (metrics["replay_right_before"], metrics["replay_right_after"]) == (0.0, 1.0)
    assert metrics["replay_near_miss_changed"] == 0.0  # the bike question inherits nothing


def test_the_replay_needs_paraphrases(replay_files, capsys) -> None:
    argv = ["eval", "--corpus", str(replay_files["corpus"]), "--queries", str(replay_files["queries"]),
            "--feedback-replay"]
    assert main(argv) == 2
    assert "--feedback-replay needs --paraphrases FILE" in capsys.readouterr().err
