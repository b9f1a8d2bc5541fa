"""Slack's "Lorebot is on it" indicator is best effort: a refused reaction is logged, never raised."""
from __future__ import annotations

from adapters.slack import SlackMessenger, make_web_client
from bot.addresses import Address
from tests.adapters.slack.fake_slack import FakeSlackApi


def test_a_refused_reaction_costs_the_answer_nothing() -> None:
    api = FakeSlackApi()
    try:
        api.failing.add("reactions.add")
        messenger = SlackMessenger(make_web_client("xoxb-test-token", api.base_url))
        messenger.working(Address("slack", "DUERIN", "1700000000.000001"))
        assert len(api.named("reactions.add")) == 1
    finally:
        api.close()


def test_a_slash_command_has_no_message_to_mark() -> None:
    api = FakeSlackApi()
    try:
        SlackMessenger(make_web_client("xoxb-test-token", api.base_url)).working(Address("slack", "CGENERAL"))
        assert api.named("reactions.add") == []
    finally:
        api.close()
