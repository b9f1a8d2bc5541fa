from __future__ import annotations

import pytest

from knowledge.llm import Llm, LlmOptions
from tests.knowledge.llm.fake_llm import KEY, FakeLlm, fake  # noqa: F401 - fake is the fixture



class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_llm(fake: FakeLlm, clock=None, **options) -> Llm:
    settings = {"base_url": f"{fake.url}/v1", "model": "test-model", "api_key_env": "LLM_KEY", **options}
    secrets = {"LLM_KEY": KEY}.get
    return Llm(LlmOptions(**settings), secrets, **({"clock": clock} if clock else {}))
