"""The Teams Messenger: proactive messages through stored ConversationReferences, 403 -> unreachable without
stopping a batch, bounded retries with backoff, and Teams' size limits. Conversations are met through the
real endpoint, the way Teams introduces them (installation, conversationUpdate, a first message)."""
from __future__ import annotations

import pytest

from adapters.teams import TeamsDeliveryError, build_teams_app
from adapters.teams.cards import CARD_CONTENT_TYPE
from bot.people import contacts
from bot.addresses import Address, Person
from bot.config import LorebotConfig
from bot.context import LorebotContext
from bot.messengers import MessengerRouter
from bot.ports import Messenger, Unreachable
from bot.replies import Reply, ReplyAction, SourceRef
from jobs.outbox import Delivery, send_pending, to_row
from jobs.tables import create_tables as create_job_tables
from tests.adapters.teams.support import CHAMPIONS, GENERAL, TENANT, RecordingCore, Teams, storing_messenger


@pytest.fixture
def endpoint(servers, messenger):
    core = RecordingCore()
    servers.serve(build_teams_app(core=core, messenger=messenger))
    return core


def meet_personally(servers, teams: Teams, *handles: str) -> None:
    for handle in handles:
        assert servers.post(teams.personal_install(handle)).status_code == 200


def person(handle: str) -> Person:
    return Person("teams", f"aad-{handle}")


def test_is_a_messenger(messenger):
    assert isinstance(messenger, Messenger) and messenger.platform == "teams"


def test_reference_from_installation_is_used_for_a_proactive_dm(servers, teams, messenger, endpoint):
    meet_personally(servers, teams, "alice")
    address = messenger.open_dm(person("alice"))
    assert address == Address("teams", teams.personal_conversation("alice"))
    ref = messenger.send(address, Reply(text="Your weekly digest is ready."))
    [call] = servers.connector.delivered()
    assert (call.kind, call.conversation, ref.message_id) == ("send", "a:1alice-personal", call_id(servers))
    assert call.body["text"] == "Your weekly digest is ready."
    assert call.body["type"] == "message"


def call_id(servers) -> str:
    return f"17000{len(servers.connector.calls):08d}"


def test_someone_met_only_in_a_team_gets_a_new_personal_chat(servers, teams, messenger, endpoint):
    assert servers.post(teams.bot_installed_in_team(GENERAL, members=["carol"])).status_code == 200
    address = messenger.open_dm(person("carol"))
    [create] = [call for call in servers.connector.calls if call.kind == "create"]
    assert create.body["members"] == [{"id": "29:1carol", "name": "Carol", "aadObjectId": "aad-carol"}]
    assert create.body["isGroup"] is False
    assert create.body["channelData"] == {"tenant": {"id": TENANT}}
    assert address.channel == "a:dm-29:1carol"
    messenger.send(address, Reply(text="A question is waiting for you."))
    assert [c.conversation for c in servers.connector.delivered()] == ["a:dm-29:1carol"]
    # The new chat is remembered: the next DM needs no new conversation.
    assert messenger.open_dm(person("carol")) == address
    assert len([call for call in servers.connector.calls if call.kind == "create"]) == 1


def test_channel_posts_start_threads_and_replies_go_into_them(servers, teams, messenger, endpoint):
    assert servers.post(teams.bot_installed_in_team(CHAMPIONS)).status_code == 200
    root = messenger.send(Address("teams", CHAMPIONS), Reply(text="A question for the office champions"))
    reply = messenger.send(Address("teams", CHAMPIONS, root.message_id), Reply(text="Thanks for answering!"))
    top, in_thread = servers.connector.delivered()
    assert (top.kind, top.conversation) == ("send", CHAMPIONS)
    assert (in_thread.kind, in_thread.conversation, in_thread.activity_id) == ("reply", CHAMPIONS, root.message_id)
    assert reply.address.thread == root.message_id
    assert messenger.directory.started_thread(CHAMPIONS, root.message_id)
    assert not messenger.directory.started_thread(CHAMPIONS, reply.message_id)
    assert messenger.link(root).startswith("https://teams.microsoft.com/l/message/")


def test_update_replaces_the_message(servers, teams, messenger, endpoint):
    meet_personally(servers, teams, "alice")
    ref = messenger.send(messenger.open_dm(person("alice")), Reply(text="Working on it"))
    messenger.update(ref, Reply(text="Done", sources=(SourceRef("Leave policy", "Handbook"),)))
    update = servers.connector.calls[-1]
    assert (update.method, update.kind, update.activity_id) == ("PUT", "update", ref.message_id)
    assert update.card is not None


def test_unknown_people_and_conversations_are_unreachable(servers, messenger, endpoint):
    with pytest.raises(Unreachable):
        messenger.open_dm(person("stranger"))
    with pytest.raises(Unreachable):
        messenger.send(Address("teams", "19:never-installed@thread.tacv2"), Reply(text="hello"))
    assert servers.connector.calls == []


def test_403_marks_the_person_unreachable_and_the_batch_goes_on(servers, teams, messenger, endpoint, engine, clock):
    meet_personally(servers, teams, "alice", "carol", "erin")
    servers.connector.fail(403, conversation=teams.personal_conversation("carol"))
    create_job_tables(engine)
    ctx = LorebotContext(config=LorebotConfig(), engine=engine, messenger=MessengerRouter({"teams": messenger}),
                         clock=clock)
    with ctx.session() as session:
        for handle in ("alice", "carol", "erin"):
            session.add(to_row("digest", "2026-W10", Delivery(recipient=handle, platform="teams", kind="dm",
                                                                target=f"aad-{handle}",
                                                                reply=Reply(text="Your weekly digest")), clock()))
        session.commit()

    report = send_pending(ctx, {})

    assert (report.sent, report.unreachable, report.failed) == (2, 1, 0)
    assert {c.conversation for c in servers.connector.delivered()} == {"a:1alice-personal", "a:1erin-personal"}
    assert contacts.is_unreachable(engine, "teams", "aad-carol")
    assert not contacts.is_unreachable(engine, "teams", "aad-alice")
    # Later batches skip Carol without calling Teams at all.
    calls = len(servers.connector.calls)
    with pytest.raises(Unreachable):
        messenger.open_dm(person("carol"))
    assert len(servers.connector.calls) == calls
    # Meeting Carol again (she reinstalls the app) makes her reachable again.
    meet_personally(servers, teams, "carol")
    messenger.send(messenger.open_dm(person("carol")), Reply(text="Welcome back"))
    assert servers.connector.delivered(teams.personal_conversation("carol"))


def test_uninstalling_the_app_makes_the_person_unreachable_until_reinstalled(servers, teams, messenger, endpoint,
                                                                            engine):
    meet_personally(servers, teams, "alice")
    assert servers.post(teams.personal_install("alice", action="remove")).status_code == 200
    with pytest.raises(Unreachable):
        messenger.open_dm(person("alice"))
    assert contacts.is_unreachable(engine, "teams", "a:1alice-personal")
    meet_personally(servers, teams, "alice")
    assert messenger.open_dm(person("alice")) == Address("teams", "a:1alice-personal")
    assert servers.connector.calls == []


def test_403_when_creating_a_chat_marks_the_person_unreachable(servers, teams, messenger, endpoint, engine):
    assert servers.post(teams.bot_installed_in_team(GENERAL, members=["carol"])).status_code == 200
    servers.connector.fail(403)
    with pytest.raises(Unreachable):
        messenger.open_dm(person("carol"))
    assert contacts.is_unreachable(engine, "teams", "aad-carol")


@pytest.mark.parametrize("status", [429, 412, 502, 504])
def test_transient_errors_are_retried_with_backoff(servers, teams, messenger, endpoint, sleeps, status):
    meet_personally(servers, teams, "alice")
    servers.connector.fail(status, times=2)
    messenger.send(messenger.open_dm(person("alice")), Reply(text="Hello"))
    attempts = servers.connector.attempts("a:1alice-personal")
    assert [call.status for call in attempts] == [status, status, 201]
    assert len(servers.connector.delivered()) == 1
    assert sleeps.delays == [1.0, 2.0]


def test_retry_after_is_honoured(servers, teams, messenger, endpoint, sleeps):
    meet_personally(servers, teams, "alice")
    servers.connector.fail(429, times=1, headers={"Retry-After": "7"})
    messenger.send(messenger.open_dm(person("alice")), Reply(text="Hello"))
    assert sleeps.delays == [7.0]


def test_retries_are_bounded(servers, teams, messenger, endpoint, sleeps):
    meet_personally(servers, teams, "alice")
    servers.connector.fail(429, times=100)
    with pytest.raises(TeamsDeliveryError, match="HTTP 429"):
        messenger.send(messenger.open_dm(person("alice")), Reply(text="Hello"))
    assert len(servers.connector.attempts("a:1alice-personal")) == 4
    assert len(sleeps.delays) == 3


def test_other_errors_are_not_retried(servers, teams, messenger, endpoint):
    meet_personally(servers, teams, "alice")
    servers.connector.fail(400)
    with pytest.raises(TeamsDeliveryError, match="HTTP 400"):
        messenger.send(messenger.open_dm(person("alice")), Reply(text="Hello"))
    assert len(servers.connector.attempts()) == 1


def test_huge_replies_reach_teams_trimmed(servers, teams, messenger, endpoint):
    meet_personally(servers, teams, "alice")
    huge = Reply(text="policy " * 30_000, sources=tuple(SourceRef(f"Doc {i}", "S" * 300, "x" * 2_000)
                                                        for i in range(50)),
                 actions=(ReplyAction("helpful", "1", "Helpful"),))
    messenger.send(messenger.open_dm(person("alice")), huge)
    [call] = servers.connector.delivered()
    assert call.size < 28_000
    assert call.body["attachments"][0]["contentType"] == CARD_CONTENT_TYPE
    plain = Reply(text="word " * 30_000)
    messenger.send(messenger.open_dm(person("alice")), plain)
    assert servers.connector.delivered()[-1].size < 28_000


def test_calling_from_the_event_loop_fails_fast_instead_of_deadlocking(servers, teams, messenger, endpoint):
    meet_personally(servers, teams, "alice")

    async def on_the_loop():
        messenger.send(Address("teams", "a:1alice-personal"), Reply(text="x"))

    with pytest.raises(RuntimeError, match="worker thread"):
        servers.loop.run(on_the_loop())


def test_messenger_works_without_a_server_on_its_own_loop(servers, teams, engine, clock, sleeps):
    """The jobs can run in a process that serves no endpoint: the messenger then uses a private loop."""
    first = storing_messenger(engine, clock=clock, sleep=sleeps)
    servers.serve(build_teams_app(core=RecordingCore(), messenger=first))
    meet_personally(servers, teams, "alice")
    jobs_only = storing_messenger(engine, clock=clock, sleep=sleeps)
    try:
        jobs_only.send(jobs_only.open_dm(person("alice")), Reply(text="From the scheduler"))
    finally:
        jobs_only.close()
        first.close()
    assert [c.body["text"] for c in servers.connector.delivered()] == ["From the scheduler"]


def test_the_connector_clients_retry_policy_is_the_same_after_the_speed_up():
    from msrest.universal_http.requests import ClientRetryPolicy

    from adapters.teams.msrest_speedup import speed_up_retry_policy

    speed_up_retry_policy()
    retried = ClientRetryPolicy().policy.status_forcelist
    assert 408 in retried and 500 in retried and 502 in retried and 599 in retried
    assert 200 not in retried and 404 not in retried and 501 not in retried and 505 not in retried
    assert len(retried) == 999 - (499 + 2)
