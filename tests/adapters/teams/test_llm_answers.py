"""A written answer through the real Teams endpoint and CloudAdapter, with the loopback connector and the loopback
LLM: the card says it is written and by which model, lists the cited source and keeps its buttons."""
from __future__ import annotations

import pytest

from adapters.teams import build_teams_app
from bot.config import parse_config
from bot.core import Lorebot
from knowledge.llm import Llm, LlmOptions
from tests.adapters.teams.support import CONFIG, storing_messenger
from tests.bot.support import LEAVE_QUESTION
from tests.knowledge.llm.fake_llm import fake  # noqa: F401 - fake is the fixture



@pytest.fixture
def bot(servers, kb, clock, sleeps, fake):
    messenger = storing_messenger(kb.engine, clock=clock, sleep=sleeps)
    llm = Llm(LlmOptions(base_url=f"{fake.url}/v1", model="test-model"), {}.get)
    core = Lorebot(config=parse_config(CONFIG), knowledge=kb, messenger=messenger, clock=clock, llm=llm)
    servers.serve(build_teams_app(core=core, messenger=messenger))
    yield messenger
    messenger.close()


def test_a_written_answer_card_says_so_and_keeps_its_buttons(servers, teams, bot, fake) -> None:
    fake.replies = ["Full-time employees get 25 days of annual leave a year [1]."]
    response = servers.post(teams.personal_message("alice", LEAVE_QUESTION))
    assert response.status_code == 200, response.text
    [answer] = servers.connector.delivered()
    assert "25 days of annual leave a year" in answer.text and "Written by test-model" in answer.text
    assert "Leave policy" in answer.text
    assert [a["title"] for a in answer.card["actions"]] == ["Helpful", "Not helpful", "Ask a champion"]
    # While the model read, the chat showed Lorebot typing.
    assert len([call for call in servers.connector.calls if call.body.get("type") == "typing"]) == 1
