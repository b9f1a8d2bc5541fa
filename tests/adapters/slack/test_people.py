"""Slack people through the real Bolt app and the loopback Web API: an asker lorebot.toml does not list shows
to champions by their Slack name, joins the team of their user group, and is looked up once per expiry."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.people.profiles import PROFILE_EXPIRY
from bot.tables.people import PersonRow
from tests.adapters.slack.conftest import CONFIG, serve_rig
from tests.bot.support import UNKNOWN_QUESTION, Clock

DANA = {"id": "UDANA", "name": "dana", "real_name": "Dana Whitfield", "tz": "Europe/Paris",
        "profile": {"real_name": "Dana Whitfield", "display_name": "dana"}}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def people_rig(kb, clock):
    config = {**CONFIG, "teams": {"ops": {"manager": "erin", "slack_usergroup": "ops-team"}}}
    yield from serve_rig(kb, config, clock=clock)


def _dana(kb) -> PersonRow:
    with Session(kb.engine) as session:
        return session.exec(select(PersonRow).where(PersonRow.user_id == "UDANA")).one()


def _routed_text(rig) -> str:
    """The latest routed post's fallback text (its blocks also hold a link naming the asker's DM channel)."""
    return rig.api.posts_to("CCHAMPS")[-1].get("text", "")


def test_an_unlisted_asker_shows_by_slack_name_in_the_team_of_their_user_group(people_rig, kb) -> None:
    rig = people_rig
    rig.api.users["UDANA"] = DANA
    rig.api.usergroups = [{"id": "S0OPS", "handle": "ops-team", "users": ["UDANA", "UCAROL"]},
                          {"id": "S0ALL", "handle": "everyone", "users": ["UDANA"]}]
    rig.dm("UDANA", UNKNOWN_QUESTION, "400.1")
    rig.settle()
    assert "Dana Whitfield asked" in _routed_text(rig) and "UDANA" not in _routed_text(rig)
    dana = _dana(kb)
    assert (dana.name, dana.team, dana.manager, dana.timezone) == ("Dana Whitfield", "ops", "erin", "Europe/Paris")


def test_a_profile_is_fetched_once_within_the_expiry_and_again_after_it(people_rig, kb, clock) -> None:
    rig = people_rig
    rig.api.users["UDANA"] = DANA
    rig.dm("UDANA", UNKNOWN_QUESTION, "410.1")
    rig.settle()
    clock.advance(hours=23)
    rig.dm("UDANA", "Can visitors park at the office?", "411.1")
    rig.settle()
    assert [p["user"] for p in rig.api.named("users.info")] == ["UDANA"]
    assert len(rig.api.named("usergroups.list")) == 1

    rig.api.users["UDANA"] = {**DANA, "profile": {"real_name": "Dana Moreau"}}
    clock.now += PROFILE_EXPIRY
    rig.dm("UDANA", "Where can I park my bike at the office?", "412.1")
    rig.settle()
    assert len(rig.api.named("users.info")) == 2 and len(rig.api.named("usergroups.list")) == 2
    assert "Dana Moreau" in _routed_text(rig)


def test_a_failing_users_info_never_blocks_the_answer(people_rig, kb, clock) -> None:
    rig = people_rig
    rig.api.users["UDANA"] = DANA
    rig.api.failing.add("users.info")
    rig.dm("UDANA", UNKNOWN_QUESTION, "420.1")
    rig.settle()
    assert "UDANA asked" in _routed_text(rig), "shown by id"
    assert rig.api.posts_to("DUDANA", thread="420.1"), "the asker was still told"
    rig.api.failing.clear()
    clock.now += PROFILE_EXPIRY
    rig.dm("UDANA", "Where can I park my bike at the office?", "421.1")
    rig.settle()
    assert "Dana Whitfield" in _routed_text(rig)
    assert len(rig.api.named("users.info")) == 2


def test_without_usergroups_read_the_name_still_comes_and_the_team_from_the_config_only(people_rig, kb) -> None:
    rig = people_rig
    rig.api.users["UDANA"] = DANA
    rig.api.failing.add("usergroups.list")  # as when the app was installed without usergroups:read
    rig.dm("UDANA", UNKNOWN_QUESTION, "430.1")
    rig.settle()
    assert "Dana Whitfield asked" in _routed_text(rig)
    assert (_dana(kb).name, _dana(kb).team) == ("Dana Whitfield", None)
