"""The weekly lessons prompt: posted once per channel, replies in its thread captured, promoted only by a
champion's ✅."""
from __future__ import annotations

from sqlmodel import Session, select

from bot.addresses import Address, MessageRef, Person
from bot.context import LorebotContext
from bot.events import Reaction, ThreadReply
from bot.curation.lesson_capture import LessonsExtension
from bot.tables.lessons import CANDIDATE, Lesson, LessonPrompt
from jobs import JobRunner
from tests.jobs.conftest import FakeClock, console, london

FRIDAY = london(2026, 3, 20, 15)


def post_prompts(config, engine, messenger, clock):
    results = {r.job: r for r in JobRunner(config=config, engine=engine, messengers=messenger, clock=clock).catch_up()}
    return results["lessons"]


def test_prompt_goes_to_each_configured_channel_once(config, engine) -> None:
    messenger = console()
    clock = FakeClock(FRIDAY)
    result = post_prompts(config, engine, messenger, clock)
    assert result.sent == 2
    posted = {m.address.channel: m for m in messenger.messages.values()}
    assert sorted(posted) == ["general", "sales-lessons"]
    assert "Reply in this thread" in posted["general"].reply.text
    with Session(engine) as session:
        prompts = {p.channel: p.message_id for p in session.exec(select(LessonPrompt)).all()}
    assert prompts == {channel: message.id for channel, message in posted.items()}
    clock.advance(hours=1)
    JobRunner(config=config, engine=engine, messengers=messenger, clock=clock).catch_up()
    assert len(messenger.messages) == 2


def test_replies_in_the_prompt_thread_become_candidates(config, engine) -> None:
    messenger = console()
    clock = FakeClock(FRIDAY)
    post_prompts(config, engine, messenger, clock)
    prompt = next(m for m in messenger.messages.values() if m.address.channel == "general")
    ctx = LorebotContext(config=config, knowledge=None, messenger=messenger, clock=clock, engine=engine)
    lessons = LessonsExtension()
    thread = Address("console", "general", prompt.id)
    reply = messenger.post_as(thread, "sam", "Expense claims need the receipt photo within 30 days.")
    event = ThreadReply(event_id="e1", person=Person("console", "sam"), text=reply.text, where=thread,
                        message_id=reply.id)
    assert lessons.handle_thread_reply(ctx, event)
    assert lessons.handle_thread_reply(ctx, event)  # the same reply again is still one lesson
    elsewhere = ThreadReply(event_id="e2", person=Person("console", "sam"), text="unrelated",
                            where=Address("console", "general", "m999"), message_id="m1000")
    assert not lessons.handle_thread_reply(ctx, elsewhere)

    with Session(engine) as session:
        [lesson] = session.exec(select(Lesson)).all()
    assert (lesson.author_handle, lesson.author_name, lesson.status) == ("sam", "Sam", CANDIDATE)
    assert lesson.text == "Expense claims need the receipt photo within 30 days."

    # Someone who is not a champion ticks it: nothing is promoted, and the core may treat it as feedback.
    tick = Reaction(event_id="e3", person=Person("console", "sue"), emoji="white_check_mark", added=True,
                    message=MessageRef(thread, reply.id))
    assert not lessons.handle_reaction(ctx, tick)
    with Session(engine) as session:
        assert session.exec(select(Lesson)).one().status == CANDIDATE


def test_who_may_promote_follows_the_channels_team_or_topic(engine) -> None:
    from bot.config import parse_config
    from bot.curation.lesson_capture import may_promote
    from tests.jobs.conftest import CONFIG

    raw = {**CONFIG, "topics": {**CONFIG["topics"], "it": {**CONFIG["topics"]["it"],
                                                           "channel": {"console": "it-help"}}}}
    ctx = LorebotContext(config=parse_config(raw), knowledge=None, messenger=console(), engine=engine)
    cara, ivan, sam = (Person("console", handle) for handle in ("cara", "ivan", "sam"))
    assert may_promote(ctx, ivan, "console", "it-help") and not may_promote(ctx, cara, "console", "it-help")
    assert may_promote(ctx, cara, "console", "general") and may_promote(ctx, ivan, "console", "general")
    assert not may_promote(ctx, sam, "console", "general")  # no champion at all
    assert not may_promote(ctx, cara, "console", "sales-lessons")
