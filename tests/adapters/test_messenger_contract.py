"""The Messenger contract, run against every implementation: console, Slack and Teams.

The core and the jobs speak to people only through this port, so every platform must behave the same way where
they rely on it: a DM reaches the person, a reply lands in the thread it names, an update replaces what people
read, a link is a URL or nothing, a reply marked with a ref is found again or not known, and someone the platform
cannot reach raises Unreachable. Each platform runs
for real against its loopback stand-in; the harness only reads back what that platform recorded.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import create_engine

from adapters.console import ConsoleMessenger
from adapters.slack import SlackMessenger, make_web_client
from adapters.teams import build_teams_app
from adapters.wiring import create_schema
from bot.addresses import Address, MessageRef, Person
from bot.ports import Messenger, Unreachable
from bot.replies import Reply
from tests.adapters.slack.fake_slack import FakeSlackApi
from tests.adapters.teams.support import CHAMPIONS, RecordedSleep, RecordingCore, Servers, Teams, storing_messenger
from tests.bot.support import Clock


@dataclass
class Harness:
    messenger: Messenger
    reachable: Person
    unreachable: Person | None  # None where the platform reaches everyone (the console)
    channel: Address  # a channel the bot is in
    shown: Callable[[MessageRef], str]  # what people read in that message now, as the platform recorded it
    thread_of: Callable[[MessageRef], str | None]  # the thread the platform put that message in
    working_shown: Callable[[], list[str]]  # the "Lorebot is on it" indicators the platform recorded, in order


def console_harness(stack: list) -> Harness:
    messenger = ConsoleMessenger(io.StringIO())
    return Harness(messenger, Person("console", "erin"), None, Address("console", "champions"),
                   shown=lambda ref: messenger.messages[ref.message_id].text,
                   thread_of=lambda ref: messenger.messages[ref.message_id].address.thread,
                   working_shown=list)


def slack_harness(stack: list) -> Harness:
    api = FakeSlackApi()
    stack.append(api.close)
    api.undeliverable_users.add("UGONE")
    messenger = SlackMessenger(make_web_client("xoxb-test-token", api.base_url))
    return Harness(messenger, Person("slack", "UERIN"), Person("slack", "UGONE"), Address("slack", "CCHAMPS"),
                   shown=lambda ref: api.texts[(ref.address.channel, ref.message_id)],
                   thread_of=lambda ref: api.threads[(ref.address.channel, ref.message_id)],
                   working_shown=lambda: [f"{call['channel']}/{call['timestamp']}:{call['name']}"
                                          for call in api.named("reactions.add")])


def teams_harness(stack: list, tmp_path) -> Harness:
    servers = Servers()
    stack.append(servers.close)
    engine = create_engine(f"sqlite:///{tmp_path / 'teams.db'}")
    stack.append(engine.dispose)
    create_schema(engine)
    messenger = storing_messenger(engine, clock=Clock(), sleep=RecordedSleep())
    stack.append(messenger.close)
    servers.serve(build_teams_app(core=RecordingCore(), messenger=messenger))
    teams = Teams(servers.connector.url)
    for activity in (teams.personal_install("erin"), teams.bot_installed_in_team(CHAMPIONS)):
        assert servers.post(activity).status_code == 200

    def delivered(ref: MessageRef):
        return next(call for call in servers.connector.calls if call.id == ref.message_id and call.kind != "update")

    def shown(ref: MessageRef) -> str:
        updates = [call for call in servers.connector.calls
                   if call.kind == "update" and call.activity_id == ref.message_id and call.status < 300]
        return (updates[-1] if updates else delivered(ref)).text

    def thread_of(ref: MessageRef) -> str | None:
        call = delivered(ref)
        return call.activity_id if call.kind == "reply" else None

    def working_shown() -> list[str]:
        return [f"{call.conversation}:{call.body['type']}" for call in servers.connector.calls
                if call.body.get("type") == "typing"]

    return Harness(messenger, Person("teams", "aad-erin"), Person("teams", "aad-stranger"),
                   Address("teams", CHAMPIONS), shown=shown, thread_of=thread_of, working_shown=working_shown)


@pytest.fixture(params=["console", "slack", "teams"])
def harness(request, tmp_path):
    stack: list = []
    if request.param == "console":
        built = console_harness(stack)
    elif request.param == "slack":
        built = slack_harness(stack)
    else:
        built = teams_harness(stack, tmp_path)
    yield built
    for close in reversed(stack):
        close()


def test_it_is_a_messenger_of_its_own_platform(harness: Harness) -> None:
    assert isinstance(harness.messenger, Messenger)
    assert harness.messenger.open_dm(harness.reachable).platform == harness.messenger.platform


def test_a_dm_reaches_the_person(harness: Harness) -> None:
    address = harness.messenger.open_dm(harness.reachable)
    ref = harness.messenger.send(address, Reply(text="Your weekly digest is ready."))
    assert ref.address.channel == address.channel and ref.message_id
    assert "Your weekly digest is ready." in harness.shown(ref)
    assert harness.thread_of(ref) is None


def test_a_reply_lands_in_the_thread_it_names(harness: Harness) -> None:
    root = harness.messenger.send(harness.channel, Reply(text="A question for the office champions"))
    reply = harness.messenger.send(harness.channel.in_thread(root.message_id), Reply(text="Thanks for answering!"))
    assert reply.message_id != root.message_id
    assert reply.address.thread == root.message_id
    assert harness.thread_of(reply) == root.message_id
    assert harness.thread_of(root) is None
    assert "Thanks for answering!" in harness.shown(reply)


def test_an_update_replaces_what_people_read(harness: Harness) -> None:
    ref = harness.messenger.send(harness.messenger.open_dm(harness.reachable), Reply(text="Looking that up"))
    harness.messenger.update(ref, Reply(text="You get 25 days of annual leave."))
    assert "You get 25 days of annual leave." in harness.shown(ref)
    assert "Looking that up" not in harness.shown(ref)


def test_a_link_is_a_url_or_nothing(harness: Harness) -> None:
    ref = harness.messenger.send(harness.channel, Reply(text="A question for the office champions"))
    link = harness.messenger.link(ref)
    assert link is None or (isinstance(link, str) and "://" in link)


def test_a_reply_marked_with_a_ref_is_found_again_in_its_thread_or_not_known(harness: Harness) -> None:
    """What recovery asks before sending a reply again: found where the platform can tell (Slack, and the
    console within its session), None where it cannot (Teams); never a message that was not sent."""
    root = harness.messenger.send(harness.channel, Reply(text="How many days of leave do I get?"))
    thread = harness.channel.in_thread(root.message_id)
    harness.messenger.send(thread, Reply(text="Looking into it"))
    sent = harness.messenger.send(thread, Reply(text="You get 25 days.", ref="question:7"))
    found = harness.messenger.find_sent(thread, "question:7")
    assert found is None or found.message_id == sent.message_id
    assert (found is not None) == (harness.messenger.platform in ("slack", "console"))
    assert harness.messenger.find_sent(thread, "question:8") is None
    assert harness.messenger.find_sent(harness.channel.in_thread("no-such-thread"), "question:7") is None


@pytest.mark.parametrize("harness", ["slack", "teams"], indirect=True)
def test_someone_the_platform_cannot_reach_is_unreachable(harness: Harness) -> None:
    with pytest.raises(Unreachable):
        harness.messenger.open_dm(harness.unreachable)


def test_working_shows_the_asker_lorebot_is_on_it_where_the_platform_can(harness: Harness) -> None:
    """Slack marks the asker's message with 👀, Teams sends a typing activity, the console (where the asker
    watches the terminal) shows nothing; none of them sends a message people would have to read."""
    address = harness.messenger.open_dm(harness.reachable)
    question = harness.messenger.send(address, Reply(text="How many days of leave do I get?"))
    harness.messenger.working(address.in_thread(question.message_id))
    expected = {"console": [], "slack": [f"{address.channel}/{question.message_id}:eyes"],
                "teams": [f"{address.channel}:typing"]}
    assert harness.working_shown() == expected[harness.messenger.platform]


def test_working_never_raises(harness: Harness) -> None:
    """Best effort: a place the platform cannot show it in, or one it refuses, costs the answer nothing."""
    harness.messenger.working(Address(harness.messenger.platform, "no-such-conversation", "1.2"))
    harness.messenger.working(Address(harness.messenger.platform, "no-such-conversation"))
