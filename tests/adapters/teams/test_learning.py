"""Verified answers learning new wordings in Teams: Teams-shaped activities and Action.Submit card data over HTTP
into the real endpoint and CloudAdapter, the real core on the real knowledge base (bundled model, SQLite and
PostgreSQL), replies recorded by the loopback connector."""
from __future__ import annotations

import re

import pytest

from adapters.teams import build_teams_app
from bot.config import parse_config
from bot.core import Lorebot
from knowledge import VERIFIED_COLLECTION
from tests.adapters.teams.support import CHAMPIONS, Teams, storing_messenger
from tests.adapters.teams.support import CONFIG as FLOW_CONFIG
from tests.bot.support import CHAMPION_ANSWER, UNKNOWN_QUESTION
from tests.bot.support import audit_trail as _audit
from tests.bot.support import questions as _questions

# With the real bundled model and one verified entry ("Can I bring my dog to the office?"), these wordings match
# the entry with confidence about 0.97 and 0.74. No handbook passage comes near 0.99, and neither does the entry:
# the first wording is a suggestion (0.85 <= confidence < 0.99), the second is routed to the office champions
# with the entry offered as "Same as…" (similar, but under the suggestion threshold).
CONFIG = {**FLOW_CONFIG, "answers": {"answer_threshold": 0.99, "verified_threshold": 0.99, "suggest_threshold": 0.85}}
SUGGESTED_WORDING = "Could my puppy come along to the office with me?"
ROUTED_WORDING = "Can dogs come to the office?"
VERIFIED_LINE = "Verified answer to “Can I bring my dog to the office?” · Alice, "
ALICE_CHAT = "a:1alice-personal"


@pytest.fixture
def bot(servers, kb, clock, sleeps):
    messenger = storing_messenger(kb.engine, clock=clock, sleep=sleeps)
    core = Lorebot(config=parse_config(CONFIG), knowledge=kb, messenger=messenger,
                   clock=clock)
    servers.serve(build_teams_app(core=core, messenger=messenger))
    yield messenger
    messenger.close()


@pytest.fixture
def entry_id(kb) -> int:
    """What the office champions verified earlier."""
    return kb.add_entry(UNKNOWN_QUESTION, CHAMPION_ANSWER, source="Verified answer › office", verified_by="Alice",
                        collection=VERIFIED_COLLECTION)


# -- helpers ----------------------------------------------------------------------------------------------------
def post(servers, activity: dict) -> None:
    response = servers.post(activity)
    assert response.status_code == 200, response.text


def _route(servers, teams: Teams):
    """The app is in the team; Alice asks a new wording of the dog question, which goes to the champions."""
    post(servers, teams.bot_installed_in_team(CHAMPIONS, members=["dave", "carol", "erin"]))
    post(servers, teams.personal_message("alice", ROUTED_WORDING))
    [routed] = servers.connector.delivered(CHAMPIONS, kind="send")
    return routed


def _suggest(servers, teams: Teams):
    post(servers, teams.personal_message("alice", SUGGESTED_WORDING))
    [suggestion] = servers.connector.delivered(ALICE_CHAT)
    return suggestion


def _same_as(servers, teams: Teams, routed, who: str = "dave") -> None:
    post(servers, teams.card_action(who, routed.action("same_as"), card_id=routed.id, channel=CHAMPIONS,
                                    root=routed.id))


# -- "Same as…" ---------------------------------------------------------------------------------------------------
def test_routed_card_offers_the_similar_verified_answer(servers, teams, bot, kb, entry_id):
    routed = _route(servers, teams)
    [question] = _questions(kb)
    assert (question.status, question.topic) == ("routed", "office")
    assert ROUTED_WORDING in routed.text and "Alice" in routed.text
    assert routed.action("same_as") == {"lorebot_action": "same_as", "value": f"{question.id}:{entry_id}"}
    titles = [a["title"] for a in routed.card["actions"]]
    assert titles == ["Same as “Can I bring my dog to the office?”"]


def test_champions_same_as_sends_the_verified_answer_and_learns_the_wording(servers, teams, bot, kb, entry_id):
    routed = _route(servers, teams)
    told_before = len(servers.connector.delivered(ALICE_CHAT))

    _same_as(servers, teams, routed)

    to_alice = servers.connector.delivered(ALICE_CHAT)
    assert len(to_alice) == told_before + 1
    answer = to_alice[-1]
    assert "Fridays" in answer.text
    assert VERIFIED_LINE in answer.text
    assert re.search(r"· Alice, (just now|\d+ \w+ ago)", answer.text)
    [question] = _questions(kb)
    assert answer.action("helpful") == {"lorebot_action": "helpful", "value": str(question.id)}

    [done] = servers.connector.delivered(CHAMPIONS, kind="reply")
    assert done.activity_id == routed.id
    assert "Done: I've sent Alice the verified answer to “Can I bring my dog to the office?”" in done.text

    assert (question.status, question.answered_by, question.resolved_by) == (
        "answered", "teams:aad-dave", "champion")
    [alias] = kb.aliases()
    assert (alias.entry_id, alias.text, alias.added_by) == (entry_id, ROUTED_WORDING, "teams:aad-dave")
    assert sorted(action for action, _, _ in _audit(kb)) == ["alias_add", "same_as"]
    assert all((actor, qid) == ("teams:aad-dave", question.id) for _, actor, qid in _audit(kb))

    # The learned wording is now answered at once, as verified, without bothering the champions again.
    post(servers, teams.personal_message("erin", ROUTED_WORDING))
    [again] = servers.connector.delivered("a:1erin-personal")
    assert "Fridays" in again.text and VERIFIED_LINE in again.text
    assert len(servers.connector.delivered(CHAMPIONS)) == 2  # the routed card and "Done" only


def test_same_as_on_a_question_routed_to_a_champions_chat_answers_it(servers, teams, kb, clock, sleeps, entry_id):
    """Without a champions' channel the card goes to each champion's chat, where it starts the question's
    thread: "Same as…" pressed there counts, because the click comes from that routed post."""
    topics = {**CONFIG["topics"], "office": {k: v for k, v in CONFIG["topics"]["office"].items() if k != "channel"}}
    messenger = storing_messenger(kb.engine, clock=clock, sleep=sleeps)
    core = Lorebot(config=parse_config({**CONFIG, "topics": topics}), knowledge=kb, messenger=messenger, clock=clock)
    servers.serve(build_teams_app(core=core, messenger=messenger))
    post(servers, teams.bot_installed_in_team(CHAMPIONS, members=["dave", "carol", "erin"]))
    post(servers, teams.personal_message("alice", ROUTED_WORDING))
    [routed] = servers.connector.delivered("a:dm-29:1dave")

    post(servers, teams.card_action("dave", routed.action("same_as"), card_id=routed.id, conversation="a:dm-29:1dave"))

    assert "Fridays" in servers.connector.delivered(ALICE_CHAT)[-1].text
    assert [q.status for q in _questions(kb)] == ["answered"]
    messenger.close()


def test_a_second_same_as_click_is_too_late_and_changes_nothing(servers, teams, bot, kb, entry_id):
    routed = _route(servers, teams)
    _same_as(servers, teams, routed)
    to_alice = len(servers.connector.delivered(ALICE_CHAT))
    audit = _audit(kb)

    _same_as(servers, teams, routed)

    replies = servers.connector.delivered(CHAMPIONS, kind="reply")
    assert len(replies) == 2
    assert "already been answered" in replies[-1].text
    assert len(servers.connector.delivered(ALICE_CHAT)) == to_alice, "the asker got the answer only once"
    assert len(kb.aliases()) == 1
    assert _audit(kb) == audit
    assert _questions(kb)[0].status == "answered"


def test_same_as_by_someone_who_is_not_a_champion_of_the_topic_changes_nothing(servers, teams, bot, kb, entry_id):
    routed = _route(servers, teams)
    to_alice = len(servers.connector.delivered(ALICE_CHAT))

    _same_as(servers, teams, routed, who="erin")

    [refused] = servers.connector.delivered(CHAMPIONS, kind="reply")
    assert "Only the office champions can verify" in refused.text
    assert len(servers.connector.delivered(ALICE_CHAT)) == to_alice
    assert _questions(kb)[0].status == "routed"
    assert kb.aliases() == [] and _audit(kb) == []


# -- suggestions --------------------------------------------------------------------------------------------------
def test_a_similar_verified_answer_is_suggested_with_yes_and_no(servers, teams, bot, kb, entry_id):
    suggestion = _suggest(servers, teams)
    [question] = _questions(kb)
    assert question.status == "suggested"
    assert "Champions answered a similar question: “Can I bring my dog to the office?”" in suggestion.text
    assert "Fridays" in suggestion.text and "Does this answer yours?" in suggestion.text
    assert VERIFIED_LINE in suggestion.text
    assert suggestion.action("suggestion_yes") == {"lorebot_action": "suggestion_yes", "value": str(question.id)}
    assert suggestion.action("suggestion_no") == {"lorebot_action": "suggestion_no", "value": str(question.id)}
    assert servers.connector.delivered(CHAMPIONS) == [], "nobody is bothered before the asker says No"


def test_yes_on_a_suggestion_answers_it_and_learns_the_wording(servers, teams, bot, kb, entry_id):
    suggestion = _suggest(servers, teams)

    post(servers, teams.card_action("alice", suggestion.action("suggestion_yes"), card_id=suggestion.id))

    [question] = _questions(kb)
    assert question.status == "answered"
    [alias] = kb.aliases()
    assert (alias.entry_id, alias.text, alias.added_by) == (entry_id, SUGGESTED_WORDING, "teams:aad-alice")
    assert [action for action, _, _ in _audit(kb)] == ["alias_add"]
    told = servers.connector.delivered(ALICE_CHAT)
    assert len(told) == 2 and "glad that answered it" in told[-1].text
    assert servers.connector.delivered(CHAMPIONS) == []


def test_no_on_a_suggestion_routes_it_to_the_champions(servers, teams, bot, kb, entry_id):
    post(servers, teams.bot_installed_in_team(CHAMPIONS, members=["dave", "carol", "erin"]))
    suggestion = _suggest(servers, teams)

    post(servers, teams.card_action("alice", suggestion.action("suggestion_no"), card_id=suggestion.id))

    [question] = _questions(kb)
    assert question.status == "routed"
    [routed] = servers.connector.delivered(CHAMPIONS, kind="send")
    assert SUGGESTED_WORDING in routed.text
    assert routed.action("same_as") == {"lorebot_action": "same_as", "value": f"{question.id}:{entry_id}"}
    told = servers.connector.delivered(ALICE_CHAT)
    assert len(told) == 2 and "Dave" in told[-1].text
    assert kb.aliases() == [] and _audit(kb) == []
