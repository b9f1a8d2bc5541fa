"""Routing that respects people, through the core: nobody is asked their own question, and a question asked
again while an equivalent one waits joins it instead of being routed twice."""
from __future__ import annotations

import threading

import pytest

from bot.addresses import Address
from bot.curation.champion_commands import parse
from bot.replies import NOT_HELPFUL, SAME_AS, VERIFY
from bot.tables.curation import VerifiedAnswer
from bot.tables.questions import Question, RoutedPost
from tests.bot.support import (CHAMPION_ANSWER, UNKNOWN_QUESTION, audit_trail, make_config, new_chat, questions,
                               rows)

THRESHOLDS = {"answer_threshold": 0.5, "verified_threshold": 0.6}


@pytest.fixture
def chat(kb):
    return new_chat(make_config(**THRESHOLDS), kb)


def test_a_champion_asking_in_their_own_topic_is_not_asked_themselves(chat, kb) -> None:
    chat.ask("alice", UNKNOWN_QUESTION)  # alice is the office champion; carol its backup
    told = chat.last(channel="dm-alice")
    assert "Carol" in told.text and "Alice" not in told.text
    assert len(chat.bot_messages(channel="office-champions")) == 1  # the champions' channel is fine


def test_without_a_channel_the_question_goes_to_the_backup_not_the_asking_champion(kb) -> None:
    config = make_config(answer_threshold=0.99, verified_threshold=0.99)
    office = config.topics["office"].model_copy(update={"channel": {}})
    chat = new_chat(config.model_copy(update={"topics": {**config.topics, "office": office}}), kb)
    asked = chat.ask("alice", UNKNOWN_QUESTION)
    to_alice = chat.bot_messages(channel="dm-alice")
    assert len(to_alice) == 1 and to_alice[0].address.thread == asked.message_id  # her reply, no routed post
    assert "Carol" in to_alice[0].text and "Alice" not in to_alice[0].text
    assert UNKNOWN_QUESTION in chat.last(channel="dm-carol").text
    assert [post.channel for post in rows(kb, RoutedPost)] == ["dm-carol"]


def test_the_same_question_asked_again_joins_the_open_one_and_gets_its_answer(chat, kb) -> None:
    first = chat.ask("you", UNKNOWN_QUESTION)
    second = chat.ask("erin", "can I bring my DOG to the office")  # same words, other case and punctuation
    assert len(chat.bot_messages(channel="office-champions")) == 1  # routed once
    told = chat.last(channel="dm-erin")
    assert told.text.startswith("Someone asked this already") and told.address.thread == second.message_id
    one, two = questions(kb)
    assert (two.status, two.joined_to) == ("joined", one.id)

    post = chat.last(channel="office-champions")
    chat.reply("alice", post, CHAMPION_ANSWER)
    for asker, event in (("you", first), ("erin", second)):
        relayed = chat.last(channel=f"dm-{asker}")
        assert CHAMPION_ANSWER in relayed.text and relayed.address.thread == event.message_id
    ack = chat.last(channel="office-champions")
    chat.click("alice", ack, VERIFY)
    assert "Verified" in chat.last(channel="dm-you").text and "Verified" in chat.last(channel="dm-erin").text
    assert [q.status for q in questions(kb)] == ["verified", "verified"]


def test_a_rewording_that_means_the_same_joins_but_a_different_question_does_not(chat, kb) -> None:
    chat.ask("you", UNKNOWN_QUESTION)
    chat.ask("erin", "Can I bring my dog into the office?")
    chat.ask("bob", "Can I bring my bike into the office?")
    statuses = [(q.status, q.joined_to) for q in questions(kb)]
    assert statuses[1] == ("joined", questions(kb)[0].id)
    assert statuses[2] == ("routed", None)
    assert len(chat.bot_messages(channel="office-champions")) == 2


def test_a_question_answered_already_is_not_joined(chat, kb) -> None:
    chat.ask("you", UNKNOWN_QUESTION)
    chat.reply("alice", chat.last(channel="office-champions"), CHAMPION_ANSWER)
    chat.ask("erin", UNKNOWN_QUESTION)
    assert [q.status for q in questions(kb)] == ["champion_answered", "routed"]
    assert len(rows(kb, RoutedPost)) == 2  # routed again: the first was no longer open


def test_two_identical_questions_at_the_same_moment_route_once(chat, kb) -> None:
    barrier = threading.Barrier(2)

    def ask(who: str) -> None:
        barrier.wait()
        chat.ask(who, UNKNOWN_QUESTION)

    threads = [threading.Thread(target=ask, args=(who,)) for who in ("you", "erin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(rows(kb, RoutedPost)) == 1
    assert sorted(q.status for q in questions(kb)) == ["joined", "routed"]


def test_same_as_on_an_open_question_answers_everyone_who_joined_it(kb) -> None:
    from tests.bot.test_learning import LOOSE, verify_dog_answer

    chat = new_chat(make_config(answer_threshold=0.99, verified_threshold=0.999, suggest_threshold=0.999), kb)
    verify_dog_answer(chat)
    chat.ask("bob", LOOSE)
    joined = chat.ask("erin", LOOSE.upper())
    post = chat.last(channel="office-champions")
    chat.click("alice", post, SAME_AS)
    answer = chat.last(channel="dm-erin")
    assert CHAMPION_ANSWER in answer.text and answer.address.thread == joined.message_id
    erin = rows(kb, Question, Question.asker_id == "erin")[0]
    assert answer.reply.actions[0].value == str(erin.id)  # her own buttons
    assert (erin.status, erin.resolved_by) == ("answered", "champion")


# -- champions tidying: reassign, merge, edit a verified answer ------------------------------------------------

def command(chat, who: str, text: str):
    """A champion types a command in their own conversation with the bot, as every adapter passes it on."""
    name, value = parse(text)
    where = Address("console", f"dm-{who}")
    chat.press(who, name, value, where)
    return chat.last(channel=f"dm-{who}")


def test_a_champion_reassigns_a_question_to_another_topic(chat, kb) -> None:
    chat.ask("you", UNKNOWN_QUESTION)
    question = questions(kb)[0]
    assert f"Question {question.id}." in chat.last(channel="office-champions").reply.context
    assert "no topic called parking" in command(chat, "alice", f"/reassign {question.id} parking").text
    refused = command(chat, "bob", f"/reassign {question.id} security")  # bob is no office champion
    assert f"couldn't find question {question.id}" in refused.text
    assert questions(kb)[0].topic == "office"

    done = command(chat, "alice", f"/reassign {question.id} security")
    assert done.text.startswith(f"Done: question {question.id} now belongs to security") and "Bob" in done.text
    assert UNKNOWN_QUESTION in chat.last(channel="dm-bob").text  # security has no channel: Bob by DM
    assert "security champions" in chat.last(channel="dm-you").text
    moved = questions(kb)[0]
    assert (moved.topic, moved.status, moved.nudge_count) == ("security", "routed", 0)
    assert ("reassign", "console:alice", question.id) in audit_trail(kb)
    assert "already belongs" in command(chat, "bob", f"/reassign {question.id} security").text


def test_a_champion_merges_a_duplicate_and_its_asker_gets_the_answer(chat, kb) -> None:
    chat.ask("you", UNKNOWN_QUESTION)
    duplicate = chat.ask("erin", "Is it fine to take my puppy to work with me?")  # worded too differently to join
    first, second = questions(kb)
    assert second.status == "routed"
    assert "can't merge" in command(chat, "alice", f"merge {second.id} into {second.id}").text

    done = command(chat, "alice", f"merge {second.id} into {first.id}")
    assert done.text.startswith(f"Done: question {second.id} joined question {first.id}")
    assert chat.last(channel="dm-erin").text.startswith("Someone asked this already")
    assert (questions(kb)[1].status, questions(kb)[1].joined_to) == ("joined", first.id)
    assert ("merge", "console:alice", second.id) in audit_trail(kb)

    post = chat.bot_messages(channel="office-champions")[0]
    chat.reply("alice", post, CHAMPION_ANSWER)
    relayed = chat.last(channel="dm-erin")
    assert CHAMPION_ANSWER in relayed.text and relayed.address.thread == duplicate.message_id


def test_a_champion_edits_a_verified_answer_without_telling_the_asker_again(chat, kb) -> None:
    chat.ask("you", UNKNOWN_QUESTION)
    post = chat.last(channel="office-champions")
    chat.reply("alice", post, CHAMPION_ANSWER)
    question = questions(kb)[0]
    assert "no verified answer" in command(chat, "alice", f"/editverified {question.id} Dogs: Fridays only.").text
    chat.click("alice", chat.last(channel="office-champions"), VERIFY)
    told = len(chat.bot_messages(channel="dm-you"))

    new_answer = "Dogs are welcome on Fridays and Saturdays, ground floor only."
    done = command(chat, "alice", f"/editverified {question.id} {new_answer}")
    assert "now reads as you wrote it" in done.text
    verified = rows(kb, VerifiedAnswer)[0]
    assert verified.answer_text == new_answer and kb.entry(verified.entry_id).text == new_answer
    assert ("edit_verified", "console:alice", question.id) in audit_trail(kb)
    assert len(chat.bot_messages(channel="dm-you")) == told  # the asker is not told again
    chat.ask("erin", UNKNOWN_QUESTION)
    assert "Saturdays" in chat.last(channel="dm-erin").text


def test_a_command_without_its_arguments_shows_the_usage(chat, kb) -> None:
    chat.ask("you", UNKNOWN_QUESTION)
    question = questions(kb)[0]
    assert "reassign ID TOPIC" in command(chat, "alice", f"/reassign {question.id}").text


def test_not_helpful_on_a_question_already_waiting_joins_it(chat, kb) -> None:
    from tests.bot.support import LEAVE_QUESTION

    chat.ask("you", LEAVE_QUESTION)
    chat.click("you", chat.last(channel="dm-you"), NOT_HELPFUL)  # now waiting for the leave champion
    chat.ask("erin", LEAVE_QUESTION)
    chat.click("erin", chat.last(channel="dm-erin"), NOT_HELPFUL)
    assert chat.last(channel="dm-erin").text.startswith("Someone asked this already")
    assert len(rows(kb, RoutedPost)) == 1
    assert [(q.status, q.joined_to) for q in questions(kb)][1] == ("joined", questions(kb)[0].id)
