"""Buttons act on an id, and ids can be forged: a button counts only when pressed by someone entitled to it,
in the place where the bot showed it. Through the core as every adapter drives it."""
from __future__ import annotations

import pytest

from bot.addresses import Address
from bot.replies import ASK_CHAMPION, HELPFUL, NOT_HELPFUL, SAME_AS, SUGGESTION_NO, VERIFY
from bot.tables.curation import VerifiedAnswer
from bot.tables.feedback import Feedback
from bot.tables.questions import ChampionAnswer, Question, RoutedPost
from tests.bot.support import CHAMPION_ANSWER, LEAVE_QUESTION, UNKNOWN_QUESTION, Chat, make_config, new_chat, rows

LOOSE = "are pets ok at work on fridays?"


@pytest.fixture
def chat(kb) -> Chat:
    return new_chat(make_config(answer_threshold=0.5, verified_threshold=0.6), kb)


def nothing_routed(chat: Chat, kb) -> None:
    assert rows(kb, RoutedPost) == []
    assert not chat.bot_messages(channel="dm-carol")
    assert rows(kb, Feedback) == []


@pytest.mark.parametrize("name", [NOT_HELPFUL, ASK_CHAMPION, HELPFUL, SUGGESTION_NO])
def test_a_crafted_button_on_someone_elses_private_question_changes_nothing(chat, kb, name) -> None:
    """Mallory sends a button with the id of a question asked in someone else's DM, from her own DM: the
    question is not routed (which would post its text to the champions) and nothing is recorded."""
    chat.ask("you", LEAVE_QUESTION)
    question = rows(kb, Question)[0]
    before = len(chat.messenger.messages)

    chat.press("mallory", name, str(question.id), Address("console", "dm-mallory", "u99"))

    nothing_routed(chat, kb)
    assert rows(kb, Question)[0].status == "answered"
    [refusal] = list(chat.messenger.messages.values())[before:]
    assert refusal.address.channel == "dm-mallory"
    assert "no longer works" in refusal.text and LEAVE_QUESTION not in refusal.text


def test_the_askers_own_button_pressed_from_another_thread_changes_nothing(chat, kb) -> None:
    chat.ask("you", LEAVE_QUESTION)
    question = rows(kb, Question)[0]
    chat.press("you", NOT_HELPFUL, str(question.id), Address("console", "dm-you", "elsewhere"))
    nothing_routed(chat, kb)


def test_a_colleague_in_the_askers_thread_is_told_the_buttons_are_the_askers(chat, kb) -> None:
    chat.ask("you", LEAVE_QUESTION, channel="general")
    answer = chat.last(channel="general")

    chat.click("mallory", answer, NOT_HELPFUL)
    chat.click("mallory", answer, HELPFUL)

    nothing_routed(chat, kb)
    assert "Only the person who asked" in chat.last(channel="general").text

    chat.click("carol", answer, ASK_CHAMPION)  # carol champions leave: she may hand it to the champions
    assert rows(kb, Question)[0].status == "routed"


def test_a_crafted_verify_from_outside_the_questions_threads_verifies_nothing(chat, kb) -> None:
    chat.ask("you", UNKNOWN_QUESTION)
    post = chat.last(channel="office-champions")
    chat.reply("alice", post, CHAMPION_ANSWER)
    answer = rows(kb, ChampionAnswer)[0]

    chat.press("alice", VERIFY, str(answer.id), Address("console", "dm-alice", "u98"))

    assert rows(kb, VerifiedAnswer) == []
    assert "no longer works" in chat.last(channel="dm-alice").text
    thanks = chat.last(channel="office-champions")
    chat.click("alice", thanks, VERIFY)  # the real button, in the routed thread
    assert len(rows(kb, VerifiedAnswer)) == 1


def test_a_crafted_same_as_from_another_routed_thread_answers_nothing(kb) -> None:
    chat = new_chat(make_config(answer_threshold=0.99, verified_threshold=0.999, suggest_threshold=0.999), kb)
    chat.ask("you", UNKNOWN_QUESTION)
    first_post = chat.last(channel="office-champions")
    chat.reply("alice", first_post, CHAMPION_ANSWER)
    chat.react("alice", next(m for m in chat.messenger.messages.values() if m.text == CHAMPION_ANSWER),
               "white_check_mark")
    chat.ask("bob", LOOSE)
    post = chat.last(channel="office-champions")
    offer = next(a for a in post.reply.actions if a.name == SAME_AS)

    chat.press("alice", SAME_AS, offer.value, first_post.address.in_thread(first_post.id))

    assert rows(kb, Question, Question.text == LOOSE)[0].status == "routed"
    assert "no longer works" in chat.last(channel="office-champions").text
    chat.click("alice", post, SAME_AS)
    assert rows(kb, Question, Question.text == LOOSE)[0].status == "answered"
