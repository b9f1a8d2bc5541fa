"""The circuit breaker: after N failures in a row the LLM is skipped for a cooldown, then one trial call."""
from __future__ import annotations

import threading

import pytest

from knowledge.llm import Breaker, LlmUnavailable, Passage
from tests.knowledge.llm.conftest import make_llm
from tests.knowledge.llm.fake_llm import Fault

LEAVE = Passage("leave#1", "Full-time staff get 25 days of annual leave a year.")


def test_it_opens_after_n_failures_in_a_row_and_closes_after_a_successful_trial(fake, clock) -> None:
    fake.faults.append(Fault(lambda request: True, status=500, times=3))
    llm = make_llm(fake, clock, breaker_failures=3, breaker_cooldown_s=300)
    for _ in range(3):
        with pytest.raises(LlmUnavailable, match="HTTP 500"):
            llm.answer("q?", [LEAVE])
    state = llm.breaker.state
    assert state.open and state.since == clock.now and state.consecutive_failures == 3
    assert state.last_reason == "HTTP 500"
    with pytest.raises(LlmUnavailable, match="skipped"):
        llm.answer("q?", [LEAVE])
    assert len(fake.requests) == 3  # the skipped call never left
    clock.now += 299
    with pytest.raises(LlmUnavailable, match="skipped"):
        llm.same_question("a?", "b", "c?")
    clock.now += 1
    llm.answer("q?", [LEAVE])  # the trial call, which succeeds
    assert not llm.breaker.state.open and llm.breaker.state.consecutive_failures == 0
    assert len(fake.requests) == 4


def test_a_failed_trial_opens_it_for_another_cooldown(clock) -> None:
    breaker = Breaker(failures=2, cooldown_s=60, clock=clock)
    breaker.failed("HTTP 500")
    assert breaker.allow() and not breaker.state.open  # one failure is not a pattern
    breaker.failed("HTTP 500")
    assert not breaker.allow()
    clock.now += 60
    assert breaker.allow()
    assert not breaker.allow()  # only one trial at a time
    breaker.failed("no reply within 20 s")
    assert breaker.state.since == clock.now and not breaker.allow()
    clock.now += 60
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.allow() and breaker.state.last_reason == "no reply within 20 s"


def test_a_success_between_failures_resets_the_count(clock) -> None:
    breaker = Breaker(failures=2, cooldown_s=60, clock=clock)
    for _ in range(5):
        breaker.failed("HTTP 500")
        breaker.succeeded()
    assert not breaker.state.open and breaker.allow()


def test_it_is_thread_safe(clock) -> None:
    breaker = Breaker(failures=1000, cooldown_s=60, clock=clock)
    threads = [threading.Thread(target=lambda: [breaker.failed("x") for _ in range(100)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert breaker.state.consecutive_failures == 800
