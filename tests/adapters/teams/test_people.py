"""Teams people through the real endpoint and the loopback connector: an asker lorebot.toml does not list
shows to champions by their roster name, looked up once per expiry, and a roster that cannot be read never
stops an answer."""
from __future__ import annotations

import pytest

from adapters.teams import TeamsPeople, build_teams_app
from bot.config import parse_config
from bot.core import Lorebot
from bot.people.profiles import PROFILE_EXPIRY
from tests.adapters.teams.support import CHAMPIONS, CONFIG, storing_messenger
from tests.bot.support import UNKNOWN_QUESTION

ZOE = "29:1zoe"  # the Teams user id the fake activities give "zoe"
ZOE_CHAT = "a:1zoe-personal"


@pytest.fixture
def bot(servers, kb, clock, sleeps):
    messenger = storing_messenger(kb.engine, clock=clock, sleep=sleeps)
    core = Lorebot(config=parse_config(CONFIG), knowledge=kb, messenger=messenger, clock=clock,
                   people=TeamsPeople(messenger))
    servers.serve(build_teams_app(core=core, messenger=messenger))
    yield messenger
    messenger.close()


def ask(servers, teams, text: str) -> None:
    assert servers.post(teams.personal_message("zoe", text)).status_code == 200


def routed_text(servers) -> str:
    return servers.connector.delivered(CHAMPIONS, kind="send")[-1].text


def install(servers, teams) -> None:
    assert servers.post(teams.bot_installed_in_team(CHAMPIONS, members=["dave"])).status_code == 200


def test_an_unlisted_asker_shows_by_roster_name_looked_up_once_per_expiry(servers, teams, bot, clock):
    install(servers, teams)
    servers.connector.roster[ZOE] = {"name": "Zoe Lambert", "aadObjectId": "aad-zoe"}
    ask(servers, teams, UNKNOWN_QUESTION)
    assert "Zoe Lambert" in routed_text(servers)
    [looked_up] = servers.connector.members_asked(ZOE)
    assert looked_up.conversation == ZOE_CHAT

    clock.advance(hours=23)
    ask(servers, teams, "Can visitors park at the office?")
    assert len(servers.connector.members_asked(ZOE)) == 1

    servers.connector.roster[ZOE] = {"name": "Zoe Lambert-Ng", "aadObjectId": "aad-zoe"}
    clock.now += PROFILE_EXPIRY
    ask(servers, teams, "Where can I park my bike at the office?")
    assert len(servers.connector.members_asked(ZOE)) == 2
    assert "Zoe Lambert-Ng" in routed_text(servers)


def test_a_roster_that_cannot_be_read_never_blocks_the_answer(servers, teams, bot, clock):
    install(servers, teams)
    ask(servers, teams, UNKNOWN_QUESTION)  # the roster has no entry: the connector answers 404
    assert "Zoe" in routed_text(servers), "the name Teams sent with the message"
    assert servers.connector.delivered(ZOE_CHAT), "the asker was still told"
    assert len(servers.connector.members_asked(ZOE)) == 1
