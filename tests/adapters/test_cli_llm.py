"""`lorebot ask --json` and `lorebot stats` with an `[llm]` section, against the loopback OpenAI-compatible stand-in:
the model and the citations in the JSON beside every field it always had, the extract when the endpoint fails, a
missing key variable in one line, and an open breaker in the stats."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.cli import main
from tests.knowledge.llm.fake_llm import KEY, FakeLlm, Fault, fake  # noqa: F401 - fake is the fixture

HANDBOOK = Path(__file__).resolve().parents[2] / "examples" / "handbook"
QUESTION = "How many days of annual leave do I get?"
FIELDS = {"question", "status", "confidence", "answer", "sources", "verified_question", "verified_by", "verified_at",
          "generated_by", "cited"}


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("docs") / "handbook"
    folder.mkdir()
    (folder / "leave.md").write_text((HANDBOOK / "leave.md").read_text(encoding="utf-8"), encoding="utf-8")
    target = tmp_path_factory.mktemp("home")
    assert main(["--home", str(target), "ingest", "--no-progress", str(folder)]) == 0
    return target



def config_for(fake: FakeLlm, tmp_path: Path, **extra: object) -> Path:
    lines = ['[people.dana]', 'name = "Dana"', '', '[llm]', f'base_url = "{fake.url}/v1"', 'model = "test-model"',
             'api_key_env = "LOREBOT_TEST_LLM_KEY"', *(f"{key} = {json.dumps(value)}" for key, value in extra.items())]
    path = tmp_path / "lorebot.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ask_json(home: Path, config: Path, capsys, *extra: str) -> dict:
    assert main(["--home", str(home), "--config", str(config), "ask", "--json", *extra, QUESTION]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(autouse=True)
def key(monkeypatch) -> None:
    monkeypatch.setenv("LOREBOT_TEST_LLM_KEY", KEY)


def test_ask_json_names_the_model_and_what_each_sentence_cites(home, fake, tmp_path, capsys) -> None:
    fake.replies = ["You get 25 days of annual leave a year [1]."]
    answer = ask_json(home, config_for(fake, tmp_path), capsys)
    assert set(answer) == FIELDS
    assert answer["generated_by"] == "test-model" and answer["cited"] == [[1]]
    assert answer["status"] == "answered" and answer["answer"].startswith("You get 25 days")
    assert len(answer["sources"]) == 1
    (request,) = fake.requests
    assert request.authorization == f"Bearer {KEY}" and QUESTION in request.prompt


def test_ask_json_shows_the_extract_when_the_endpoint_fails(home, fake, tmp_path, capsys) -> None:
    fake.faults.append(Fault(lambda request: True, status=500, times=None))
    answer = ask_json(home, config_for(fake, tmp_path), capsys)
    assert answer["status"] == "answered" and "25 days" in answer["answer"]
    assert answer["generated_by"] is None and answer["cited"] is None


def test_ask_json_not_found_is_unsure(home, fake, tmp_path, capsys) -> None:
    fake.replies = ["NOT_FOUND"]
    answer = ask_json(home, config_for(fake, tmp_path), capsys, "--as", "dana")
    assert answer["status"] == "unsure" and answer["generated_by"] is None


def test_a_key_variable_that_is_not_set_stops_in_one_line(home, fake, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("LOREBOT_TEST_LLM_KEY")
    assert main(["--home", str(home), "--config", str(config_for(fake, tmp_path)), "ask", QUESTION]) == 2
    err = capsys.readouterr().err.strip()
    assert "LOREBOT_TEST_LLM_KEY is not set" in err and "\n" not in err
    assert fake.requests == []


def test_stats_say_when_the_llm_is_being_skipped(home, fake, tmp_path, capsys) -> None:
    config = config_for(fake, tmp_path, breaker_failures=1)
    fake.faults.append(Fault(lambda request: True, status=503, times=None))
    ask_json(home, config, capsys, "--as", "dana")  # as chat decides: the breaker's state is stored
    assert main(["--home", str(home), "--config", str(config), "stats"]) == 0
    out = capsys.readouterr().out
    assert "The LLM is being skipped since" in out and "after 1 failure(s) in a row" in out
    assert main(["--home", str(home), "--config", str(config), "stats", "--json"]) == 0
    skipped = json.loads(capsys.readouterr().out)["llm_skipped"]
    assert skipped["failures"] == 1 and skipped["since"] and "503" in skipped["reason"]


def test_ask_in_text_says_the_answer_is_written_and_lists_its_sources(home, fake, tmp_path, capsys) -> None:
    fake.replies = ["You get 25 days of annual leave a year [1]."]
    assert main(["--home", str(home), "--config", str(config_for(fake, tmp_path)), "ask", QUESTION]) == 0
    out = capsys.readouterr().out
    assert out.startswith("You get 25 days of annual leave a year. [1]\n")
    assert "Written by test-model from these sources:\n  1. Leave and time off" in out


def test_chat_in_the_console_shows_a_written_answer(home, fake, tmp_path, capsys, monkeypatch) -> None:
    import io

    fake.replies = ["You get 25 days of annual leave a year [1]."]
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{QUESTION}\n/quit\n"))
    assert main(["--home", str(home), "--config", str(config_for(fake, tmp_path)), "chat"]) == 0
    out = capsys.readouterr().out
    assert "You get 25 days of annual leave a year. [1]" in out and "(Written by test-model" in out
    assert "[1] Helpful  [2] Not helpful" in out
