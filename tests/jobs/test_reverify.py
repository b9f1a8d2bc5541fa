"""Re-verification on a seeded store: who is asked about what, answers to "still right?", and stale marking."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session, select

from bot import messages
from bot.addresses import Address, Person
from bot.context import LorebotContext
from bot.events import Action
from bot.replies import OUTDATED, STILL_RIGHT
from bot.curation.reverify_answers import ReverifyExtension, flag_changed_sources
from bot.tables.curation import CurationAudit, VerifiedAnswer
from bot.tables.reverification import CONFIRMED, OUTDATED_STATUS, REQUESTED, STALE, ReverificationRequest
from jobs import JobRunner
from tests.jobs.conftest import FakeClock, console, london

TUESDAY = london(2026, 3, 17, 10)


def seed(engine) -> dict[str, int]:
    def answer(question, champion, days_ago, documents=(), **extra):
        at = TUESDAY - timedelta(days=days_ago)
        return VerifiedAnswer(topic="hr", question_text=question, answer_text=f"Answer to {question}",
                              champion_id=f"console:{champion}", champion_name=champion.title(), verified_at=at,
                              last_verified_at=at, source_documents=json.dumps(list(documents)), **extra)

    rows = {
        "old": answer("How long is parental leave?", "cara", 100),
        "changed": answer("How do I book leave?", "carl", 10, ["handbook/leave.md"]),
        "fresh": answer("Who approves expenses?", "cara", 10, ["handbook/expenses.md"]),
        "removed": answer("Old policy?", "cara", 200, status="removed"),
        "stale": answer("Stale already?", "cara", 200, stale=True),
    }
    with Session(engine) as session:
        session.add_all(rows.values())
        session.commit()
        return {name: row.id for name, row in rows.items()}


def requests(engine) -> dict[int, ReverificationRequest]:
    with Session(engine) as session:
        return {r.verified_answer_id: r for r in session.exec(select(ReverificationRequest)).all()}


def first_run(config, engine, changed: tuple[str, ...] = ()):
    """Seed the store, flag answers built on ``changed``, run the jobs once: the ids, the messenger, the clock
    and a context for clicking the buttons."""
    ids = seed(engine)
    if changed:
        flag_changed_sources(engine, changed, now=TUESDAY)
    messenger = console()
    clock = FakeClock(TUESDAY)
    JobRunner(config=config, engine=engine, messengers=messenger, clock=clock).catch_up()
    ctx = LorebotContext(config=config, knowledge=None, messenger=messenger, clock=clock, engine=engine)
    return ids, messenger, clock, ctx


def test_old_and_source_changed_answers_go_back_to_their_champion(config, engine) -> None:
    ids = seed(engine)
    assert flag_changed_sources(engine, ["handbook/leave.md", "handbook/unrelated.md"], now=TUESDAY) == 1
    assert flag_changed_sources(engine, ["handbook/leave.md"], now=TUESDAY) == 1  # still one open request
    messenger = console()
    jobs = JobRunner(config=config, engine=engine, messengers=messenger, clock=FakeClock(TUESDAY))
    results = {result.job: result for result in jobs.catch_up()}
    assert results["reverify"].sent == 2 and results["nudges"].sent == 0
    sent = {m.address.channel: m.reply for m in messenger.messages.values()}
    assert sorted(sent) == ["dm-cara", "dm-carl"]
    assert "How long is parental leave?" in sent["dm-cara"].text and "100 days ago" in sent["dm-cara"].text
    assert "handbook/leave.md" in sent["dm-carl"].text
    open_requests = requests(engine)
    assert set(open_requests) == {ids["old"], ids["changed"]}
    assert {r.status for r in open_requests.values()} == {REQUESTED}
    assert [a.name for a in sent["dm-cara"].actions] == [STILL_RIGHT, OUTDATED]
    assert sent["dm-cara"].actions[0].value == str(open_requests[ids["old"]].id)


def test_still_right_confirms_and_silence_turns_stale(config, engine) -> None:
    ids, messenger, clock, ctx = first_run(config, engine, ("handbook/leave.md",))
    request_ids = {answer: r.id for answer, r in requests(engine).items()}

    clock.advance(days=2)
    extension = ReverifyExtension()
    dm = Address("console", "dm-carl")
    stranger = Action(event_id="e1", person=Person("console", "sam"), name=STILL_RIGHT,
                      value=str(request_ids[ids["changed"]]), where=dm)
    assert extension.handle_action(ctx, stranger)  # answered with "only champions", nothing changes
    assert requests(engine)[ids["changed"]].status == REQUESTED
    click = Action(event_id="e2", person=Person("console", "carl"), name=STILL_RIGHT,
                   value=str(request_ids[ids["changed"]]), where=dm)
    assert extension.handle_action(ctx, click)
    assert extension.handle_action(ctx, click)  # a second click finds the request closed
    assert requests(engine)[ids["changed"]].status == CONFIRMED
    assert not extension.handle_action(ctx, Action(event_id="e3", person=Person("console", "carl"),
                                                   name="helpful", value="1", where=dm))

    clock.now = TUESDAY + timedelta(days=14)  # two weeks later (clocks went forward meanwhile), still unchecked
    JobRunner(config=config, engine=engine, messengers=messenger, clock=clock).catch_up()
    with Session(engine) as session:
        answers = {a.id: a for a in session.exec(select(VerifiedAnswer)).all()}
    assert answers[ids["old"]].stale and requests(engine)[ids["old"]].status == STALE
    assert not answers[ids["changed"]].stale
    assert answers[ids["changed"]].last_verified_at == TUESDAY + timedelta(days=2)
    assert not answers[ids["fresh"]].stale


def test_outdated_marks_the_answer_stale(config, engine) -> None:
    ids, _, _, ctx = first_run(config, engine)
    request = requests(engine)[ids["old"]]
    assert ReverifyExtension().handle_action(ctx, Action(event_id="e1", person=Person("console", "cara"),
                                                         name=OUTDATED, value=str(request.id),
                                                         where=Address("console", "dm-cara")))
    with Session(engine) as session:
        assert session.get(VerifiedAnswer, ids["old"]).stale


def test_reverify_dry_run_changes_nothing(config, engine) -> None:
    ids = seed(engine)
    messenger = console()
    result = JobRunner(config=config, engine=engine, messengers=messenger, clock=FakeClock(TUESDAY)).run(
        "reverify", dry_run=True)
    assert [d.recipient.split("#")[0] for d in result.deliveries] == ["dm:console:cara"]
    assert "How long is parental leave?" in result.text()
    assert messenger.messages == {} and requests(engine) == {}
    assert ids


def _sent_request(messenger, channel: str):
    """The request message the run sent into ``channel``, and the address a click on it comes from (the
    console, like Slack, reports a button's message as the thread root)."""
    message = next(m for m in messenger.messages.values() if m.address.channel == channel)
    return message, message.address.in_thread(message.thread_root)


def test_buttons_act_only_on_the_message_the_run_sent(config, engine) -> None:
    ids, messenger, _, ctx = first_run(config, engine, ("handbook/leave.md",))
    request = requests(engine)[ids["changed"]]
    message, shown = _sent_request(messenger, "dm-carl")
    assert (request.platform, request.channel, request.message_id) == ("console", "dm-carl", message.id)

    extension = ReverifyExtension()
    forged = [
        Action(event_id="f1", person=Person("console", "carl"), name=STILL_RIGHT, value=str(request.id),
               where=Address("console", "general")),  # the champion, from a channel
        Action(event_id="f2", person=Person("console", "cara"), name=OUTDATED, value=str(request.id),
               where=Address("console", "dm-cara")),  # a champion of the topic, from her own DM
        Action(event_id="f3", person=Person("console", "carl"), name=OUTDATED, value=str(request.id),
               where=Address("console", "dm-carl", "another-message")),  # the right DM, another message
    ]
    for click in forged:
        before = len(messenger.messages)
        assert extension.handle_action(ctx, click)
        replies = list(messenger.messages.values())[before:]
        assert [(r.address.channel, r.reply.text) for r in replies] == [
            (click.where.channel, messages.action_expired().text)]
    assert requests(engine)[ids["changed"]].status == REQUESTED
    with Session(engine) as session:
        answer = session.get(VerifiedAnswer, ids["changed"])
        assert not answer.stale and answer.last_verified_at == TUESDAY - timedelta(days=10)
        assert session.exec(select(CurationAudit)).all() == []

    assert extension.handle_action(ctx, Action(event_id="ok", person=Person("console", "carl"), name=OUTDATED,
                                               value=str(request.id), where=shown))
    assert requests(engine)[ids["changed"]].status == OUTDATED_STATUS
    with Session(engine) as session:
        assert session.get(VerifiedAnswer, ids["changed"]).stale


def test_a_request_sent_before_its_place_was_recorded_counts_from_the_champions_dm_only(config, engine) -> None:
    ids, _, _, ctx = first_run(config, engine)
    with Session(engine) as session:
        request = session.exec(select(ReverificationRequest)).one()
        request.platform = request.channel = request.message_id = None
        session.add(request)
        session.commit()
        request_id = request.id
    extension = ReverifyExtension()
    forged = ((Address("console", "general"), "cara"), (Address("console", "dm-carl"), "carl"),
              (Address("console", "dm-cara"), "carl"))  # carl champions the topic, but was not sent this one
    for where, person in forged:
        assert extension.handle_action(ctx, Action(event_id=f"f-{person}", person=Person("console", person),
                                                   name=OUTDATED, value=str(request_id), where=where))
    assert requests(engine)[ids["old"]].status == REQUESTED
    assert extension.handle_action(ctx, Action(event_id="ok", person=Person("console", "cara"), name=STILL_RIGHT,
                                               value=str(request_id), where=Address("console", "dm-cara")))
    assert requests(engine)[ids["old"]].status == CONFIRMED
