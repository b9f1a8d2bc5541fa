"""The company's LLM in the real core (SQLite and PostgreSQL), against the loopback OpenAI-compatible stand-in:
written answers with their sources, abstention to the champions, the extract as fallback, no call on weak
retrieval, restricted collections never in the prompt, the judge for uncertain verified matches, ✅ on a
written answer, and the breaker shown to admins."""
from __future__ import annotations

import io
import time

import pytest

from adapters.console import ConsoleMessenger
from bot.config import parse_config
from bot.core import Lorebot
from bot.tables.curation import VerifiedAnswer
from bot.tables.llm_health import LlmHealth, skipped
from bot.tables.questions import Question, RoutedPost
from knowledge.llm import Llm, LlmOptions
from tests.bot.support import (CHAMPION_ANSWER, LEAVE_QUESTION, PARAPHRASE, RAW_CONFIG, UNKNOWN_QUESTION, Chat,
                               Clock, rows)
from tests.bot.test_audiences import FINANCE, SALARY_DOC, SALARY_FIGURE, SALARY_QUESTION, restricted_config
from tests.knowledge.llm.fake_llm import FakeLlm, Fault, fake  # noqa: F401 - fake is the fixture

WRITTEN = "Full-time employees get 25 days of annual leave a year [1]."
THRESHOLDS = {"answer_threshold": 0.5, "verified_threshold": 0.6}



def llm_for(fake: FakeLlm, **options) -> Llm:
    return Llm(LlmOptions(base_url=f"{fake.url}/v1", model="test-model", **options), {}.get)


def chat_with(kb, llm: Llm, config=None) -> Chat:
    config = config or parse_config({**RAW_CONFIG, "answers": THRESHOLDS})
    messenger = ConsoleMessenger(io.StringIO())
    return Chat(Lorebot(config=config, knowledge=kb, messenger=messenger, clock=Clock(), llm=llm), messenger)


def reply_to(chat: Chat, event):
    return chat.last(channel=event.where.channel, thread=event.message_id)


def test_a_written_answer_says_so_and_lists_the_sources_it_cites(kb, fake) -> None:
    fake.replies = [WRITTEN]
    chat = chat_with(kb, llm_for(fake))
    event = chat.ask("you", LEAVE_QUESTION)
    reply = reply_to(chat, event).reply
    assert reply.text == "Full-time employees get 25 days of annual leave a year. \\[1\\]"  # shown as written
    assert reply.context.startswith("Written by test-model from the sources listed")
    assert [source.title for source in reply.sources] == ["Leave policy"]  # only what it cites, from our hits
    assert {action.label for action in reply.actions} >= {"Helpful", "Not helpful"}
    (request,) = fake.requests
    assert LEAVE_QUESTION in request.prompt and "25 days of annual leave" in request.prompt
    assert "carol" not in request.prompt.lower() and "console" not in request.prompt  # no names, no ids
    assert rows(kb, Question)[0].status == "answered"


def test_not_found_goes_to_the_champions_as_today(kb, fake) -> None:
    fake.replies = ["NOT_FOUND"]
    chat = chat_with(kb, llm_for(fake))
    event = chat.ask("you", LEAVE_QUESTION)
    assert len(fake.requests) == 1
    assert rows(kb, Question)[0].status == "routed" and rows(kb, RoutedPost)
    assert "I'm not sure about this one" in reply_to(chat, event).text


def test_a_server_error_shows_the_extract_labelled_as_such(kb, fake) -> None:
    fake.faults.append(Fault(lambda request: True, status=500, times=None))
    chat = chat_with(kb, llm_for(fake))
    reply = reply_to(chat, chat.ask("you", LEAVE_QUESTION)).reply
    assert "25 days" in reply.text and "written answer was not available" in reply.context
    assert "Written by" not in reply.context
    assert rows(kb, Question)[0].status == "answered"


def test_a_hung_endpoint_gives_the_extract_within_the_timeout_plus_two_seconds(kb, fake) -> None:
    fake.gate.clear()
    chat = chat_with(kb, llm_for(fake, timeout_s=1))
    started = time.monotonic()
    reply = reply_to(chat, chat.ask("you", LEAVE_QUESTION)).reply
    assert time.monotonic() - started < 1 + 2 + 1  # + the search itself
    assert "25 days" in reply.text and "written answer was not available" in reply.context


def test_weak_retrieval_costs_no_call(kb, fake) -> None:
    chat = chat_with(kb, llm_for(fake))
    chat.ask("you", UNKNOWN_QUESTION)
    assert fake.requests == []
    assert rows(kb, Question)[0].status == "routed"


def test_a_restricted_collection_never_reaches_the_prompt_of_someone_outside_its_audience(kb, fake, tmp_path) -> None:
    folder = tmp_path / "finance"
    folder.mkdir()
    (folder / "salaries.md").write_text(SALARY_DOC, encoding="utf-8")
    kb.ingest([folder], collection=FINANCE, progress=False)
    fake.replies = ["NOT_FOUND"]
    chat = chat_with(kb, llm_for(fake, max_passages=20), restricted_config())
    chat.ask("you", SALARY_QUESTION)
    chat.ask("you", LEAVE_QUESTION)
    assert all(SALARY_FIGURE not in request.prompt for request in fake.requests)
    chat.ask("fiona", SALARY_QUESTION)  # in the audience: the same passage does go
    assert SALARY_FIGURE in fake.requests[-1].prompt


def verified_dog_answer(kb) -> None:
    kb.add_entry(UNKNOWN_QUESTION, CHAMPION_ANSWER, source="test", verified_by="Alice")


CAT_QUESTION = "Can I bring my cat to the office?"  # near the verified dog question, in the uncertain band
UNCERTAIN = parse_config({**RAW_CONFIG, "answers": {"answer_threshold": 0.5, "verified_threshold": 0.7,
                                                    "suggest_threshold": 0.5}})


def test_without_a_judge_an_uncertain_verified_match_stays_a_suggestion(kb, fake) -> None:
    verified_dog_answer(kb)
    chat = chat_with(kb, llm_for(fake, judge=False), UNCERTAIN)
    chat.ask("you", CAT_QUESTION)
    assert rows(kb, Question)[0].status == "suggested" and fake.requests == []


def test_the_judge_says_yes_and_the_verified_answer_is_served(kb, fake) -> None:
    verified_dog_answer(kb)
    fake.replies = ["YES"]
    chat = chat_with(kb, llm_for(fake), UNCERTAIN)
    reply = reply_to(chat, chat.ask("you", CAT_QUESTION)).reply
    assert CHAMPION_ANSWER in reply.text and "Verified answer" in reply.context
    assert rows(kb, Question)[0].status == "answered"
    (request,) = fake.requests
    assert UNKNOWN_QUESTION in request.prompt and CAT_QUESTION in request.prompt


def test_the_judge_says_no_and_the_documents_decide(kb, fake) -> None:
    verified_dog_answer(kb)
    fake.replies = ["NO"]
    chat = chat_with(kb, llm_for(fake), UNCERTAIN)
    reply = reply_to(chat, chat.ask("you", CAT_QUESTION))
    assert CHAMPION_ANSWER not in reply.text
    assert rows(kb, Question)[0].status == "routed"


def test_a_champions_check_mark_verifies_the_written_text(kb, fake) -> None:
    fake.replies = [WRITTEN]
    chat = chat_with(kb, llm_for(fake))
    answer = reply_to(chat, chat.ask("you", LEAVE_QUESTION))
    chat.react("carol", answer, "white_check_mark")  # carol champions leave
    (verified,) = rows(kb, VerifiedAnswer)
    assert verified.answer_text == "Full-time employees get 25 days of annual leave a year."
    entry = next(hit for hit in kb.search(LEAVE_QUESTION, k=10) if hit.kind == "entry")
    assert entry.text == verified.answer_text


def test_an_open_breaker_is_stored_for_admins(kb, fake) -> None:
    fake.faults.append(Fault(lambda request: True, status=503, times=None))
    chat = chat_with(kb, llm_for(fake, breaker_failures=2))
    for _ in range(3):
        chat.ask("you", LEAVE_QUESTION)
    assert len(fake.requests) == 2  # the third ask skipped the LLM
    health = skipped(kb.engine)
    assert health is not None and health.open and health.consecutive_failures == 2 and health.since is not None
    assert "503" in (health.last_reason or "")
    fake.faults.clear()
    assert rows(kb, LlmHealth)[0].open


PUPPY_QUESTION = "Can I bring my puppy to the office?"  # a clear match, but an informative word differs


def test_a_clear_verified_match_in_the_same_words_is_served_without_asking(kb, fake) -> None:
    verified_dog_answer(kb)
    chat = chat_with(kb, llm_for(fake), UNCERTAIN)
    reply = reply_to(chat, chat.ask("you", PARAPHRASE)).reply
    assert CHAMPION_ANSWER in reply.text and fake.requests == []


@pytest.mark.parametrize("verdict, served", [("YES", True), ("NO", False)])
def test_a_clear_match_whose_informative_word_differs_goes_to_the_judge(kb, fake, verdict, served) -> None:
    verified_dog_answer(kb)
    fake.replies = [verdict]
    chat = chat_with(kb, llm_for(fake), UNCERTAIN)
    reply = reply_to(chat, chat.ask("you", PUPPY_QUESTION))
    assert (CHAMPION_ANSWER in reply.text) is served
    assert rows(kb, Question)[0].status == ("answered" if served else "routed")
    (request,) = fake.requests
    assert PUPPY_QUESTION in request.prompt


def test_the_claim_lease_must_outlast_the_model(caplog) -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match=r"recovery.lease_seconds: 60 is too short for llm.timeout_s = 30"):
        parse_config({**RAW_CONFIG, "llm": {"base_url": "http://localhost:11434/v1", "model": "m", "timeout_s": 30}})


def test_logs_hold_neither_the_question_nor_the_passages_nor_the_answer(kb, fake, caplog) -> None:
    fake.replies = [WRITTEN]
    chat = chat_with(kb, llm_for(fake))
    with caplog.at_level("DEBUG"):
        chat.ask("you", LEAVE_QUESTION)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "llm answer" in logged and "test-model" in logged
    assert LEAVE_QUESTION not in logged and "25 days" not in logged


def test_a_judge_that_cannot_be_reached_leaves_the_suggestion(kb, fake) -> None:
    verified_dog_answer(kb)
    fake.faults.append(Fault(lambda request: True, status=500, times=None))
    chat = chat_with(kb, llm_for(fake), UNCERTAIN)
    chat.ask("you", CAT_QUESTION)
    assert rows(kb, Question)[0].status == "suggested" and len(fake.requests) == 1
