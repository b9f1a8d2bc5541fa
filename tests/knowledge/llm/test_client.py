"""The transport promises: bounded time, one failure type, the parameter retry, Azure's shape, quiet logs."""
from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from knowledge.llm import Llm, LlmOptions, LlmUnavailable, Passage
from tests.knowledge.llm.conftest import make_llm
from tests.knowledge.llm.fake_llm import KEY, Fault

LEAVE = Passage("leave#1", "Full-time staff get 25 days of annual leave a year.")
SUPPORTED = "Full-time staff get 25 days of annual leave a year [1]."


def test_a_hung_endpoint_returns_control_within_the_timeout_plus_two_seconds(fake) -> None:
    fake.gate.clear()
    llm = make_llm(fake, timeout_s=1)
    started = time.monotonic()
    with pytest.raises(LlmUnavailable) as failure:
        llm.answer("How much leave?", [LEAVE])
    assert time.monotonic() - started < 1 + 2
    assert failure.value.reason == "no reply within 1 s"
    assert len(fake.requests) <= 1  # no retries of its own


def test_a_slow_endpoint_counts_as_hung(fake) -> None:
    fake.delay = 2.5
    started = time.monotonic()
    with pytest.raises(LlmUnavailable):
        make_llm(fake, timeout_s=1).same_question("a?", "b", "c?")
    assert time.monotonic() - started < 1 + 2


def test_a_server_that_trickles_its_reply_returns_control_within_the_timeout_plus_two_seconds() -> None:
    """Each byte arrives before the read timeout, so only the overall deadline can stop the wait."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        while not stop.wait(0.3):
            try:
                connection.sendall(b" ")
            except OSError:
                break
        connection.close()

    threading.Thread(target=trickle, daemon=True).start()
    llm = Llm(LlmOptions(base_url=f"http://127.0.0.1:{listener.getsockname()[1]}/v1", model="m", timeout_s=1),
              {}.get)
    started = time.monotonic()
    try:
        with pytest.raises(LlmUnavailable, match="no reply within 1 s"):
            llm.answer("q?", [LEAVE])
        assert time.monotonic() - started < 1 + 2
    finally:
        stop.set()
        listener.close()


@pytest.mark.parametrize("status", [500, 503, 429, 401, 404])
def test_a_server_error_is_unavailable_with_a_short_reason_and_no_retry(fake, status: int) -> None:
    fake.faults.append(Fault(lambda request: True, status=status, times=None))
    with pytest.raises(LlmUnavailable) as failure:
        make_llm(fake).answer("How much leave?", [LEAVE])
    assert failure.value.reason == f"HTTP {status}"
    assert len(fake.requests) == 1


def test_an_empty_or_unreadable_reply_is_unavailable(fake) -> None:
    fake.replies = [None]
    with pytest.raises(LlmUnavailable, match="empty reply"):
        make_llm(fake).answer("q?", [LEAVE])
    fake.faults.append(Fault(lambda request: True, status=200, body=b"<html>proxy login</html>"))
    with pytest.raises(LlmUnavailable):
        make_llm(fake).answer("q?", [LEAVE])


def test_a_closed_port_is_unavailable(fake) -> None:
    url = fake.url
    fake.close()
    llm = Llm(LlmOptions(base_url=f"{url}/v1", model="m", timeout_s=1), {}.get)
    with pytest.raises(LlmUnavailable, match="cannot connect"):
        llm.answer("q?", [LEAVE])


def test_a_refused_max_tokens_is_retried_once_as_max_completion_tokens_and_remembered(fake) -> None:
    fake.refuses = "max_tokens"
    fake.replies = [SUPPORTED]
    llm = make_llm(fake, max_tokens=123)
    assert llm.answer("q?", [LEAVE]).cited == [[1]]
    assert [("max_tokens" in r.body, r.body.get("max_completion_tokens"), r.status) for r in fake.requests] == [
        (True, None, 400), (False, 123, 200)]
    fake.forget()
    llm.answer("q?", [LEAVE])
    assert [r.body.get("max_completion_tokens") for r in fake.requests] == [123]  # remembered: one request


def test_a_refused_max_completion_tokens_goes_back_to_max_tokens(fake) -> None:
    fake.refuses = "max_tokens"
    llm = make_llm(fake)
    llm.answer("q?", [LEAVE])
    fake.refuses = "max_completion_tokens"  # the endpoint changed model behind the same address
    fake.forget()
    llm.answer("q?", [LEAVE])
    assert [(sorted(set(r.body) & {"max_tokens", "max_completion_tokens"}), r.status) for r in fake.requests] == [
        (["max_completion_tokens"], 400), (["max_tokens"], 200)]


def test_a_400_about_something_else_is_not_retried(fake) -> None:
    fake.faults.append(Fault(lambda request: True, status=400, body=b'{"error": {"message": "context too long"}}'))
    with pytest.raises(LlmUnavailable, match="HTTP 400"):
        make_llm(fake).answer("q?", [LEAVE])
    assert len(fake.requests) == 1


def test_azure_openai_request_shape(fake) -> None:
    fake.replies = [SUPPORTED]
    options = LlmOptions(base_url=fake.url, model="lorebot-gpt4o", api_version="2024-10-21",
                         api_key_env="AZURE_KEY")
    result = Llm(options, {"AZURE_KEY": KEY}.get).answer("q?", [LEAVE])
    assert result.model == "lorebot-gpt4o"
    (request,) = fake.requests
    assert request.path == "/openai/deployments/lorebot-gpt4o/chat/completions"
    assert request.query == {"api-version": "2024-10-21"}
    assert request.api_key == KEY


def test_logs_hold_model_latency_tokens_and_passage_ids_but_no_key_prompt_or_answer(fake, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    fake.replies = [SUPPORTED]
    make_llm(fake).answer("How many days of leave do I get?", [LEAVE])
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "test-model" in logged and "prompt_tokens=120" in logged and "leave#1" in logged
    assert KEY not in logged
    assert "How many days" not in logged and "annual leave" not in logged


def test_log_prompts_shows_them_at_debug(fake, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    fake.replies = [SUPPORTED]
    make_llm(fake, log_prompts=True).answer("How many days of leave do I get?", [LEAVE])
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "How many days" in logged and "annual leave" in logged
    assert KEY not in logged


def test_failure_reasons_hold_no_prompt_or_key(fake, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    fake.faults.append(Fault(lambda request: True, status=400,
                             body=b'{"error": {"message": "bad prompt: How many days of leave"}}'))
    with pytest.raises(LlmUnavailable) as failure:
        make_llm(fake).answer("How many days of leave do I get?", [LEAVE])
    logged = "\n".join(record.getMessage() for record in caplog.records) + str(failure.value)
    assert "How many days" not in logged and KEY not in logged
