"""The jobs' conversations through the real core and knowledge base: lessons promoted by a champion's ✅, and
a verified answer whose document changed on re-ingest going back to its champion, who marks it outdated."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.addresses import Address, MessageRef, Person
from bot.config import parse_config
from bot.core import Lorebot
from bot.events import Action, Ask, Edit, Reaction, ThreadReply
from bot.curation.lesson_capture import LessonsExtension
from bot.replies import NOT_HELPFUL, OUTDATED
from bot.curation.reverify_answers import ReverifyExtension, flag_changed_sources
from bot.tables.curation import VerifiedAnswer
from bot.tables.lessons import CANDIDATE, PROMOTED, Lesson
from jobs import JobRunner
from tests.jobs.conftest import CONFIG, FakeClock, console, london

LESSON = "Hotel bookings abroad must go through the travel desk, otherwise they are not reimbursed."
EXPENSES_V1 = """# Expenses

## Taxi rides

Taxi rides for business trips are reimbursed. Submit the taxi receipt in the expense tool within 30 days
of the ride. Rides between home and the office are not reimbursed.
"""
EXPENSES_V2 = EXPENSES_V1.replace("within 30 days", "within 14 days")


RAW = {**CONFIG, "topics": {**CONFIG["topics"], "expenses": {
    "description": "Expenses, taxi rides, receipts and reimbursement", "keywords": ["taxi", "receipt", "expense"],
    "champions": ["cara"]}}}


@pytest.fixture
def config():
    return parse_config(RAW)


def make_core(config, kb, messenger, clock) -> Lorebot:
    return Lorebot(config=config, knowledge=kb, messenger=messenger, clock=clock,
                   extensions=[LessonsExtension(), ReverifyExtension()])


def lesson_status(kb) -> str:
    with Session(kb.engine) as session:
        return session.exec(select(Lesson)).one().status


def test_lesson_shared_in_the_prompt_thread_is_promoted_by_a_champion(config, kb) -> None:
    clock = FakeClock(london(2026, 3, 20, 15, 2))
    messenger = console()
    core = make_core(config, kb, messenger, clock)
    runs = {r.job: r for r in JobRunner(core).catch_up()}
    assert runs["lessons"].sent == 2
    prompt = next(m for m in messenger.messages.values() if m.address.channel == "general")
    thread = Address("console", "general", prompt.id)

    posted = messenger.post_as(thread, "sam", LESSON)
    core.handle(ThreadReply(event_id="r1", person=Person("console", "sam"), text=LESSON, where=thread,
                            message_id=posted.id))
    assert lesson_status(kb) == CANDIDATE

    ref = MessageRef(thread, posted.id)
    core.handle(Reaction(event_id="x1", person=Person("console", "sue"), emoji="white_check_mark", added=True,
                         message=ref))
    assert lesson_status(kb) == CANDIDATE
    assert not [hit for hit in kb.search("Do I book hotels abroad through the travel desk?", k=5) if hit.kind == "entry"]

    core.handle(Reaction(event_id="x2", person=Person("console", "cara"), emoji="white_check_mark", added=True,
                         message=ref))
    assert lesson_status(kb) == PROMOTED
    hits = kb.search("Do I book hotels abroad through the travel desk?", k=5)
    assert hits[0].kind == "entry" and hits[0].verified_by == "Cara" and "travel desk" in hits[0].text

    core.handle(Reaction(event_id="x3", person=Person("console", "cara"), emoji="white_check_mark", added=False,
                         message=ref))
    assert lesson_status(kb) == CANDIDATE
    assert not [hit for hit in kb.search("Do I book hotels abroad through the travel desk?", k=5)
                if hit.kind == "entry"]


TAXI_QUESTION = "How do I get a taxi ride reimbursed?"


def sam_asks_about_taxis(config, kb, tmp_path, clock):
    """The handbook's expenses page ingested, and Sam's taxi question answered in his DM: core, messenger and
    the answer."""
    handbook = tmp_path / "handbook"
    handbook.mkdir(exist_ok=True)
    (handbook / "expenses.md").write_text(EXPENSES_V1, encoding="utf-8")
    kb.ingest([handbook], progress=False)
    messenger = console()
    core = make_core(config, kb, messenger, clock)
    asked = messenger.post_as(Address("console", "dm-sam"), "sam", TAXI_QUESTION)
    core.handle(Ask(event_id="a1", person=Person("console", "sam"), text=TAXI_QUESTION,
                    where=Address("console", "dm-sam"), message_id=asked.id, private=True))
    answer = [m for m in messenger.messages.values() if m.reply is not None and m.address.channel == "dm-sam"][-1]
    return core, messenger, answer


def test_changed_document_sends_its_verified_answer_back_and_outdated_ranks_lower(config, kb, tmp_path) -> None:
    clock = FakeClock(london(2026, 3, 16, 11))
    core, messenger, answer = sam_asks_about_taxis(config, kb, tmp_path, clock)
    handbook = tmp_path / "handbook"
    question = TAXI_QUESTION
    assert "receipt" in answer.reply.text, "the bot should answer this from the handbook"
    core.handle(Reaction(event_id="v1", person=Person("console", "cara"), emoji="white_check_mark", added=True,
                         message=MessageRef(answer.address, answer.id)))
    with Session(kb.engine) as session:
        verified = session.exec(select(VerifiedAnswer)).one()
    assert verified.documents(), "the verified answer remembers the documents behind it"

    (handbook / "expenses.md").write_text(EXPENSES_V2, encoding="utf-8")
    report = kb.ingest([handbook], progress=False)
    assert flag_changed_sources(kb.engine, report.changed, now=clock()) == 1

    clock.now = london(2026, 3, 17, 10, 5)  # the weekly re-verification
    messenger.messages.clear()
    runs = {r.job: r for r in JobRunner(core).catch_up()}
    assert runs["reverify"].sent == 1
    [check] = [m for m in messenger.messages.values() if m.address.channel == "dm-cara"]
    assert "has changed" in check.reply.text
    outdated = next(a for a in check.reply.actions if a.name == OUTDATED)

    clock.advance(hours=1)
    core.handle(Action(event_id="b1", person=Person("console", "cara"), name=OUTDATED, value=outdated.value,
                       where=check.address))
    with Session(kb.engine) as session:
        assert session.get(VerifiedAnswer, verified.id).stale
    entries = [hit for hit in kb.search(question, k=10) if hit.kind == "entry"]
    assert entries and all(hit.stale for hit in entries)


def share_lesson(config, kb, channel: str, text: str) -> tuple[Lorebot, MessageRef]:
    """The weekly prompt goes out and Sam replies to the one in ``channel``: returns the core and his reply."""
    messenger = console()
    core = make_core(config, kb, messenger, FakeClock(london(2026, 3, 20, 15, 2)))
    JobRunner(core).catch_up()
    prompt = next(m for m in messenger.messages.values() if m.address.channel == channel)
    thread = Address("console", channel, prompt.id)
    posted = messenger.post_as(thread, "sam", text)
    core.handle(ThreadReply(event_id="r1", person=Person("console", "sam"), text=text, where=thread,
                            message_id=posted.id))
    return core, MessageRef(thread, posted.id)


def test_a_teams_lessons_are_promoted_only_by_that_teams_champions(kb) -> None:
    """Cara champions HR but is not in sales: her ✅ in the sales lessons thread is no promotion. Sue, in
    sales and a champion, promotes. A company-wide prompt (jobs.lessons.channels) stays any champion's."""
    raw = {**CONFIG, "topics": {**CONFIG["topics"], "crm": {"description": "The CRM and sales tools",
                                                            "champions": ["sue"]}}}
    config = parse_config(raw)
    core, ref = share_lesson(config, kb, "sales-lessons", LESSON)

    core.handle(Reaction(event_id="x1", person=Person("console", "cara"), emoji="white_check_mark", added=True,
                         message=ref))
    assert lesson_status(kb) == CANDIDATE
    core.handle(Reaction(event_id="x2", person=Person("console", "sue"), emoji="white_check_mark", added=True,
                         message=ref))
    assert lesson_status(kb) == PROMOTED


def test_a_lesson_edited_before_promotion_is_promoted_in_its_new_words(config, kb) -> None:
    core, ref = share_lesson(config, kb, "general", "Hotel bookings abroad go through the travel desk.")
    thread = ref.address

    core.handle(Edit(event_id="e1", person=Person("console", "sue"), text="Book hotels yourself.", where=thread,
                     message_id=ref.message_id))  # not the author: nothing changes
    core.handle(Edit(event_id="e2", person=Person("console", "sam"), text=LESSON, where=thread,
                     message_id=ref.message_id))
    core.handle(Reaction(event_id="x1", person=Person("console", "cara"), emoji="white_check_mark", added=True,
                         message=ref))

    assert lesson_status(kb) == PROMOTED
    hits = [hit for hit in kb.search("Do I book hotels abroad through the travel desk?", k=5) if hit.kind == "entry"]
    assert hits and "otherwise they are not reimbursed" in hits[0].text


def test_the_digests_after_real_conversations(kb, tmp_path) -> None:
    """Sam (sales) marks Lorebot's taxi answer Not helpful; Cara answers in the routed thread and verifies it.
    Zed, listed nowhere, asks in #general. Mia's digest counts the Not helpful answer and lists no gap (the
    question is verified now); the admin's digest puts Zed's question under Unassigned, with a link."""
    config = parse_config({**RAW, "admins": ["olga"]})
    clock = FakeClock(london(2026, 3, 17, 11))
    core, messenger, answer = sam_asks_about_taxis(config, kb, tmp_path, clock)
    not_helpful = next(a for a in answer.reply.actions if a.name == NOT_HELPFUL)
    core.handle(Action(event_id="b1", person=Person("console", "sam"), name=NOT_HELPFUL, value=not_helpful.value,
                       where=answer.address))
    routed = [m for m in messenger.messages.values() if m.address.channel == "dm-cara"][-1]
    thread = Address("console", "dm-cara", routed.id)
    clock.advance(hours=1)
    reply = messenger.post_as(thread, "cara", "Submit the receipt in the expense tool within 30 days.")
    core.handle(ThreadReply(event_id="r1", person=Person("console", "cara"), text=reply.text, where=thread,
                            message_id=reply.id))
    core.handle(Reaction(event_id="v1", person=Person("console", "cara"), emoji="white_check_mark", added=True,
                         message=MessageRef(thread, reply.id)))

    dog = "Can I bring my dog to the office?"
    general = Address("console", "general")
    asked = messenger.post_as(general, "zed", dog)
    core.handle(Ask(event_id="a2", person=Person("console", "zed"), text=dog, where=general, message_id=asked.id))

    clock.now = london(2026, 3, 23, 9, 5)
    messenger.messages.clear()
    runs = {r.job: r for r in JobRunner(core).catch_up()}
    digests = {d.recipient: d.reply for d in runs["digest"].deliveries}
    mia = digests["dm:mia"].text.splitlines()
    assert mia[:5] == [
        "**1** question(s) asked (+1 vs last week).",
        "• answered by Lorebot: **0** (0%, same as last week)",
        "• answered by champions: **1** (100%, +1 vs last week)",
        "• still open: **0** (0%, same as last week)",
        "• Lorebot's answer marked Not helpful: **1** (100%, +1 vs last week)",
    ]
    assert "**By topic**: expenses 1 (+1)" in mia
    assert "**Top knowledge gaps**: none, every question was answered with confidence or verified." in mia
    assert "• How do I get a taxi ride reimbursed?" in mia  # new verified knowledge, quoted to the team's manager

    unassigned = digests["org:olga"].text.split("\n\n")[-1].splitlines()
    assert unassigned[:2] == ["**Unassigned**: askers in no team, so no manager sees them",
                              "**1** question(s) asked (+1 vs last week)."]
    assert any(line.endswith(f"“{dog}” [open thread](console://general/{asked.id})") for line in unassigned)
    assert not any(dog in reply.text for recipient, reply in digests.items() if recipient.startswith("dm:"))
