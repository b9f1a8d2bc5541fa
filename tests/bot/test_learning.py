"""The learning loop on real language: which verified answer is "the same question", suggestions, learned
wordings and "Same as…", through the core as every adapter drives it."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.replies import HELPFUL, SAME_AS, SUGGESTION_NO, SUGGESTION_YES
from bot.tables.curation import CurationAudit, VerifiedAnswer
from bot.tables.questions import Question
from tests.bot.support import CHAMPION_ANSWER, PARAPHRASE, UNKNOWN_QUESTION, Chat, make_config, new_chat

CAT = "Can I bring a cat to the office?"
LOOSE = "are pets ok at work on fridays?"  # shares almost no words with the verified question


def rows(kb, model, *where):
    with Session(kb.engine) as session:
        return session.exec(select(model).where(*where)).all()


def verify_dog_answer(chat: Chat) -> None:
    """The README walkthrough: an unknown question, a champion's answer, a ✅."""
    chat.ask("you", UNKNOWN_QUESTION)
    post = chat.last(channel="office-champions")
    chat.reply("alice", post, CHAMPION_ANSWER)
    answer = next(m for m in chat.messenger.messages.values() if m.text == CHAMPION_ANSWER and m.reply is None)
    chat.react("alice", answer, "white_check_mark")
    assert len(rows(kb_of(chat), VerifiedAnswer)) == 1


def kb_of(chat: Chat):
    return chat.core.knowledge


@pytest.fixture
def chat(kb) -> Chat:
    return new_chat(make_config(answer_threshold=0.99, verified_threshold=0.7, suggest_threshold=0.5), kb)


@pytest.fixture
def suggesting(kb) -> Chat:
    """Every plausible verified match is only a suggestion, whatever the model scores."""
    return new_chat(make_config(answer_threshold=0.99, verified_threshold=0.999, suggest_threshold=0.05), kb)


def test_a_look_alike_question_is_not_given_the_verified_answer(chat, kb) -> None:
    verify_dog_answer(chat)
    chat.ask("bob", CAT)
    reply = chat.last(channel="dm-bob")
    status = rows(kb, Question, Question.text == CAT)[0].status
    assert status in ("suggested", "routed")  # at most offered, naming the question it was verified for
    assert status == "routed" or reply.text.startswith(f"Champions answered a similar question: “{UNKNOWN_QUESTION}”")


def test_a_rewording_gets_the_verified_answer_saying_what_it_answered(chat, kb) -> None:
    verify_dog_answer(chat)
    chat.ask("bob", PARAPHRASE)
    reply = chat.last(channel="dm-bob")
    assert CHAMPION_ANSWER in reply.text
    assert reply.reply.context.startswith(f"✅ Verified answer to “{UNKNOWN_QUESTION}” · Alice, ")


def test_helpful_from_the_asker_teaches_the_entry_their_wording(chat, kb) -> None:
    verify_dog_answer(chat)
    chat.ask("bob", PARAPHRASE)
    shown = chat.last(channel="dm-bob")
    chat.click("erin", shown, HELPFUL)  # not the asker: feedback only
    assert kb.aliases() == []
    chat.click("bob", shown, HELPFUL)
    assert [(a.text, a.added_by) for a in kb.aliases()] == [(PARAPHRASE, "console:bob")]
    assert "alias_add" in [a.action for a in rows(kb, CurationAudit)]
    chat.click("bob", shown, HELPFUL)  # twice changes nothing
    assert len(kb.aliases()) == 1


def test_a_suggestion_yes_answers_and_learns_the_wording(suggesting, kb) -> None:
    chat = suggesting
    verify_dog_answer(chat)
    chat.ask("bob", PARAPHRASE)
    offer = chat.last(channel="dm-bob")
    assert offer.text.startswith(f"Champions answered a similar question: “{UNKNOWN_QUESTION}”")
    assert CHAMPION_ANSWER in offer.text and "Does this answer yours?" in offer.text
    assert [a.name for a in offer.reply.actions] == [SUGGESTION_YES, SUGGESTION_NO]
    question = rows(kb, Question, Question.text == PARAPHRASE)[0]
    assert question.status == "suggested"
    assert len(chat.bot_messages(channel="office-champions")) == 3  # nobody else was bothered yet

    chat.click("bob", offer, SUGGESTION_YES)
    assert "glad that answered it" in chat.last(channel="dm-bob").text
    assert rows(kb, Question, Question.text == PARAPHRASE)[0].status == "answered"
    assert [a.text for a in kb.aliases()] == [PARAPHRASE]
    hits = kb.search(PARAPHRASE, k=3)
    assert hits[0].kind == "entry" and hits[0].confidence > 0.99  # the learned wording now matches outright


def test_a_suggestion_no_goes_to_the_champions(suggesting, kb) -> None:
    chat = suggesting
    verify_dog_answer(chat)
    chat.ask("bob", PARAPHRASE)
    chat.click("bob", chat.last(channel="dm-bob"), SUGGESTION_NO)
    assert rows(kb, Question, Question.text == PARAPHRASE)[0].status == "routed"
    assert PARAPHRASE in chat.last(channel="office-champions").text
    assert kb.aliases() == []


def test_same_as_answers_the_asker_at_once_and_learns_the_wording(kb) -> None:
    chat = new_chat(make_config(answer_threshold=0.99, verified_threshold=0.999, suggest_threshold=0.999), kb)
    verify_dog_answer(chat)
    chat.ask("bob", LOOSE)
    post = chat.last(channel="office-champions")
    assert LOOSE in post.text
    offers = [a for a in post.reply.actions if a.name == SAME_AS]
    assert offers and offers[0].label.startswith("Same as “Can I bring my dog")
    entry_id = rows(kb, VerifiedAnswer)[0].entry_id
    assert offers[0].value == f"{rows(kb, Question, Question.text == LOOSE)[0].id}:{entry_id}"

    chat.click("bob", post, SAME_AS)  # the asker is no champion of office
    assert "Only the office champions" in chat.last(channel="office-champions").text
    assert rows(kb, Question, Question.text == LOOSE)[0].status == "routed"

    chat.click("alice", post, SAME_AS)
    answer = chat.last(channel="dm-bob")
    assert CHAMPION_ANSWER in answer.text and f"Verified answer to “{UNKNOWN_QUESTION}”" in answer.reply.context
    question = rows(kb, Question, Question.text == LOOSE)[0]
    assert (question.status, question.resolved_by, question.answered_by) == ("answered", "champion", "console:alice")
    assert [a.text for a in kb.aliases()] == [LOOSE]
    assert "Done: I've sent" in chat.last(channel="office-champions").text
    assert {"same_as", "alias_add"} <= {a.action for a in rows(kb, CurationAudit)}

    sent = len(chat.bot_messages(channel="dm-bob"))
    chat.click("alice", post, SAME_AS)  # a second click answers nobody twice
    assert "already been answered" in chat.last(channel="office-champions").text
    assert len(chat.bot_messages(channel="dm-bob")) == sent


def test_helpful_after_the_entry_was_withdrawn_is_only_thanked(chat, kb) -> None:
    verify_dog_answer(chat)
    chat.ask("bob", PARAPHRASE)
    shown = chat.last(channel="dm-bob")
    kb.remove_entry(rows(kb, VerifiedAnswer)[0].entry_id)
    chat.click("bob", shown, HELPFUL)
    assert "Thanks" in chat.last(channel="dm-bob").text
    assert kb.aliases() == []
