"""The conversation core end to end: real knowledge base and model, real database (SQLite and PostgreSQL),
the console's messenger as the chat platform."""
from __future__ import annotations

import json
import logging
import threading

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from adapters.wiring import create_schema
from bot.addresses import Address, Person
from bot.curation import curating
from bot.tables.curation import CurationAudit, Rejection, VerifiedAnswer
from bot.tables.feedback import Feedback
from bot.tables.questions import AnswerShown, ChampionAnswer, Question, RoutedPost
from bot.replies import ASK_CHAMPION, HELPFUL, NOT_HELPFUL, VERIFY
from tests.bot.support import (
    CHAMPION_ANSWER,
    LEAVE_QUESTION,
    PARAPHRASE,
    UNKNOWN_QUESTION,
    Chat,
    make_config,
    new_chat,
)

THRESHOLDS = {"answer_threshold": 0.5, "verified_threshold": 0.6}


@pytest.fixture
def chat(kb) -> Chat:
    return new_chat(make_config(**THRESHOLDS), kb)


def rows(kb, model, *where):
    with Session(kb.engine) as session:
        return session.exec(select(model).where(*where)).all()


def routed_question(chat: Chat):
    """Ask the unknown question and return (question row, routed post message)."""
    chat.ask("you", UNKNOWN_QUESTION)
    post = chat.last(channel="office-champions")
    return post


def champion_answers(chat: Chat):
    post = routed_question(chat)
    chat.reply("alice", post, CHAMPION_ANSWER)
    answer = next(m for m in chat.messenger.messages.values() if m.text == CHAMPION_ANSWER and m.reply is None)
    return post, answer


# -- asking ----------------------------------------------------------------------------------------------

def test_confident_question_is_answered_in_the_thread_with_sources_and_buttons(chat, kb) -> None:
    event = chat.ask("you", LEAVE_QUESTION)
    reply = chat.last()
    assert reply.address == Address("console", "dm-you", event.message_id)
    assert "25 days" in reply.text
    assert reply.reply.sources and "Leave" in reply.reply.sources[0].title
    question = rows(kb, Question)[0]
    assert [(a.name, a.value) for a in reply.reply.actions] == [
        (HELPFUL, str(question.id)), (NOT_HELPFUL, str(question.id)), (ASK_CHAMPION, str(question.id))]
    assert (question.status, question.resolved_by, question.topic) == ("answered", "bot", "leave")
    assert question.answered_at is not None and question.routed_at is None
    shown = rows(kb, AnswerShown)[0]
    assert (shown.status, shown.message_id) == ("answered", reply.id)
    assert json.loads(shown.sources)[0]["document"].endswith("leave.md")
    assert not chat.bot_messages(channel="dm-carol")  # nobody else bothered


def test_unknown_question_is_routed_to_the_topic_champions_and_the_asker_told(chat, kb) -> None:
    event = chat.ask("you", UNKNOWN_QUESTION)
    post = chat.last(channel="office-champions")
    assert UNKNOWN_QUESTION in post.text and post.address.thread is None
    assert "console://dm-you/" + event.message_id in post.reply.context
    told = chat.last(channel="dm-you")
    assert told.address.thread == event.message_id
    assert "Alice" in told.text and "not sure" in told.text
    question = rows(kb, Question)[0]
    assert (question.status, question.topic, question.routed_channel, question.routed_thread) == (
        "routed", "office", "office-champions", post.id)
    assert len(rows(kb, RoutedPost)) == 1


def test_topic_without_a_channel_goes_to_each_champion_by_dm(chat, kb) -> None:
    config = make_config(answer_threshold=0.99, verified_threshold=0.99)  # nothing is confident enough
    chat = new_chat(config, kb)
    chat.ask("you", "What should I do about a phishing email asking for my password?")
    post = chat.last(channel="dm-bob")
    assert "phishing" in post.text
    assert "Bob" in chat.last(channel="dm-you").text
    assert rows(kb, Question)[0].topic == "security"


def test_no_champions_configured_still_tells_the_asker(kb) -> None:
    chat = new_chat(make_config(answer_threshold=0.99, verified_threshold=0.99).model_copy(update={"topics": {}}),
                    kb)
    chat.ask("you", UNKNOWN_QUESTION)
    assert len(chat.bot_messages()) == 1
    assert "no champions are set up" in chat.last().text


def test_not_helpful_routes_and_ask_a_champion_routes_only_once(chat, kb) -> None:
    chat.ask("you", LEAVE_QUESTION)
    answer = chat.last()
    chat.click("you", answer, NOT_HELPFUL)
    post = chat.last(channel="dm-carol")
    assert LEAVE_QUESTION in post.text
    assert "Carol" in chat.last(channel="dm-you").text
    chat.click("you", answer, ASK_CHAMPION)
    assert "already with" in chat.last(channel="dm-you").text
    assert len(chat.bot_messages(channel="dm-carol")) == 1
    question = rows(kb, Question)[0]
    assert (question.status, question.routed_thread) == ("routed", post.id)
    assert [f.kind for f in rows(kb, Feedback)] == [NOT_HELPFUL]


def test_helpful_is_recorded_and_thanked(chat, kb) -> None:
    chat.ask("you", LEAVE_QUESTION)
    chat.click("you", chat.last(), HELPFUL)
    assert "Thanks" in chat.last().text
    assert [f.kind for f in rows(kb, Feedback)] == [HELPFUL]


# -- champions -----------------------------------------------------------------------------------------

def test_champion_reply_is_relayed_and_verify_teaches_the_bot(chat, kb) -> None:
    post, answer = champion_answers(chat)
    relay = chat.last(channel="dm-you")
    assert relay.text.startswith("**Alice** answered") and CHAMPION_ANSWER in relay.text
    question = rows(kb, Question)[0]
    assert (question.status, question.answered_by, question.resolved_by) == (
        "champion_answered", "console:alice", "champion")
    assert question.champion_answered_at is not None

    chat.react("alice", answer, "white_check_mark")
    assert "✅ Verified by @Alice" in chat.last(channel="dm-you").text
    verified = rows(kb, VerifiedAnswer)[0]
    assert (verified.question_text, verified.answer_text, verified.champion_name, verified.status) == (
        UNKNOWN_QUESTION, CHAMPION_ANSWER, "Alice", "active")
    assert verified.entry_id is not None and verified.topic == "office"
    assert rows(kb, Question)[0].status == "verified"
    assert [a.action for a in rows(kb, CurationAudit)] == ["verify"]

    chat.ask("bob", PARAPHRASE)
    again = chat.last(channel="dm-bob")
    assert CHAMPION_ANSWER in again.text
    assert f"✅ Verified answer to “{UNKNOWN_QUESTION}” · Alice" in again.reply.context
    # the routed post, the thank-you and the verification (with Pin) only
    assert len(chat.bot_messages(channel="office-champions")) == 3


def test_verify_button_on_the_thank_you_verifies_too(chat, kb) -> None:
    post, _ = champion_answers(chat)
    thanks = chat.last(channel="office-champions")
    assert [a.name for a in thanks.reply.actions] == [VERIFY]
    chat.click("alice", thanks, VERIFY)
    assert len(rows(kb, VerifiedAnswer)) == 1


def test_one_answer_has_one_active_verification_at_most(chat, kb) -> None:
    champion_answers(chat)
    reply = rows(kb, ChampionAnswer)[0]
    question = rows(kb, Question)[0]
    with Session(kb.engine) as session:
        for _ in range(2):
            session.add(VerifiedAnswer(question_id=question.id, question_text=question.text, answer_text=reply.text,
                                       champion_id="console:alice", champion_answer_id=reply.id,
                                       verified_at=question.asked_at, last_verified_at=question.asked_at))
        with pytest.raises(IntegrityError):
            session.commit()


def test_verifying_one_answer_at_the_same_moment_twice_verifies_it_once(chat, kb) -> None:
    champion_answers(chat)
    ctx, champion = chat.core.context, Person("console", "alice", "Alice")
    start = threading.Barrier(4)
    outcomes: list[bool] = []

    def verify() -> None:
        with ctx.session() as session:
            question = session.exec(select(Question)).one()
            reply = session.exec(select(ChampionAnswer)).one()
            start.wait()
            outcomes.append(curating.verify(ctx, session, champion, question, reply))

    threads = [threading.Thread(target=verify) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, False, False, True]
    assert len(rows(kb, VerifiedAnswer, VerifiedAnswer.status == "active")) == 1
    assert kb.stats()["entries"] == 1


def test_a_non_champion_check_mark_is_only_feedback(chat, kb) -> None:
    post, answer = champion_answers(chat)
    chat.react("you", answer, "white_check_mark")
    chat.react("bob", answer, "white_check_mark")  # a champion, but of another topic
    chat.react("you", chat.last(channel="dm-you"), "+1")
    assert rows(kb, VerifiedAnswer) == []
    assert rows(kb, CurationAudit) == []
    assert sorted((f.person_id, f.kind) for f in rows(kb, Feedback)) == [
        ("console:bob", "white_check_mark"), ("console:you", "+1"), ("console:you", "white_check_mark")]
    assert all(h.kind != "entry" for h in kb.search(PARAPHRASE, k=5))


def test_removing_the_check_mark_undoes_the_verification(chat, kb) -> None:
    post, answer = champion_answers(chat)
    chat.react("alice", answer, "white_check_mark")
    assert any(h.kind == "entry" for h in kb.search(PARAPHRASE, k=5))
    chat.react("alice", answer, "white_check_mark", added=False)
    verified = rows(kb, VerifiedAnswer)[0]
    assert verified.status == "removed"
    assert all(h.kind != "entry" for h in kb.search(PARAPHRASE, k=5))
    assert rows(kb, Question)[0].status == "champion_answered"
    assert [a.action for a in rows(kb, CurationAudit)] == ["verify", "unverify"]


def test_pin_marks_the_canonical_answer_and_unpin_undoes(chat, kb) -> None:
    post, answer = champion_answers(chat)
    chat.react("alice", answer, "pushpin")
    assert "Only verified answers can be pinned" in chat.last(channel="office-champions").text
    chat.react("alice", answer, "white_check_mark")
    chat.react("alice", answer, "pushpin")
    assert rows(kb, VerifiedAnswer)[0].pinned is True
    chat.react("alice", answer, "pushpin", added=False)
    assert rows(kb, VerifiedAnswer)[0].pinned is False
    assert [a.action for a in rows(kb, CurationAudit)] == ["verify", "pin", "unpin"]


def test_champion_x_rejects_the_source_for_that_question(chat, kb) -> None:
    chat.ask("you", LEAVE_QUESTION)
    answer = chat.last()
    top = json.loads(rows(kb, AnswerShown)[0].sources)[0]["key"]
    chat.react("you", answer, "x")  # the asker is no champion: feedback only
    assert rows(kb, Rejection) == []
    chat.react("carol", answer, "x")
    assert [(r.hit_key, r.by) for r in rows(kb, Rejection)] == [(top, "console:carol")]
    told = chat.last()  # told where Carol acted; not in the asker's private conversation
    assert told.text == "Got it: I won't offer “Leave policy” for this question again."
    assert told.address.channel == "dm-carol"

    chat.ask("you", LEAVE_QUESTION)  # asked again in the same words: the rejected source is gone
    shown = rows(kb, AnswerShown)[-1]
    assert top not in [s["key"] for s in json.loads(shown.sources)]

    chat.react("carol", answer, "x", added=False)
    assert rows(kb, Rejection) == []
    assert [a.action for a in rows(kb, CurationAudit)] == ["reject", "unreject"]


# -- exactly once, never silent -------------------------------------------------------------------------

def test_a_retried_event_and_a_doubled_delivery_get_exactly_one_answer(chat, kb) -> None:
    chat.ask("you", LEAVE_QUESTION, channel="general", message_id="1700000000.100", event_id="Ev1")
    chat.ask("you", LEAVE_QUESTION, channel="general", message_id="1700000000.100", event_id="Ev1")  # retry
    chat.ask("you", LEAVE_QUESTION, channel="general", message_id="1700000000.100", event_id="Ev2")  # 2nd kind
    assert len(chat.bot_messages()) == 1
    assert len(rows(kb, Question)) == 1


def test_two_replicas_answer_a_message_once(kb, tmp_path, database_url, embedder) -> None:
    from knowledge import KnowledgeBase

    config = make_config(**THRESHOLDS)
    other = KnowledgeBase.open(tmp_path / "home", database_url=database_url, embedder=embedder)
    first, second = new_chat(config, kb), new_chat(config, other)
    barrier = threading.Barrier(2)

    def deliver(chat: Chat, event_id: str) -> None:
        barrier.wait()
        chat.ask("you", LEAVE_QUESTION, channel="general", message_id="1700000000.200", event_id=event_id)

    threads = [threading.Thread(target=deliver, args=(first, "EvA")),
               threading.Thread(target=deliver, args=(second, "EvB"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()
    said = first.bot_messages() + second.bot_messages()
    assert len(said) == 1 and "25 days" in said[0].text
    assert len(rows(kb, Question)) == 1


def test_a_duplicate_reaction_curates_once(chat, kb) -> None:
    post, answer = champion_answers(chat)
    reaction = dict(event_id="EvR", person=Person("console", "alice"), emoji="white_check_mark", added=True)
    from bot.addresses import MessageRef
    from bot.events import Reaction

    for _ in range(3):
        chat.core.handle(Reaction(message=MessageRef(answer.address, answer.id), **reaction))
    assert len(rows(kb, VerifiedAnswer)) == 1
    assert sum("Verified by" in m.text for m in chat.bot_messages(channel="dm-you")) == 1


def test_an_unreadable_attachment_is_explained(chat, kb) -> None:
    chat.ask("you", "", attachments=("scan.png",))
    assert "scan.png" in chat.last().text and "Paste the text" in chat.last().text
    assert rows(kb, Question) == []
    chat.ask("you", LEAVE_QUESTION, attachments=("contract.pdf",))
    reply = chat.last()
    assert "25 days" in reply.text and "contract.pdf" in reply.text


def test_an_empty_message_gets_a_hint(chat) -> None:
    chat.ask("you", "   ")
    assert "Ask me a question" in chat.last().text


def test_a_failure_is_told_kindly_and_never_raised(tmp_path, database_url, embedder) -> None:
    from knowledge import KnowledgeBase

    import sqlalchemy

    kb = KnowledgeBase.open(tmp_path / "home", database_url=database_url, embedder=embedder)
    create_schema(kb.engine)
    chat = new_chat(make_config(**THRESHOLDS), kb)
    with kb.engine.begin() as connection:  # the store breaks under the running bot
        connection.execute(sqlalchemy.text("drop table questions cascade" if kb.engine.dialect.name == "postgresql"
                                           else "drop table questions"))
    chat.ask("you", LEAVE_QUESTION)
    assert "something went wrong" in chat.last().text
    assert chat.last().address.thread is not None


def test_unknown_button_values_are_answered_not_raised(chat) -> None:
    from bot.events import Action

    chat.core.handle(Action(event_id="EvX", person=Person("console", "you"), name=HELPFUL, value="999999",
                            where=Address("console", "dm-you", "u1")))
    assert "no longer works" in chat.last().text


def test_logs_hold_ids_not_message_text(chat, caplog) -> None:
    with caplog.at_level(logging.INFO):
        chat.ask("you", UNKNOWN_QUESTION)
        post = chat.last(channel="office-champions")
        chat.reply("alice", post, CHAMPION_ANSWER)
    assert caplog.records
    for record in caplog.records:
        message = record.getMessage()
        assert "dog" not in message and "Fridays" not in message


# -- views and extensions -------------------------------------------------------------------------------

def test_views_for_app_home(chat, kb) -> None:
    alice, you = Person("console", "alice"), Person("console", "you")
    chat.ask("you", UNKNOWN_QUESTION)
    chat.ask("you", LEAVE_QUESTION)
    assert chat.core.champion_topics(alice) == ["office"]
    assert chat.core.champion_topics(Person("console", "carol")) == ["leave", "office"]  # backup of office
    waiting = chat.core.waiting_for(alice)
    assert [q.text for q in waiting] == [UNKNOWN_QUESTION]
    assert waiting[0].link and waiting[0].link.endswith(chat.last(channel="office-champions").id)
    assert chat.core.waiting_for(you) == []
    assert [q.text for q in chat.core.recent_questions(you)] == [LEAVE_QUESTION, UNKNOWN_QUESTION]
    assert [q.status for q in chat.core.recent_questions(you, limit=1)] == ["answered"]


class LessonCatcher:
    """An extension that claims replies in one thread, as lessons-learned prompts do."""

    def __init__(self, thread: str) -> None:
        self.thread = thread
        self.replies: list[str] = []
        self.reactions: list[str] = []
        self.actions: list[str] = []

    def handle_thread_reply(self, ctx, event) -> bool:
        assert ctx.is_champion(Person("console", "alice"), "office")
        with ctx.session() as session:
            assert session.exec(select(Question)).all() is not None
        if event.where.thread != self.thread:
            return False
        self.replies.append(event.event_id)
        return True

    def handle_reaction(self, ctx, event) -> bool:
        self.reactions.append(event.event_id)
        return True

    def handle_action(self, ctx, event) -> bool:
        if event.name != "still_right":
            return False
        self.actions.append(event.value)
        ctx.messenger.send(event.where, ctx_reply(ctx.person_name(event.person)))
        return True


def ctx_reply(name: str):
    from bot.replies import Reply

    return Reply(text=f"Thanks {name}")


def test_extensions_get_what_the_core_does_not_claim(kb) -> None:
    catcher = LessonCatcher(thread="lesson-1")
    chat = new_chat(make_config(**THRESHOLDS), kb, extensions=[catcher])
    lesson_thread = Address("console", "general", "lesson-1")
    from bot.events import Action, Reaction, ThreadReply
    from bot.addresses import MessageRef

    reply = ThreadReply(event_id="EvL1", person=Person("console", "you"), text="I learned X", where=lesson_thread,
                        message_id="l2")
    chat.core.handle(reply)
    chat.core.handle(reply)  # a retry reaches nobody twice
    chat.core.handle(Reaction(event_id="EvL2", person=Person("console", "alice"), emoji="white_check_mark",
                              added=True, message=MessageRef(lesson_thread, "l2")))
    chat.core.handle(Action(event_id="EvL3", person=Person("console", "alice"), name="still_right", value="5",
                            where=Address("console", "dm-alice")))
    assert (catcher.replies, catcher.reactions, catcher.actions) == (["EvL1"], ["EvL2"], ["5"])
    assert chat.last().text == "Thanks Alice"

    post, answer = champion_answers(chat)  # the core's own threads are not offered
    chat.react("you", answer, "+1")
    assert catcher.reactions == ["EvL2"]
