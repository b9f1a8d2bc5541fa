"""Slack's Agents & AI Apps surface through the real Bolt app (signed requests, the fake Web API, the real core
and knowledge base): a new assistant thread is greeted with the most asked verified questions the person may
read, and a message in it is answered in that thread like a direct message, with a status and a title."""
from __future__ import annotations

import json

import pytest

from adapters.slack import messages
from bot.tables.curation import VerifiedAnswer
from tests.adapters.slack.conftest import CONFIG, serve_rig

DOGS = "Can I bring my dog to the office?"
PARKING = "Where can I park my bike?"
BONUS = "When is the finance team's bonus paid?"
LEAVE = "How many days of annual leave do full-time employees get?"


@pytest.fixture
def rig(kb):
    config = {**CONFIG, "people": {**CONFIG["people"], "fiona": {"name": "Fiona", "team": "finance",
                                                                "ids": {"slack": "UFIONA"}}},
              "teams": {**CONFIG["teams"], "finance": {"manager": "fiona"}},
              "collections": {"finance": {"visible_to": ["team:finance"]}}}
    yield from serve_rig(kb, config)


def verified(rig, question: str, answer: str, collection: str = "verified") -> None:
    """A verified answer as curation leaves it: a knowledge base entry and its row."""
    entry_id = rig.kb.add_entry(question, answer, source="champion", verified_by="slack:UALICE",
                                collection=collection)
    now = rig.core.context.now()
    with rig.core.context.session() as session:
        session.add(VerifiedAnswer(question_text=question, answer_text=answer, champion_id="slack:UALICE",
                                   entry_id=entry_id, verified_at=now, last_verified_at=now))
        session.commit()


def start_thread(rig, user: str, thread: str) -> int:
    return rig.event({"type": "assistant_thread_started", "event_ts": rig.api.next_ts(),
                      "assistant_thread": {"user_id": user, "channel_id": f"D{user}", "thread_ts": thread,
                                           "context": {"channel_id": "CGENERAL"}}})


def say_in_thread(rig, user: str, thread: str, text: str, ts: str) -> int:
    return rig.event({"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user,
                      "text": text, "ts": ts, "thread_ts": thread})


def prompts(rig) -> list[str]:
    [call] = rig.api.named("assistant.threads.setSuggestedPrompts")
    return [prompt["message"] for prompt in call["prompts"]]


def test_a_new_thread_is_greeted_with_the_most_asked_verified_questions_the_person_may_read(rig) -> None:
    verified(rig, PARKING, "Bike racks are behind the building.")
    verified(rig, DOGS, "Dogs are welcome on Fridays, on the ground floor.")
    verified(rig, BONUS, "Bonuses are paid in March.", collection="verified:finance")
    assert rig.dm("UCAROL", DOGS, "100.1") == 200  # asked for again: the dogs answer leads
    rig.settle()
    assert "Fridays" in json.dumps(rig.api.posts_to("DUCAROL", thread="100.1"))

    assert start_thread(rig, "UERIN", "500.1") == 200
    rig.settle()
    [greeting] = rig.api.posts_to("DUERIN", thread="500.1")
    assert greeting["text"] == messages.ASSISTANT_GREETING
    assert prompts(rig) == [DOGS, PARKING]  # not the finance team's bonus: Erin may not read it


def test_someone_in_the_audience_is_offered_its_questions_too(rig) -> None:
    verified(rig, BONUS, "Bonuses are paid in March.", collection="verified:finance")
    assert start_thread(rig, "UFIONA", "600.1") == 200
    rig.settle()
    assert prompts(rig) == [BONUS]


def test_with_nothing_verified_the_prompts_are_generic(rig) -> None:
    assert start_thread(rig, "UERIN", "700.1") == 200
    rig.settle()
    assert 0 < len(prompts(rig)) <= 4


def test_a_message_in_the_thread_is_answered_there_with_a_status_and_a_title(rig) -> None:
    assert start_thread(rig, "UERIN", "800.1") == 200
    assert say_in_thread(rig, "UERIN", "800.1", LEAVE, "800.2") == 200
    rig.settle()
    [status] = rig.api.named("assistant.threads.setStatus")
    assert (status["channel_id"], status["thread_ts"], status["status"]) == ("DUERIN", "800.1",
                                                                              messages.ASSISTANT_SEARCHING)
    [title] = rig.api.named("assistant.threads.setTitle")
    assert title["thread_ts"] == "800.1" and title["title"].startswith("How many days of annual leave")
    assert len(title["title"]) <= 60
    answers = rig.api.posts_to("DUERIN", thread="800.1")[1:]  # after the greeting
    assert len(answers) == 1 and "25 days" in json.dumps(answers)
    assert any(element["action_id"].startswith("lorebot:") for block in answers[0]["blocks"]
               if block["type"] == "actions" for element in block["elements"])  # Helpful / Not helpful


def test_after_a_restart_a_thread_is_known_by_its_root(rig) -> None:
    """The process did not see the thread start: Slack's root message says it is an assistant thread."""
    rig.api.subtypes[("DUERIN", "900.1")] = "assistant_app_thread"
    assert say_in_thread(rig, "UERIN", "900.1", LEAVE, "900.2") == 200
    rig.settle()
    assert len(rig.api.named("assistant.threads.setStatus")) == 1
    assert "25 days" in json.dumps(rig.api.posts_to("DUERIN", thread="900.1"))


def test_a_reply_in_another_dm_thread_is_no_question(rig) -> None:
    """Lorebot's own DM threads (a routed question, a lesson prompt) keep today's thread-reply path."""
    assert say_in_thread(rig, "UERIN", "950.1", LEAVE, "950.2") == 200
    rig.settle()
    assert rig.api.named("assistant.threads.setStatus") == []
    assert rig.api.posts_to("DUERIN", thread="950.1") == []
