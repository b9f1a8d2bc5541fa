"""The admins' digest says when the company's LLM is being skipped (its breaker is open), since when and why; and
says nothing about it when the LLM is called as usual."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.config import parse_config
from bot.tables.llm_health import record
from jobs import JobRunner
from knowledge.llm import BreakerState
from tests.jobs.conftest import CONFIG, FakeClock, add_question, console, london

MONDAY = london(2026, 3, 23, 9)
LLM = {"base_url": "http://localhost:11434/v1", "model": "llama3.1:8b"}


def admins_digest(engine, config) -> str:
    with Session(engine) as s:
        add_question(s, asker="sam", text="How many vacation days do I get?", asked_at=london(2026, 3, 19, 10))
    run = JobRunner(config=config, engine=engine, messengers=console(),
                    clock=FakeClock(MONDAY + timedelta(minutes=5))).run("digest", now=MONDAY)
    return next(d.reply for d in run.deliveries if d.recipient == "org:olga").text


def test_the_admins_digest_says_the_llm_is_being_skipped(engine) -> None:
    config = parse_config({**CONFIG, "admins": ["olga"], "llm": LLM})
    opened = london(2026, 3, 22, 14).timestamp()
    with Session(engine) as s:
        record(s, BreakerState(open=True, since=opened, consecutive_failures=3, last_reason="HTTP 503"), MONDAY)
    text = admins_digest(engine, config)
    assert ("⚠️ The LLM is being skipped since Sun 22 Mar 14:00 after 3 failure(s) in a row: HTTP 503. "
            "Answers are extracts until it responds again.") in text


def test_a_closed_breaker_adds_nothing(engine) -> None:
    config = parse_config({**CONFIG, "admins": ["olga"], "llm": LLM})
    with Session(engine) as s:
        record(s, BreakerState(open=False, since=None, consecutive_failures=0, last_reason="HTTP 503"), MONDAY)
    assert "LLM" not in admins_digest(engine, config)
