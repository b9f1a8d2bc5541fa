"""Teams end to end: Teams-shaped activities over HTTP into the real endpoint and CloudAdapter, the real core
on the real knowledge base (bundled model, SQLite and PostgreSQL), replies recorded by the loopback connector."""
from __future__ import annotations

import pytest
import requests
from sqlmodel import Session, select

from adapters.teams import build_teams_app
from bot.addresses import Person
from bot.config import parse_config
from bot.core import Lorebot
from bot.replies import Reply
from bot.tables.contacts import Contact
from bot.tables.curation import VerifiedAnswer
from bot.tables.feedback import Feedback
from bot.tables.questions import ChampionAnswer, Question, RoutedPost
from tests.adapters.teams.support import CHAMPIONS, CONFIG, GENERAL, Teams, storing_messenger
from tests.bot.support import CHAMPION_ANSWER, LEAVE_QUESTION, PARAPHRASE, UNKNOWN_QUESTION

ALICE_CHAT = "a:1alice-personal"


@pytest.fixture
def bot(servers, kb, clock, sleeps):
    messenger = storing_messenger(kb.engine, clock=clock, sleep=sleeps)
    core = Lorebot(config=parse_config(CONFIG), knowledge=kb, messenger=messenger, clock=clock)
    servers.serve(build_teams_app(core=core, messenger=messenger))
    yield messenger
    messenger.close()


def rows(kb, model, *where):
    with Session(kb.engine) as session:
        return session.exec(select(model).where(*where)).all()


def post(servers, activity: dict) -> None:
    response = servers.post(activity)
    assert response.status_code == 200, response.text


def install(servers, teams: Teams) -> None:
    """The app is added to the team: Teams announces the champions' channel and the members."""
    post(servers, teams.bot_installed_in_team(CHAMPIONS, members=["dave", "carol", "erin"]))


def route_dog_question(servers, teams: Teams):
    """Alice asks what the handbook does not cover; it goes to the office champions' channel."""
    install(servers, teams)
    post(servers, teams.personal_message("alice", UNKNOWN_QUESTION))
    [routed] = servers.connector.delivered(CHAMPIONS, kind="send")
    return routed


def dave_answers(servers, teams: Teams, routed) -> tuple[str, object]:
    """Dave replies in the routed thread (Teams delivers it because he @mentions the bot); returns the
    reply's id and the bot's acknowledgement in that thread."""
    reply = teams.channel_message("dave", CHAMPION_ANSWER, channel=CHAMPIONS, root=routed.id)
    post(servers, reply)
    [ack] = servers.connector.delivered(CHAMPIONS, kind="reply")
    assert ack.activity_id == routed.id
    return reply["id"], ack


def test_personal_question_is_answered_with_an_adaptive_card(servers, teams, bot, kb):
    post(servers, teams.personal_message("alice", LEAVE_QUESTION))
    [answer] = servers.connector.delivered()
    assert (answer.kind, answer.conversation) == ("send", ALICE_CHAT)
    card = answer.card
    assert card["type"] == "AdaptiveCard"
    assert "25 days" in answer.text
    assert "Sources" in answer.text and "Leave policy" in answer.text
    question = rows(kb, Question)[0]
    assert [a["title"] for a in card["actions"]] == ["Helpful", "Not helpful", "Ask a champion"]
    assert answer.action("not_helpful") == {"lorebot_action": "not_helpful", "value": str(question.id)}
    assert (question.platform, question.asker_id, question.status) == ("teams", "aad-alice", "answered")


def test_the_same_delivery_twice_is_answered_once(servers, teams, bot):
    activity = teams.personal_message("alice", LEAVE_QUESTION)
    post(servers, activity)
    post(servers, activity)
    assert len(servers.connector.delivered()) == 1


def test_a_message_is_acknowledged_before_its_answer_is_sent(servers, teams, bot):
    servers.connector.delay = 1.0
    activity = teams.personal_message("alice", LEAVE_QUESTION)
    response = requests.post(servers.bot_url, json=activity, timeout=30)
    assert response.status_code == 200
    assert servers.connector.calls == []  # the answer is still on its way
    servers.settle()
    assert len(servers.connector.delivered()) == 1


def test_the_same_delivery_to_two_replicas_is_answered_once(servers, teams, kb, clock, sleeps):
    replicas = []
    for _ in range(2):
        messenger = storing_messenger(kb.engine, clock=clock, sleep=sleeps)
        core = Lorebot(config=parse_config(CONFIG), knowledge=kb, messenger=messenger, clock=clock)
        replicas.append((servers.serve(build_teams_app(core=core, messenger=messenger)), messenger))
    activity = teams.personal_message("alice", LEAVE_QUESTION)
    for url, _ in replicas:
        servers.bot_url = url
        post(servers, activity)
    assert len(servers.connector.delivered()) == 1
    assert len(rows(kb, Question)) == 1
    for _, messenger in replicas:
        messenger.close()


def test_channel_mention_is_answered_in_its_thread(servers, teams, bot, kb):
    mention = teams.channel_message("erin", LEAVE_QUESTION, channel=GENERAL)
    post(servers, mention)
    [answer] = servers.connector.delivered()
    assert (answer.kind, answer.conversation, answer.activity_id) == ("reply", GENERAL, mention["id"])
    assert "25 days" in answer.text
    question = rows(kb, Question)[0]
    assert question.text == LEAVE_QUESTION  # the mention is gone
    assert (question.channel, question.thread) == (GENERAL, mention["id"])


def test_channel_chatter_without_a_mention_is_ignored(servers, teams, bot, kb):
    post(servers, teams.channel_message("erin", "Lunch at noon?", channel=GENERAL, mention=False))
    assert servers.connector.calls == [] and rows(kb, Question) == []


def test_not_helpful_routes_the_question_to_its_champion(servers, teams, bot, kb):
    install(servers, teams)  # Carol (leave champion) was met in the team, never in a personal chat
    post(servers, teams.personal_message("alice", LEAVE_QUESTION))
    [answer] = servers.connector.delivered()
    post(servers, teams.card_action("alice", answer.action("not_helpful"), card_id=answer.id))

    [create] = [call for call in servers.connector.calls if call.kind == "create"]
    assert create.body["members"][0]["id"] == "29:1carol"
    [routed] = servers.connector.delivered("a:dm-29:1carol")
    assert LEAVE_QUESTION in routed.text and "Alice" in routed.text
    told = servers.connector.delivered(ALICE_CHAT)[-1]
    assert "Carol" in told.text
    assert rows(kb, Question)[0].status == "routed"
    assert [f.kind for f in rows(kb, Feedback)] == ["not_helpful"]


def test_champion_verifies_by_reaction_and_the_asker_is_told(servers, teams, bot, kb):
    routed = route_dog_question(servers, teams)
    assert UNKNOWN_QUESTION in routed.text
    assert "Dave" in servers.connector.delivered(ALICE_CHAT)[-1].text  # never silent: who has it now
    _, ack = dave_answers(servers, teams, routed)
    relay = servers.connector.delivered(ALICE_CHAT)[-1]
    assert CHAMPION_ANSWER in relay.text

    post(servers, teams.reaction("dave", ack.id, "like", channel=CHAMPIONS, root=routed.id))

    [verified] = rows(kb, VerifiedAnswer)
    assert (verified.answer_text, verified.champion_name, verified.topic) == (CHAMPION_ANSWER, "Dave", "office")
    assert "Verified by @Dave" in servers.connector.delivered(ALICE_CHAT)[-1].text
    # The next person gets the verified answer at once.
    post(servers, teams.personal_message("erin", PARAPHRASE))
    answer = servers.connector.delivered("a:1erin-personal")[-1]
    assert "Fridays" in answer.text and "Verified answer to" in answer.text and "Dave" in answer.text


def test_champion_verifies_with_the_card_button(servers, teams, bot, kb):
    routed = route_dog_question(servers, teams)
    _, ack = dave_answers(servers, teams, routed)
    verify = ack.action("verify")
    assert verify == {"lorebot_action": "verify", "value": str(rows(kb, ChampionAnswer)[0].id)}

    post(servers, teams.card_action("dave", verify, card_id=ack.id, channel=CHAMPIONS, root=routed.id))

    assert len(rows(kb, VerifiedAnswer)) == 1
    assert rows(kb, Question)[0].status == "verified"
    assert "Verified by @Dave" in servers.connector.delivered(ALICE_CHAT)[-1].text


def test_reaction_by_someone_who_is_not_a_champion_changes_nothing(servers, teams, bot, kb):
    routed = route_dog_question(servers, teams)
    _, ack = dave_answers(servers, teams, routed)
    sent = len(servers.connector.delivered())

    post(servers, teams.reaction("erin", ack.id, "like", channel=CHAMPIONS, root=routed.id))
    post(servers, teams.card_action("erin", ack.action("verify"), card_id=ack.id, channel=CHAMPIONS,
                                    root=routed.id))

    assert rows(kb, VerifiedAnswer) == []
    assert rows(kb, Question)[0].status == "champion_answered"
    assert not any("Verified" in call.text for call in servers.connector.delivered(ALICE_CHAT))
    assert len(servers.connector.delivered()) == sent + 1  # only "only champions can verify" to Erin


def test_removing_the_reaction_undoes_the_verification(servers, teams, bot, kb):
    routed = route_dog_question(servers, teams)
    _, ack = dave_answers(servers, teams, routed)
    post(servers, teams.reaction("dave", ack.id, "heart", channel=CHAMPIONS, root=routed.id))
    post(servers, teams.reaction("dave", ack.id, "heart", added=False, channel=CHAMPIONS, root=routed.id))
    assert [v.status for v in rows(kb, VerifiedAnswer)] == ["removed"]


def test_references_from_conversations_are_stored_and_used_proactively(servers, teams, bot, kb):
    post(servers, teams.personal_message("alice", LEAVE_QUESTION))
    install(servers, teams)
    assert {c.key for c in rows(kb, Contact)} >= {ALICE_CHAT, CHAMPIONS, "aad-alice", "aad-dave"}
    # A job, later: DM Alice and Dave through the Messenger port.
    for who in ("aad-alice", "aad-dave"):
        bot.send(bot.open_dm(Person("teams", who)), Reply(text="Your weekly digest is ready."))
    assert servers.connector.delivered(ALICE_CHAT)[-1].body["text"] == "Your weekly digest is ready."
    assert servers.connector.delivered("a:dm-29:1dave")[-1].body["text"] == "Your weekly digest is ready."
    assert rows(kb, RoutedPost) == []


def test_many_questions_at_once_are_all_answered(servers, teams, bot, kb):
    """Sends made by the core's worker threads need botbuilder's own executor; the core must not occupy it."""
    from concurrent.futures import ThreadPoolExecutor

    people = [f"user{i}" for i in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda who: servers.post(teams.personal_message(who, LEAVE_QUESTION)).status_code,
                                 people))
    assert statuses == [200] * 16
    assert sorted(call.conversation for call in servers.connector.delivered()) == sorted(
        teams.personal_conversation(who) for who in people)
    assert len(rows(kb, Question)) == 16


def test_champion_in_a_personal_chat_answers_by_quoting_and_verifies_by_reaction(servers, teams, bot, kb):
    install(servers, teams)
    post(servers, teams.personal_message("alice", LEAVE_QUESTION))
    [answer] = servers.connector.delivered()
    post(servers, teams.card_action("alice", answer.action("ask_champion"), card_id=answer.id))
    carol_chat = "a:dm-29:1carol"
    [routed] = servers.connector.delivered(carol_chat)

    post(servers, teams.personal_message("carol", "Ten days of sick leave on full pay.", conversation=carol_chat,
                                         quoting=routed.id))
    assert "Ten days of sick leave" in servers.connector.delivered(ALICE_CHAT)[-1].text
    ack = servers.connector.delivered(carol_chat)[-1]
    assert ack.action("verify")

    post(servers, teams.reaction("carol", ack.id, "like", conversation=carol_chat))

    [verified] = rows(kb, VerifiedAnswer)
    assert (verified.champion_name, verified.topic) == ("Carol", "leave")
    assert "Verified by @Carol" in servers.connector.delivered(ALICE_CHAT)[-1].text


def test_askers_reaction_on_an_answer_in_a_personal_chat_is_feedback(servers, teams, bot, kb):
    post(servers, teams.personal_message("alice", LEAVE_QUESTION))
    [answer] = servers.connector.delivered()
    post(servers, teams.reaction("alice", answer.id, "laugh"))
    assert [(f.kind, f.person_id) for f in rows(kb, Feedback)] == [("laughing", "teams:aad-alice")]
    assert rows(kb, VerifiedAnswer) == []


def test_card_data_forged_by_someone_else_routes_nothing(servers, teams, bot, kb):
    """Erin's client sends Alice's "Not helpful" card data from Erin's own chat: Alice's private question is not
    posted to the champions and nothing is recorded; Erin hears only that the button no longer works."""
    install(servers, teams)
    post(servers, teams.personal_message("alice", LEAVE_QUESTION))
    [answer] = servers.connector.delivered()
    post(servers, teams.personal_message("erin", LEAVE_QUESTION))
    erins = servers.connector.delivered("a:1erin-personal")[-1]

    post(servers, teams.card_action("erin", answer.action("not_helpful"), card_id=erins.id))

    assert not [call for call in servers.connector.calls if call.kind == "create"]
    assert not servers.connector.delivered("a:dm-29:1carol")
    assert "no longer works" in servers.connector.delivered("a:1erin-personal")[-1].text
    assert rows(kb, Feedback) == [] and rows(kb, RoutedPost) == []
    assert [q.status for q in rows(kb, Question)] == ["answered", "answered"]


def test_an_answer_edited_after_it_was_relayed_is_verified_in_its_new_words(servers, teams, bot, kb):
    corrected = "Dogs are welcome on Fridays, on the first floor only, on a lead."
    routed = route_dog_question(servers, teams)
    reply_id, ack = dave_answers(servers, teams, routed)

    post(servers, teams.edit("erin", reply_id, "Dogs are never allowed.", channel=CHAMPIONS, root=routed.id))
    post(servers, teams.edit("dave", reply_id, corrected, channel=CHAMPIONS, root=routed.id))
    post(servers, teams.edit("dave", reply_id, corrected, channel=CHAMPIONS, root=routed.id))  # a new edit, same words

    [update] = [call for call in servers.connector.calls if call.kind == "update"]
    assert update.conversation == ALICE_CHAT and "first floor only" in update.text
    assert rows(kb, ChampionAnswer)[0].text == corrected
    post(servers, teams.card_action("dave", ack.action("verify"), card_id=ack.id, channel=CHAMPIONS, root=routed.id))
    assert [v.answer_text for v in rows(kb, VerifiedAnswer)] == [corrected]


def test_an_answers_sources_link_to_where_the_documents_are_published(servers, teams, kb, clock, sleeps):
    messenger = storing_messenger(kb.engine, clock=clock, sleep=sleeps)
    config = parse_config({**CONFIG, "collections": {"handbook": {"base_url": "https://wiki.example.com/handbook/"}}})
    core = Lorebot(config=config, knowledge=kb, messenger=messenger, clock=clock)
    servers.serve(build_teams_app(core=core, messenger=messenger))
    try:
        post(servers, teams.personal_message("alice", LEAVE_QUESTION))
        [answer] = servers.connector.delivered()
        lines = [item["text"] for block in answer.card["body"] if block.get("type") == "Container"
                 for item in block["items"]]
        assert any(line.startswith("[Leave policy](https://wiki.example.com/handbook/leave)") for line in lines)
    finally:
        messenger.close()


def test_the_admins_digest_counts_an_asker_in_no_team_and_links_the_thread(servers, teams, kb, clock, sleeps):
    """Zed is in no [people] entry: his question in General reaches no manager, but the admin's digest lists it
    under Unassigned with a deep link to its thread."""
    from jobs import JobRunner

    messenger = storing_messenger(kb.engine, clock=clock, sleep=sleeps)
    core = Lorebot(config=parse_config({**CONFIG, "admins": ["erin"]}), knowledge=kb, messenger=messenger,
                   clock=clock)
    servers.serve(build_teams_app(core=core, messenger=messenger))
    try:
        install(servers, teams)
        mention = teams.channel_message("zed", UNKNOWN_QUESTION, channel=GENERAL)
        post(servers, mention)
        clock.advance(days=1)
        run = JobRunner(core).run("digest")
        assert run.sent == 2
        texts = [call.body.get("text", "") + str(call.card or "") for call in servers.connector.delivered("a:dm-29:1erin")]
        [org] = [text for text in texts if "Everyone" in text]
        [team] = [text for text in texts if "ops: the week" in text]
        assert "Unassigned" in org and "dog" in org.lower() and "dog" not in team.lower()
        assert f"https://teams.microsoft.com/l/message/{GENERAL.replace(':', '%3A').replace('@', '%40')}/" in org
    finally:
        messenger.close()


def test_a_repeat_joins_and_a_champion_merges_a_duplicate_by_a_chat_command(servers, teams, bot, kb):
    routed = route_dog_question(servers, teams)
    post(servers, teams.personal_message("carol", UNKNOWN_QUESTION.upper()))
    [joined] = servers.connector.delivered("a:1carol-personal")
    assert joined.text.startswith("Someone asked this already")
    post(servers, teams.personal_message("erin", "Is it fine to take my puppy to work with me?"))
    assert len(servers.connector.delivered(CHAMPIONS, kind="send")) == 2, "a different wording is routed"
    first, _, puppy = rows(kb, Question)

    post(servers, teams.personal_message("erin", f"/merge {puppy.id} {first.id}"))  # no champion of office
    assert "couldn't find question" in servers.connector.delivered("a:1erin-personal")[-1].text
    post(servers, teams.personal_message("dave", f"/merge {puppy.id} into {first.id}"))
    assert f"question {puppy.id} joined question {first.id}" in servers.connector.delivered("a:1dave-personal")[-1].text
    assert servers.connector.delivered("a:1erin-personal")[-1].text.startswith("Someone asked this already")

    dave_answers(servers, teams, routed)
    for chat in ("a:1alice-personal", "a:1carol-personal", "a:1erin-personal"):
        assert CHAMPION_ANSWER in servers.connector.delivered(chat)[-1].text, chat
    assert [q.status for q in rows(kb, Question)] == ["champion_answered"] * 3


def test_cards_tell_champions_to_press_verify_never_to_react_with_a_check(servers, teams, bot, kb):
    routed = route_dog_question(servers, teams)
    _, ack = dave_answers(servers, teams, routed)
    for card in (routed, ack):
        assert "✅" not in card.text and "React" not in card.text
    assert "press Verify on my reply to your answer (or react 👍 on it)" in routed.text
    assert "Press Verify (or react 👍 on this card) to make it verified knowledge." in ack.text
    assert ack.action("verify")


def test_a_champion_pins_a_verified_answer_with_the_pin_button(servers, teams, bot, kb):
    routed = route_dog_question(servers, teams)
    _, ack = dave_answers(servers, teams, routed)
    post(servers, teams.card_action("dave", ack.action("verify"), card_id=ack.id, channel=CHAMPIONS, root=routed.id))
    [verified] = rows(kb, VerifiedAnswer)
    done = servers.connector.delivered(CHAMPIONS, kind="reply")[-1]  # in the thread where Dave pressed Verify
    assert done.activity_id == routed.id and "✅ Verified" in done.text
    pin = done.action("pin")
    assert pin == {"lorebot_action": "pin", "value": str(verified.id)}

    post(servers, teams.card_action("erin", pin, card_id=done.id, channel=CHAMPIONS, root=routed.id))
    assert not rows(kb, VerifiedAnswer)[0].pinned  # not a champion of office
    assert "Only the office champions can pin answers" in servers.connector.delivered(CHAMPIONS)[-1].text

    post(servers, teams.card_action("dave", pin, card_id=done.id, channel=CHAMPIONS, root=routed.id))
    assert rows(kb, VerifiedAnswer)[0].pinned
    told = servers.connector.delivered(CHAMPIONS, kind="reply")[-1]
    assert told.activity_id == routed.id and "📌 Pinned as the go-to answer for office." in told.text


def test_a_pin_button_from_elsewhere_pins_nothing(servers, teams, bot, kb):
    routed = route_dog_question(servers, teams)
    _, ack = dave_answers(servers, teams, routed)
    post(servers, teams.card_action("dave", ack.action("verify"), card_id=ack.id, channel=CHAMPIONS, root=routed.id))
    [verified] = rows(kb, VerifiedAnswer)
    forged = {"lorebot_action": "pin", "value": str(verified.id)}
    post(servers, teams.card_action("dave", forged, card_id="1:somewhere", channel=GENERAL, root="1:other"))
    assert not rows(kb, VerifiedAnswer)[0].pinned


def test_a_champion_types_stats_for_their_own_impact(servers, teams, bot, kb, clock):
    """Carol's last 30 days as ``tests.bot.impact_support`` counts them; Erin is no champion."""
    from tests.bot.impact_support import EXPECTED, seed_impact

    seed_impact(kb.engine, "teams:aad-carol", "Carol", clock.now)
    post(servers, teams.personal_message("carol", "/stats"))
    [stats] = servers.connector.delivered("a:1carol-personal")
    assert "Your impact, last 30 days" in stats.text and EXPECTED in stats.text
    post(servers, teams.personal_message("erin", "/stats"))
    [other] = servers.connector.delivered("a:1erin-personal")
    assert "answer(s)" not in other.text and "shows a champion how their answers helped" in other.text
    assert rows(kb, Question, Question.text == "/stats") == []  # a command, never a question for the champions
