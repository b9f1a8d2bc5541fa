"""A written answer through the real Bolt app, signed requests and the loopback Slack Web API, with the loopback
LLM: it says it is written and by which model, links only the sources it cites, keeps the buttons; and Slack's
acknowledgement never waits for the model."""
from __future__ import annotations

import json
import time

import pytest

from knowledge.llm import Llm, LlmOptions
from tests.adapters.slack.conftest import CONFIG, serve_rig
from tests.bot.support import LEAVE_QUESTION
from tests.knowledge.llm.fake_llm import fake  # noqa: F401 - fake is the fixture

BASE_URL = "https://wiki.example.com/handbook/"



@pytest.fixture
def rig(kb, fake):
    config = {**CONFIG, "collections": {"handbook": {"base_url": BASE_URL}}}
    for rig in serve_rig(kb, config):
        rig.core.context.llm = Llm(LlmOptions(base_url=f"{fake.url}/v1", model="test-model", timeout_s=2), {}.get)
        yield rig


def test_a_written_answer_is_labelled_and_links_its_sources(rig, fake) -> None:
    fake.replies = ["Full-time employees get 25 days of annual leave a year [1]."]
    assert rig.dm("UERIN", LEAVE_QUESTION, "300.1") == 200
    rig.settle()
    (post,) = rig.api.posts_to("DUERIN", thread="300.1")
    blocks = json.dumps(post["blocks"], ensure_ascii=False)
    assert "25 days of annual leave" in blocks and "Written by test-model" in blocks
    assert f"{BASE_URL}leave" in blocks  # the link is ours, from the cited passage's collection
    assert all(f"lorebot:{name}:" in blocks for name in ("helpful", "not_helpful", "ask_champion"))
    # While the model read, the asker's message showed Lorebot was on it.
    assert [(r["channel"], r["timestamp"], r["name"]) for r in rig.api.named("reactions.add")] == \
        [("DUERIN", "300.1", "eyes")]


def test_no_working_mark_when_the_model_is_not_asked(rig, fake) -> None:
    assert rig.dm("UERIN", "Zorblax quantum banana telescope?", "302.1") == 200  # nothing clears the floor
    rig.settle()
    assert fake.requests == [] and rig.api.named("reactions.add") == []


def test_slack_hears_back_at_once_while_the_model_is_slow(rig, fake) -> None:
    fake.gate.clear()
    started = time.monotonic()
    assert rig.dm("UERIN", LEAVE_QUESTION, "301.1") == 200
    assert time.monotonic() - started < 1.5
    rig.settle()  # the model never answers: the extract after timeout_s
    (post,) = rig.api.posts_to("DUERIN", thread="301.1")
    blocks = json.dumps(post["blocks"], ensure_ascii=False)
    assert "25 days" in blocks and "written answer was not available" in blocks
