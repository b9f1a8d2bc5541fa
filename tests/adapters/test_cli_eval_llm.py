"""`lorebot eval --llm` end to end: the real command, the real search and the real openai client against the
loopback OpenAI-compatible stand-in, with figures counted by hand from what the stand-in was scripted to say."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from adapters.cli import main
from tests.knowledge.llm.fake_llm import FakeLlm, Fault, fake  # noqa: F401 - fake is the fixture

CORPUS = [
    {"id": "d1", "title": "Leave", "text": "Everyone gets 25 days of annual leave a year. Up to 5 unused days carry over."},
    {"id": "d2", "title": "Expenses", "text": "Claim expenses in Payhawk within 30 days, with the receipts attached."},
    {"id": "d3", "title": "Security", "text": "Report a lost laptop to the security team within one hour."},
    {"id": "d4", "title": "On-call", "text": "Engineers on call receive an allowance of £40 per weekday night."},
    {"id": "d5", "title": "Home office",
     "text": "The home-office allowance is £300, paid once by Finance after your first month."},
]
QUERIES = [
    {"id": "q1", "text": "how many days of annual leave do I get", "relevant": ["d1"]},
    {"id": "q2", "text": "how do I claim expenses", "relevant": ["d2"]},
    {"id": "q3", "text": "how do I report a lost laptop", "relevant": ["d3"]},
    {"id": "q4", "text": "what is the on-call allowance for engineers", "relevant": ["d4"]},
    {"id": "q5", "text": "what is the capital of Peru", "relevant": []},  # weak retrieval: never sent
    {"id": "q6", "text": "what is the home-office allowance", "relevant": ["d5"]},
]
# One reply per call, in query order (q3's call gets a 500 and takes no reply).
REPLIES = [
    # q1: three sentences, the third's "40" is in no passage it cites: 2 kept, 1 dropped (not over a third).
    "Everyone gets 25 days of annual leave a year [1]. Up to 5 unused days carry over [1]. "
    "You also get 40 days of sabbatical [1].",
    "NOT_FOUND",  # q2: an abstention
    # q4: a supported sentence citing the second passage (the home-office one): its top source is the wrong one.
    "The home-office allowance is £300, paid once by Finance [2].",
    # q6: both sentences fail their facts: the extract is shown (a fallback), 0 of 2 kept.
    "The home-office allowance is £500 [1]. Finance pays it since 2020 [1].",
]



@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    corpus, queries = tmp_path / "corpus.jsonl", tmp_path / "queries.jsonl"
    corpus.write_text("\n".join(json.dumps(row) for row in CORPUS), encoding="utf-8")
    queries.write_text("\n".join(json.dumps(row) for row in QUERIES), encoding="utf-8")
    return {"corpus": corpus, "queries": queries}


def _config(tmp_path: Path, fake: FakeLlm | None) -> Path:
    path = tmp_path / "lorebot.toml"
    path.write_text("" if fake is None else (f'[llm]\nbase_url = "{fake.url}/v1"\nmodel = "test-model"\n'
                                             "max_passages = 2\n"), encoding="utf-8")
    return path


def _eval(files: dict[str, Path], config: Path, *flags: str) -> list[str]:
    return ["--config", str(config), "eval", "--corpus", str(files["corpus"]), "--queries", str(files["queries"]),
            *flags]


def test_eval_llm_reports_the_hand_counted_figures(tmp_path: Path, files, fake, capsys) -> None:
    fake.replies = list(REPLIES)
    fake.faults.append(Fault(lambda request: "lost laptop" in request.prompt, status=500))
    assert main(_eval(files, _config(tmp_path, fake), "--llm", "--json")) == 0
    metrics = json.loads(capsys.readouterr().out)

    asked = [next(q["text"] for q in QUERIES if q["text"] in request.prompt) for request in fake.requests]
    assert asked == [QUERIES[i]["text"] for i in (0, 1, 2, 3, 5)]  # the weak q5 cost no call
    first = fake.requests[0].prompt
    assert CORPUS[0]["text"] in first and CORPUS[2]["text"] not in first  # at most max_passages (2) sent

    assert metrics["llm_calls"] == 5 and metrics["llm_not_found"] == 1
    assert metrics["fallback_rate"] == 0.4  # q3 (HTTP 500) and q6 (citation check) of 5 calls
    assert metrics["citation_kept_rate"] == 0.5  # kept 2 of 3 (q1) + 1 of 1 (q4) + 0 of 2 (q6) = 3 of 6
    # answered: q1 (d1, right), q3 (extract d3, right), q4 (cites d5, wrong), q6 (extract d5, right); q2 abstained
    assert metrics["answer_precision"] == 0.75
    assert metrics["answer_coverage"] == 0.8  # 4 of the 5 answerable
    assert 0 < metrics["llm_p50_ms"] <= metrics["llm_p95_ms"]
    assert metrics["recall@1"] == 1.0  # retrieval figures are the search's, untouched by the LLM
    assert list(metrics)[-6:] == ["llm_calls", "llm_not_found", "citation_kept_rate", "fallback_rate", "llm_p50_ms",
                                  "llm_p95_ms"]


def test_eval_llm_text_report_lists_the_llm_figures(tmp_path: Path, files, fake, capsys) -> None:
    fake.replies = ["NOT_FOUND"]
    assert main(_eval(files, _config(tmp_path, fake), "--llm")) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  llm_not_found +5$", out, re.M) and re.search(r"^  answer_coverage +0\.0$", out, re.M)


def _masked(output: str) -> str:
    """The report with its search latencies (which vary run to run) blanked."""
    return re.sub(r'(latency_ms_p\d+"?:?\s+)[\d.]+', r"\1#", output)


@pytest.mark.parametrize("flags", [["--json"], []])
def test_without_llm_the_report_is_todays_even_with_an_llm_configured(tmp_path: Path, files, fake, capsys,
                                                                      flags) -> None:
    (tmp_path / "offline").mkdir()
    assert main(_eval(files, _config(tmp_path / "offline", None), *flags)) == 0
    today = capsys.readouterr().out
    assert main(_eval(files, _config(tmp_path, fake), *flags)) == 0
    assert _masked(capsys.readouterr().out) == _masked(today) and "llm" not in today
    assert fake.requests == []


def test_eval_llm_without_an_llm_section_is_a_one_line_error(tmp_path: Path, files, capsys) -> None:
    config = _config(tmp_path, None)
    assert main(_eval(files, config, "--llm")) == 2
    err = capsys.readouterr().err
    assert err == f"lorebot: eval --llm needs an [llm] section in {config}\n"


def test_eval_llm_with_an_unset_key_variable_is_a_one_line_error(tmp_path: Path, files, fake, capsys,
                                                                 monkeypatch) -> None:
    monkeypatch.delenv("EVAL_LLM_KEY_UNSET", raising=False)
    config = _config(tmp_path, fake)
    config.write_text(config.read_text(encoding="utf-8") + 'api_key_env = "EVAL_LLM_KEY_UNSET"\n', encoding="utf-8")
    assert main(_eval(files, config, "--llm")) == 2
    err = capsys.readouterr().err
    assert "EVAL_LLM_KEY_UNSET is not set" in err and err.count("\n") == 1 and fake.requests == []


def test_calls_the_breaker_skips_are_fallbacks_but_not_timed(tmp_path: Path, files, fake, capsys) -> None:
    fake.faults.append(Fault(lambda request: True, status=500, times=None))
    fake.delay = 0.2
    config = _config(tmp_path, fake)
    config.write_text(config.read_text(encoding="utf-8") + "breaker_failures = 1\n", encoding="utf-8")
    assert main(_eval(files, config, "--llm", "--json")) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert len(fake.requests) == 1  # the first failure opened the breaker for the rest of the run
    assert metrics["llm_calls"] == 5 and metrics["fallback_rate"] == 1.0 and metrics["llm_not_found"] == 0
    assert metrics["citation_kept_rate"] == 0.0 and metrics["llm_p50_ms"] >= 200  # only the real call was timed
    assert metrics["answer_precision"] == 1.0 and metrics["answer_coverage"] == 1.0  # every answer the extract


def test_eval_llm_also_measures_the_reuse_of_verified_answers(tmp_path: Path, files, fake, capsys) -> None:
    fake.replies = ["NOT_FOUND"]
    paraphrases = tmp_path / "paraphrases.jsonl"
    paraphrases.write_text(json.dumps({"a": "How do I report a lost laptop?", "b": "how do i report a lost laptop"}),
                           encoding="utf-8")
    assert main(_eval(files, _config(tmp_path, fake), "--llm", "--json", "--paraphrases", str(paraphrases))) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["verified_paraphrase_rate"] == 1.0 and metrics["llm_calls"] == 5
