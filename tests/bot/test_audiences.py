"""Restricted collections through the real core, knowledge base and model (SQLite and PostgreSQL): what a
direct message, a channel, a routed post, a verified answer, a "Same as…" and a digest may show."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.people import audiences
from bot.people.audiences import Reader
from bot.config import parse_config
from bot.errors import ConfigError
from bot.tables.curation import VerifiedAnswer
from bot.tables.questions import Question, RoutedPost
from jobs.digest_figures import team_week
from jobs.digest_text import render
from tests.bot.support import RAW_CONFIG, new_chat

SALARY_DOC = """# Salary bands

## Engineering salary bands

Level L5 engineers earn between 95,000 and 120,000 pounds a year. Salary bands are reviewed every April by
the finance team.
"""
SALARY_QUESTION = "What is the salary band for L5 engineers?"
SALARY_FIGURE = "95,000"
BONUS_QUESTION = "When is the annual engineering bonus paid out?"
BONUS_ANSWER = "The annual bonus is paid with the March salary."
BONUS_AGAIN = "When is the annual engineering bonus paid out?"  # asked again, as the next person would

FINANCE = "finance-restricted"


def restricted_config(**extra):
    raw = {key: dict(value) if isinstance(value, dict) else value for key, value in RAW_CONFIG.items()}
    raw["people"] = {**RAW_CONFIG["people"], "fiona": {"name": "Fiona", "team": "finance"},
                     "frank": {"name": "Frank", "team": "finance"}}
    raw["teams"] = {**RAW_CONFIG["teams"], "finance": {"manager": "frank"}}
    raw["topics"] = {**RAW_CONFIG["topics"], "pay": {
        "description": "Pay, salary, bonuses and payroll", "keywords": ["salary", "bonus", "pay", "payroll"],
        "champions": ["frank", "carol"], "channel": {"console": "pay-champions"}}}
    raw["collections"] = {FINANCE: {"visible_to": ["team:finance", "channel:console:finance-team"]}}
    raw["answers"] = {"answer_threshold": 0.5, "verified_threshold": 0.6}
    raw.update(extra)
    return parse_config(raw)


@pytest.fixture
def finance_kb(kb, tmp_path):
    folder = tmp_path / "finance"
    folder.mkdir()
    (folder / "salaries.md").write_text(SALARY_DOC, encoding="utf-8")
    kb.ingest([folder], collection=FINANCE, progress=False)
    return kb


@pytest.fixture
def chat(finance_kb):
    return new_chat(restricted_config(), finance_kb)


def ask_in(chat, who: str, text: str, channel: str | None = None) -> str:
    """Ask in a channel (or in the asker's DM) and return what the bot replied in the question's thread."""
    event = chat.ask(who, text, channel=channel)
    return "\n".join(m.text for m in chat.bot_messages(channel=event.where.channel, thread=event.message_id))


def test_a_direct_message_reads_only_what_its_person_may(chat) -> None:
    assert SALARY_FIGURE not in ask_in(chat, "you", SALARY_QUESTION)  # not in the config: unrestricted only
    assert SALARY_FIGURE not in ask_in(chat, "alice", SALARY_QUESTION)  # another team
    assert SALARY_FIGURE in ask_in(chat, "fiona", SALARY_QUESTION)  # team:finance


def test_a_channel_reads_a_restricted_collection_only_when_named_or_tied(finance_kb) -> None:
    chat = new_chat(restricted_config(channels={"console:fin-ops": ["handbook", FINANCE]}), finance_kb)
    assert SALARY_FIGURE not in ask_in(chat, "fiona", SALARY_QUESTION, channel="general")  # untied: everyone
    assert SALARY_FIGURE in ask_in(chat, "alice", SALARY_QUESTION, channel="finance-team")  # named in visible_to
    assert SALARY_FIGURE in ask_in(chat, "alice", SALARY_QUESTION, channel="fin-ops")  # tied in [channels]


def test_a_verified_answer_keeps_the_audience_of_its_question(chat, finance_kb) -> None:
    ask_in(chat, "fiona", BONUS_QUESTION, channel="finance-team")
    question = chat_questions(finance_kb)[-1]
    assert question.status == "routed" and audiences.loads(question.audience) == [FINANCE]
    # the pay champions' channel may not read finance material: the champions who may are asked directly
    assert not chat.bot_messages(channel="pay-champions")
    post = chat.last(channel="dm-frank")
    assert BONUS_QUESTION in post.text and not chat.bot_messages(channel="dm-carol")
    assert "(Frank)" in chat.last(channel="finance-team").text
    chat.reply("frank", post, BONUS_ANSWER)
    answer = next(m for m in chat.messenger.messages.values() if m.text == BONUS_ANSWER and m.reply is None)
    chat.react("frank", answer, "white_check_mark")
    entry = finance_kb.entry(rows(finance_kb, VerifiedAnswer)[0].entry_id)
    assert entry.collection == f"verified:{FINANCE}"

    assert BONUS_ANSWER not in ask_in(chat, "alice", BONUS_AGAIN, channel="general")
    assert BONUS_ANSWER not in ask_in(chat, "alice", BONUS_AGAIN)
    assert BONUS_ANSWER in ask_in(chat, "fiona", BONUS_AGAIN)
    assert BONUS_ANSWER in ask_in(chat, "alice", BONUS_AGAIN, channel="finance-team")


def test_an_unrestricted_question_still_goes_to_the_champions_channel(chat, finance_kb) -> None:
    ask_in(chat, "alice", BONUS_QUESTION)
    assert audiences.loads(chat_questions(finance_kb)[-1].audience) == []
    assert BONUS_QUESTION in chat.last(channel="pay-champions").text
    assert [p.channel for p in rows(finance_kb, RoutedPost)] == ["pay-champions"]


def test_same_as_never_hands_a_restricted_answer_to_someone_outside_its_audience(chat, finance_kb) -> None:
    entry_id = finance_kb.add_entry(BONUS_QUESTION, BONUS_ANSWER, source="Verified answer › pay", verified_by="Frank",
                                    collection=f"verified:{FINANCE}")
    ask_in(chat, "alice", BONUS_AGAIN)  # alice may not read it: routed to the pay champions' channel
    post = chat.last(channel="pay-champions")
    assert all(f":{entry_id}" not in action.value for action in post.reply.actions)  # not offered there
    question = chat_questions(finance_kb)[-1]
    chat.core.handle(same_as_click(chat, "frank", post, f"{question.id}:{entry_id}"))
    assert "restricted" in chat.last(channel="pay-champions").text
    assert BONUS_ANSWER not in ask_in_thread_text(chat, question)
    assert chat_questions(finance_kb)[-1].status == "routed"


def test_the_digest_quotes_only_what_its_manager_may_read(chat, finance_kb) -> None:
    ask_in(chat, "alice", "Can I bring my dog to the office on Fridays?")  # a DM: counted, never quoted
    ask_in(chat, "bob", "Where can I park my bicycle at the office?", channel="general")
    ask_in(chat, "carol", BONUS_QUESTION, channel="finance-team")  # restricted: erin is not in its audience
    ctx = chat.core.context
    clock_end = chat_questions(finance_kb)[-1].asked_at.replace(hour=23)
    with ctx.session() as session:
        week = team_week(ctx, session, "ops", clock_end)
        as_finance = team_week(ctx, session, "ops", clock_end, Reader.of_handle("fiona"))
    assert week.asked == 3 and sum(gap.count for gap in week.gaps) == 3
    examples = [gap.example for gap in week.gaps]
    assert "Where can I park my bicycle at the office?" in examples
    assert not any(e and ("dog" in e or "bonus" in e) for e in examples)
    text = render(ctx, [week]).text
    assert "dog" not in text and "bonus" not in text and "not quoted" in text
    assert any(e and "bonus" in e for e in (gap.example for gap in as_finance.gaps))  # a finance reader may


def test_ask_as_shows_what_that_person_or_channel_gets(chat, finance_kb) -> None:
    from adapters.wiring import answer_as

    config = restricted_config()
    assert SALARY_FIGURE in answer_as(config, finance_kb, Reader.of_handle("fiona"), SALARY_QUESTION).answer
    assert SALARY_FIGURE not in answer_as(config, finance_kb, Reader.of_handle("alice"), SALARY_QUESTION).answer
    assert SALARY_FIGURE in answer_as(config, finance_kb, Reader.in_channel("console", "finance-team"),
                                      SALARY_QUESTION).answer


@pytest.mark.parametrize("visible_to, message", [
    (["team:nobody"], "'team:nobody' is not listed under [teams]"),
    (["person:zed"], "'person:zed' is not listed under [people]"),
    (["group:finance"], "is not team:NAME, person:HANDLE or channel:PLATFORM:ID"),
    (["channel:irc:#fin"], "is not channel:PLATFORM:ID"),
])
def test_a_bad_audience_is_named_in_one_line(visible_to, message) -> None:
    with pytest.raises(ConfigError, match="collections.finance.visible_to") as error:
        restricted_config(collections={"finance": {"visible_to": visible_to}})
    assert message in str(error.value)


# -- helpers -------------------------------------------------------------------------------------------------

def rows(kb, model):
    with Session(kb.engine) as session:
        return session.exec(select(model).order_by(model.id)).all()


def chat_questions(kb) -> list[Question]:
    return rows(kb, Question)


def same_as_click(chat, who: str, post, value: str):
    from bot.events import Action
    from bot.replies import SAME_AS

    return Action(event_id=chat.next_id("ev"), person=chat.person(who), name=SAME_AS, value=value,
                  where=post.address.in_thread(post.thread_root))


def ask_in_thread_text(chat, question: Question) -> str:
    return "\n".join(m.text for m in chat.bot_messages(channel=question.channel, thread=question.thread))


def test_who_may_read_a_collection() -> None:
    config = restricted_config()
    assert audiences.may_read(config, Reader.of_handle("fiona"), FINANCE)
    assert not audiences.may_read(config, Reader.of_handle("alice"), FINANCE)
    assert audiences.may_read(config, Reader.of_handle("alice"), "handbook")
    assert not audiences.may_read(config, Reader("console", None, None), FINANCE)
    assert audiences.may_read(config, Reader.of_handle("fiona"), f"verified:{FINANCE}")
    assert not audiences.may_read(config, Reader.in_channel("console", "general"), f"verified:{FINANCE}")
