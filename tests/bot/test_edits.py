"""A champion's answer edited after it was relayed: what gets verified is what the message says now."""
from __future__ import annotations

import pytest

from bot.tables.curation import VerifiedAnswer
from bot.tables.questions import ChampionAnswer
from tests.bot.support import CHAMPION_ANSWER, UNKNOWN_QUESTION, Chat, make_config, new_chat, rows

CORRECTED = "Yes: well-behaved dogs are welcome on Fridays, on the first floor only, with a lead."


@pytest.fixture
def chat(kb) -> Chat:
    return new_chat(make_config(answer_threshold=0.5, verified_threshold=0.6), kb)


def answered(chat: Chat):
    """Alice answers the routed question; returns her message and the copy relayed to the asker."""
    chat.ask("you", UNKNOWN_QUESTION)
    post = chat.last(channel="office-champions")
    chat.reply("alice", post, CHAMPION_ANSWER)
    answer = next(m for m in chat.messenger.messages.values() if m.text == CHAMPION_ANSWER and m.reply is None)
    return answer, chat.last(channel="dm-you")


def test_an_answer_edited_before_verification_is_verified_in_its_new_words(chat, kb) -> None:
    answer, relay = answered(chat)
    chat.edit("alice", answer, CORRECTED)

    assert rows(kb, ChampionAnswer)[0].text == CORRECTED
    assert CORRECTED in chat.messenger.messages[relay.id].text  # the asker's copy follows the edit
    chat.react("alice", answer, "white_check_mark")
    [verified] = rows(kb, VerifiedAnswer)
    assert verified.answer_text == CORRECTED
    assert "first floor" in kb.entry(verified.entry_id).text


def test_an_edit_by_anyone_but_the_author_changes_nothing(chat, kb) -> None:
    answer, relay = answered(chat)
    chat.edit("carol", answer, "Dogs are never allowed.")  # carol is a champion too, but not the author
    assert rows(kb, ChampionAnswer)[0].text == CHAMPION_ANSWER
    assert "never" not in chat.messenger.messages[relay.id].text
    chat.react("alice", answer, "white_check_mark")
    assert rows(kb, VerifiedAnswer)[0].answer_text == CHAMPION_ANSWER


def test_an_edit_after_verification_keeps_the_verified_words_until_verified_again(chat, kb) -> None:
    answer, relay = answered(chat)
    chat.react("alice", answer, "white_check_mark")
    chat.edit("alice", answer, CORRECTED)

    [verified] = rows(kb, VerifiedAnswer)
    assert verified.answer_text == CHAMPION_ANSWER and "ground floor" in kb.entry(verified.entry_id).text
    assert "already verified" in chat.last(channel="office-champions").text
    assert CORRECTED in chat.messenger.messages[relay.id].text

    chat.react("alice", answer, "white_check_mark", added=False)
    chat.react("alice", answer, "white_check_mark")
    assert [(v.status, v.answer_text) for v in rows(kb, VerifiedAnswer)] == [
        ("removed", CHAMPION_ANSWER), ("active", CORRECTED)]
