"""Only the workspaces served get answers: Slack Connect guests and other workspaces get a short refusal that
only they can see, and nothing of theirs is recorded or routed. Signed requests through the real Bolt app."""
from __future__ import annotations

import pytest

from adapters.slack import check_token, make_web_client
from adapters.slack.messages import WORKSPACE_NOT_SERVED
from adapters.slack.workspaces import allowed_workspaces
from bot.errors import ConfigError
from tests.adapters.slack.conftest import CONFIG, WORKSPACE, serve_rig
from tests.adapters.slack.fake_slack import FakeSlackApi
from tests.adapters.slack.test_requests import _stored as stored
from tests.bot.support import LEAVE_QUESTION

GUEST_TEAM = "TGUEST"


def refusals(rig) -> list[dict]:
    return rig.api.named("chat.postEphemeral")


def assert_nothing_recorded(rig) -> None:
    rig.settle()
    assert stored(rig) == 0
    assert rig.api.named("chat.postMessage") == [] and rig.api.named("conversations.open") == []


def guest_dm(**teams) -> dict:
    return {"type": "message", "channel_type": "im", "channel": "DUGUEST", "user": "UGUEST", "text": LEAVE_QUESTION,
            "ts": "900.1", **teams}


@pytest.mark.parametrize("teams", [{"team": GUEST_TEAM},  # a Slack Connect DM: Slack names the sender's workspace
                                   {"user_team": GUEST_TEAM, "source_team": GUEST_TEAM, "team": GUEST_TEAM}])
def test_a_slack_connect_guest_dm_is_refused_politely(rig, teams) -> None:
    assert rig.event(guest_dm(**teams)) == 200
    assert_nothing_recorded(rig)
    [refusal] = refusals(rig)
    assert (refusal["channel"], refusal["user"], refusal["text"]) == ("DUGUEST", "UGUEST", WORKSPACE_NOT_SERVED)


def test_a_dm_from_another_workspace_is_refused(rig) -> None:
    assert rig.event(guest_dm(), team="TOTHER") == 200
    assert_nothing_recorded(rig)
    assert len(refusals(rig)) == 1


def test_a_guest_mention_in_a_shared_channel_is_refused_in_its_thread(rig) -> None:
    mention = {"type": "app_mention", "channel": "CSHARED", "user": "UGUEST", "text": f"<@UBOT> {LEAVE_QUESTION}",
               "ts": "910.1", "thread_ts": "905.1", "user_team": GUEST_TEAM, "team": GUEST_TEAM}
    assert rig.event(mention) == 200
    assert_nothing_recorded(rig)
    [refusal] = refusals(rig)
    assert (refusal["channel"], refusal["user"], refusal["thread_ts"]) == ("CSHARED", "UGUEST", "905.1")


def test_ask_from_another_workspace_is_answered_with_the_refusal_only(rig) -> None:
    status, body, _ = rig.command("UGUEST", LEAVE_QUESTION, team="TOTHER")
    assert (status, body) == (200, WORKSPACE_NOT_SERVED)
    assert_nothing_recorded(rig)


def test_a_guest_click_does_nothing_but_refuse(rig) -> None:
    rig.dm("UERIN", LEAVE_QUESTION, "920.1")
    rig.settle()
    button = rig.button("DUERIN", "920.1", "not_helpful")
    before = (stored(rig), len(rig.api.calls))
    assert rig.click("UGUEST", button["action_id"], button["value"], "DUERIN", "1.1", "920.1",
                     user_team=GUEST_TEAM) == 200
    rig.settle()
    assert stored(rig) == before[0]
    [refusal] = refusals(rig)
    assert (refusal["user"], refusal["thread_ts"]) == ("UGUEST", "920.1")
    assert len(rig.api.calls) == before[1] + 1  # the refusal, nothing routed


def test_a_guest_reaction_is_ignored_quietly(rig) -> None:
    event = {"type": "reaction_added", "user": "UGUEST", "reaction": "white_check_mark", "user_team": GUEST_TEAM,
             "item": {"type": "message", "channel": "CSHARED", "ts": "1.1"}, "event_ts": "930.1"}
    assert rig.event(event) == 200
    assert_nothing_recorded(rig)
    assert refusals(rig) == []


def test_own_workspace_people_are_answered_in_a_slack_connect_channel_too(rig) -> None:
    assert rig.event(guest_dm(team=WORKSPACE, user_team=WORKSPACE, user="UERIN", channel="DUERIN")) == 200
    rig.settle()
    assert refusals(rig) == [] and rig.api.posts_to("DUERIN")


def test_workspaces_in_the_config_replace_the_token_workspace(kb) -> None:
    rigs = serve_rig(kb, CONFIG, workspaces=("T2",))
    rig = next(rigs)
    try:
        assert rig.dm("UERIN", LEAVE_QUESTION, "940.1") == 200
        assert_nothing_recorded(rig)
        assert len(refusals(rig)) == 1
    finally:
        next(rigs, None)


def test_the_token_workspace_is_served_by_default() -> None:
    api = FakeSlackApi()
    try:
        own = check_token(make_web_client("xoxb-test-token", api.base_url))
    finally:
        api.close()
    assert own == {WORKSPACE}
    assert allowed_workspaces([], own) == {WORKSPACE}
    assert allowed_workspaces(["T2", "E1GRID"], own) == {"T2", "E1GRID"}
    with pytest.raises(ConfigError, match=r"\[slack\] workspaces"):
        allowed_workspaces([], frozenset())
