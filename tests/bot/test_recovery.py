"""Crashes between a database change and what must follow it, and the recovery pass that repairs them.

A crash is the process dying at one point: a ``Crash`` (a BaseException, which no ``except Exception`` in the
core catches) raised by a messenger or a knowledge base standing in for the platform or the library, right
after (or instead of) the call where the process died. Recovery then runs on a fresh core over the same store,
on SQLite and PostgreSQL.
"""
from __future__ import annotations

import io
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy
from sqlmodel import Session, select

from adapters.console import ConsoleMessenger
from bot.addresses import Address, MessageRef, Person
from bot.recovery.ask_recovery import MAX_ATTEMPTS
from bot.config import parse_config
from bot.core import Lorebot
from bot.events import Ask, Reaction, ThreadReply
from bot.curation.lesson_capture import LessonsExtension
from bot.ports import Unreachable
from bot.recovery.passes import recover
from bot.recovery.recovery_loop import RecoveryLoop
from bot.tables.claims import AskClaim
from bot.tables.curation import VerifiedAnswer
from bot.tables.lessons import CANDIDATE, PROMOTED, PROMOTING, Lesson, LessonPrompt
from bot.tables.questions import AnswerShown, ChampionAnswer, Question, RoutedPost
from tests.bot.support import CHAMPION_ANSWER, LEAVE_QUESTION, RAW_CONFIG, UNKNOWN_QUESTION, Chat, Clock, make_config

THRESHOLDS = {"answer_threshold": 0.5, "verified_threshold": 0.6}
LESSON = "Hotel bookings abroad must go through the travel desk, otherwise they are not reimbursed."


class Crash(BaseException):
    """The process dies here."""


class CrashingPlatform(ConsoleMessenger):
    """The console as the platform, except that the process dies the first time it is about to post into
    ``channel`` (after ``sparing`` posts there went through): the message never reaches the platform, or with
    ``posted`` it does, and the process dies before it hears back."""

    def __init__(self, channel: str, sparing: int = 0, posted: bool = False) -> None:
        super().__init__(io.StringIO())
        self.channel, self.sparing, self.posted, self.crashed = channel, sparing, posted, False

    def send(self, address: Address, reply) -> MessageRef:
        if address.channel == self.channel and not self.crashed:
            if self.sparing == 0:
                self.crashed = True
                if self.posted:
                    super().send(address, reply)
                raise Crash(address.channel)
            self.sparing -= 1
        return super().send(address, reply)


class CrashAfter:
    """The real knowledge base, except that the process dies right after ``method`` has done its work."""

    def __init__(self, kb, method: str) -> None:
        self._kb, self._method = kb, method

    def __getattr__(self, name: str):
        real = getattr(self._kb, name)
        if name != self._method:
            return real

        def call(*args, **kwargs):
            real(*args, **kwargs)
            raise Crash(name)
        return call


def core_on(kb, messenger, clock, knowledge=None, config=None) -> Lorebot:
    return Lorebot(config=config or make_config(**THRESHOLDS), knowledge=knowledge or kb, messenger=messenger,
                   clock=clock, extensions=[LessonsExtension()])


def rows(kb, model, *where):
    with Session(kb.engine) as session:
        return session.exec(select(model).where(*where)).all()


def real_clock_later(**delta: float) -> Clock:
    """A clock past the grace periods, measured from the real time the knowledge base stamps entries with."""
    return Clock(datetime.now(timezone.utc) + timedelta(**delta))


def recover_on_replicas(kb, messenger, clock, replicas: int = 2) -> list:
    """Run the recovery pass on several fresh cores at the same moment, as restarted replicas would."""
    cores = [core_on(kb, messenger, clock) for _ in range(replicas)]
    start = threading.Barrier(replicas)
    reports: list = []

    def run(core: Lorebot) -> None:
        start.wait()
        reports.append(recover(core.context))

    threads = [threading.Thread(target=run, args=(core,)) for core in cores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return reports


# -- a question recorded, its reply never sent ---------------------------------------------------------------

def test_a_question_recorded_but_never_answered_is_answered_once_on_recovery(kb) -> None:
    clock = Clock()
    platform = CrashingPlatform("general")
    chat = Chat(core_on(kb, platform, clock), platform)
    with pytest.raises(Crash):
        chat.ask("you", LEAVE_QUESTION, channel="general", message_id="1700000000.100", event_id="Ev1")
    [question] = rows(kb, Question)
    assert question.status == "answered" and rows(kb, AnswerShown) == [] and chat.bot_messages() == []

    chat.ask("you", LEAVE_QUESTION, channel="general", message_id="1700000000.100", event_id="Ev1")  # a retry
    assert chat.bot_messages() == []  # stops at the done claim, as before

    # Within the reply lease the attempt may still be replying: recovery leaves it alone.
    assert recover(core_on(kb, platform, clock).context).answered == 0
    assert chat.bot_messages() == []

    clock.advance(seconds=61)
    reports = recover_on_replicas(kb, platform, clock)
    assert sorted(report.answered for report in reports) == [0, 1]
    [reply] = chat.bot_messages()
    assert "25 days" in reply.text and reply.address == Address("console", "general", "1700000000.100")
    [shown] = rows(kb, AnswerShown)
    assert shown.question_id == question.id and shown.message_id == reply.id
    assert [q.status for q in rows(kb, Question)] == ["answered"]

    clock.advance(minutes=5)
    assert recover(core_on(kb, platform, clock).context).answered == 0
    assert len(chat.bot_messages()) == 1


def test_a_reply_the_platform_took_just_before_the_crash_is_recorded_not_sent_again(kb) -> None:
    clock = Clock()
    platform = CrashingPlatform("general", posted=True)
    chat = Chat(core_on(kb, platform, clock), platform)
    with pytest.raises(Crash):
        chat.ask("you", LEAVE_QUESTION, channel="general", message_id="1700000000.400")
    [reply] = chat.bot_messages()
    assert rows(kb, AnswerShown) == []
    clock.advance(seconds=61)
    assert recover(core_on(kb, platform, clock).context).answered == 0
    assert chat.bot_messages() == [reply]
    [shown] = rows(kb, AnswerShown)
    assert (shown.message_id, shown.status) == (reply.id, "answered")
    clock.advance(minutes=5)
    assert recover(core_on(kb, platform, clock).context).recovered == 0


class SlowSearch:
    """The real knowledge base on a busy day: embedding a question takes ``seconds`` of the test's clock."""

    def __init__(self, kb, clock: Clock, seconds: float) -> None:
        self._kb, self._clock, self._seconds = kb, clock, seconds

    def __getattr__(self, name: str):
        return getattr(self._kb, name)

    def embed_question(self, question: str):
        self._clock.advance(seconds=self._seconds)
        return self._kb.embed_question(question)


def test_a_reply_still_being_sent_after_a_slow_search_is_not_sent_again(kb) -> None:
    clock = Clock()
    platform = CrashingPlatform("general")
    chat = Chat(core_on(kb, platform, clock, knowledge=SlowSearch(kb, clock, 50)), platform)
    with pytest.raises(Crash):
        chat.ask("you", LEAVE_QUESTION, channel="general")
    clock.advance(seconds=30)  # the claim's first lease ran out, but the reply's began when the question was recorded
    assert recover(core_on(kb, platform, clock).context).answered == 0
    clock.advance(seconds=31)
    assert recover(core_on(kb, platform, clock).context).answered == 1
    assert len(chat.bot_messages()) == 1


def test_a_routed_question_whose_asker_was_never_told_is_told_once_and_not_routed_again(kb) -> None:
    clock = Clock()
    platform = CrashingPlatform("dm-you")  # the champions' post goes out; the reply to the asker does not
    chat = Chat(core_on(kb, platform, clock), platform)
    with pytest.raises(Crash):
        chat.ask("you", UNKNOWN_QUESTION)
    assert len(chat.bot_messages(channel="office-champions")) == 1
    assert len(rows(kb, RoutedPost)) == 1 and rows(kb, AnswerShown) == []

    clock.advance(seconds=61)
    reports = recover_on_replicas(kb, platform, clock)
    assert sorted(report.answered for report in reports) == [0, 1]
    [told] = chat.bot_messages(channel="dm-you")
    assert "Alice" in told.text
    assert len(chat.bot_messages(channel="office-champions")) == 1  # the champions were not asked twice
    assert len(rows(kb, RoutedPost)) == 1 and len(rows(kb, AnswerShown)) == 1
    assert rows(kb, Question)[0].status == "routed"


# -- a champion's answer recorded, never passed on to the asker -------------------------------------------

def relays(chat: Chat) -> list:
    return [m for m in chat.bot_messages(channel="dm-you") if CHAMPION_ANSWER in m.text]


def thanks(chat: Chat) -> list:
    return [m for m in chat.bot_messages(channel="office-champions") if "passed your answer on" in m.text]


def test_a_champion_answer_a_crash_kept_from_the_asker_is_relayed_once_on_recovery(kb) -> None:
    clock = Clock()
    platform = CrashingPlatform("dm-you", sparing=1)  # the asker hears "not sure"; then the process dies
    chat = Chat(core_on(kb, platform, clock), platform)
    chat.ask("you", UNKNOWN_QUESTION)
    post = chat.last(channel="office-champions")
    with pytest.raises(Crash):
        chat.reply("alice", post, CHAMPION_ANSWER)
    [answer] = rows(kb, ChampionAnswer)
    assert answer.relay_message_id is None and relays(chat) == [] and thanks(chat) == []

    # Within the lease the champion's delivery may still be passing it on: recovery leaves it alone.
    clock.advance(seconds=30)
    assert recover(core_on(kb, platform, clock).context).relayed == 0
    assert relays(chat) == []

    clock.advance(seconds=31)
    reports = recover_on_replicas(kb, platform, clock)
    assert sorted(report.relayed for report in reports) == [0, 1]
    [relay] = relays(chat)
    assert "Alice" in relay.text and relay.address.channel == "dm-you"
    [thank] = thanks(chat)
    assert thank.address.thread == post.id
    [answer] = rows(kb, ChampionAnswer)
    assert (answer.relay_message_id, answer.ack_message_id) == (relay.id, thank.id)

    clock.advance(minutes=5)
    assert recover(core_on(kb, platform, clock).context).relayed == 0
    assert len(relays(chat)) == 1 and len(thanks(chat)) == 1
    assert rows(kb, Question)[0].status == "champion_answered"


def test_a_relay_sent_before_the_crash_is_not_sent_again_only_the_thanks(kb) -> None:
    clock = Clock()
    platform = CrashingPlatform("office-champions", sparing=1)  # the routed post goes out, the thanks does not
    chat = Chat(core_on(kb, platform, clock), platform)
    chat.ask("you", UNKNOWN_QUESTION)
    post = chat.last(channel="office-champions")
    with pytest.raises(Crash):
        chat.reply("alice", post, CHAMPION_ANSWER)
    assert len(relays(chat)) == 1 and thanks(chat) == []

    clock.advance(seconds=61)
    assert recover(core_on(kb, platform, clock).context).relayed == 1
    assert len(relays(chat)) == 1 and len(thanks(chat)) == 1
    [answer] = rows(kb, ChampionAnswer)
    assert answer.passed_on_at is not None and answer.ack_message_id == thanks(chat)[0].id


class CrashThenGone(CrashingPlatform):
    """The process dies posting into ``channel``; by the time it is back, nobody there can be reached."""

    tries = 0

    def send(self, address: Address, reply) -> MessageRef:
        if address.channel == self.channel and self.crashed:
            self.tries += 1
            raise Unreachable(address.channel)
        return super().send(address, reply)


def test_a_champion_answer_for_an_asker_who_cannot_be_reached_is_tried_once_on_recovery(kb) -> None:
    clock = Clock()
    platform = CrashThenGone("dm-you", sparing=1)
    chat = Chat(core_on(kb, platform, clock), platform)
    chat.ask("you", UNKNOWN_QUESTION)
    post = chat.last(channel="office-champions")
    with pytest.raises(Crash):
        chat.reply("alice", post, CHAMPION_ANSWER)
    clock.advance(seconds=61)
    assert recover(core_on(kb, platform, clock).context).relayed == 1
    assert platform.tries == 1 and len(thanks(chat)) == 1  # the champion is still thanked
    [answer] = rows(kb, ChampionAnswer)
    assert answer.passed_on_at is not None and answer.relay_message_id is None
    clock.advance(minutes=5)
    recover(core_on(kb, platform, clock).context)
    assert platform.tries == 1


def announcements(chat: Chat) -> list:
    return [m for m in chat.bot_messages(channel="dm-you") if "Verified by" in m.text]


def test_a_verification_a_crash_kept_from_the_asker_is_announced_once_on_recovery(kb) -> None:
    clock = Clock()
    platform = CrashingPlatform("dm-you", sparing=2)  # "not sure" and the relay reach the asker; then it dies
    chat = Chat(core_on(kb, platform, clock), platform)
    answer = champion_answered(chat)
    with pytest.raises(Crash):
        chat.react("alice", answer, "white_check_mark")
    [verified] = rows(kb, VerifiedAnswer)
    assert verified.status == "active" and announcements(chat) == []

    clock.advance(seconds=30)
    assert recover(core_on(kb, platform, clock).context).announced == 0
    clock.advance(seconds=31)
    reports = recover_on_replicas(kb, platform, clock)
    assert sorted(report.announced for report in reports) == [0, 1]
    [announcement] = announcements(chat)
    assert "Alice" in announcement.text
    assert all(report.relayed == 0 for report in reports)  # the relay went out before: not sent again
    assert len(relays(chat)) == 1

    clock.advance(minutes=5)
    assert recover(core_on(kb, platform, clock).context).announced == 0
    assert len(announcements(chat)) == 1


def test_a_verification_withdrawn_before_recovery_is_not_announced(kb) -> None:
    clock = Clock()
    platform = CrashingPlatform("dm-you", sparing=2)
    chat = Chat(core_on(kb, platform, clock), platform)
    answer = champion_answered(chat)
    with pytest.raises(Crash):
        chat.react("alice", answer, "white_check_mark")
    chat.react("alice", answer, "white_check_mark", added=False)
    clock.advance(seconds=61)
    assert recover(core_on(kb, platform, clock).context).announced == 0
    assert announcements(chat) == []


# -- a verification or a lesson promotion cut in half ------------------------------------------------------

def champion_answered(chat: Chat):
    chat.ask("you", UNKNOWN_QUESTION)
    post = chat.last(channel="office-champions")
    chat.reply("alice", post, CHAMPION_ANSWER)
    return next(m for m in chat.messenger.messages.values() if m.text == CHAMPION_ANSWER and m.reply is None)


def test_an_entry_written_by_a_verification_that_died_is_removed_on_recovery(kb) -> None:
    clock = Clock()
    messenger = ConsoleMessenger(io.StringIO())
    chat = Chat(core_on(kb, messenger, clock), messenger)
    answer = champion_answered(chat)
    dying = Chat(core_on(kb, messenger, clock, knowledge=CrashAfter(kb, "add_entry")), messenger)
    with pytest.raises(Crash):
        dying.react("alice", answer, "white_check_mark")
    assert kb.stats()["entries"] == 1 and rows(kb, VerifiedAnswer) == []

    # Another replica may be between the two writes of its own verification: young entries stay.
    assert recover(core_on(kb, messenger, real_clock_later(seconds=10)).context).entries_removed == 0
    assert kb.stats()["entries"] == 1

    reports = recover_on_replicas(kb, messenger, real_clock_later(minutes=6))
    assert sorted(report.entries_removed for report in reports) in ([0, 1], [1, 1])  # removing twice is harmless
    assert kb.stats()["entries"] == 0
    assert all(hit.kind != "entry" for hit in kb.search(UNKNOWN_QUESTION, k=5))
    assert rows(kb, Question)[0].status == "champion_answered"

    chat.react("alice", answer, "white_check_mark")  # the champion verifies again, and it holds
    [verified] = rows(kb, VerifiedAnswer)
    assert verified.status == "active" and kb.entry_ids() == [verified.entry_id]
    assert recover(core_on(kb, messenger, real_clock_later(minutes=6)).context).entries_removed == 0
    assert kb.entry_ids() == [verified.entry_id]


def test_recovery_removes_only_entries_the_bot_filed_and_never_from_a_trial_process(kb) -> None:
    messenger = ConsoleMessenger(io.StringIO())
    library = kb.add_entry("Where is the office?", "At 1 Main Street.", source="faq", verified_by="import",
                           collection="faq")  # added by a program through the knowledge library
    orphan = kb.add_entry("Lost?", "Written by a verification that died.", source="x", verified_by="Alice")
    trial = Lorebot(config=make_config(), knowledge=kb, messenger=messenger, clock=real_clock_later(minutes=6),
                    identities_verified=False)
    assert recover(trial.context).entries_removed == 0  # its records are elsewhere: everything looks orphaned
    assert sorted(kb.entry_ids()) == sorted([library, orphan])
    assert recover(core_on(kb, messenger, real_clock_later(minutes=6)).context).entries_removed == 1
    assert kb.entry_ids() == [library]


def test_an_unverification_that_died_leaves_no_half_verification_after_recovery(kb) -> None:
    clock = Clock()
    messenger = ConsoleMessenger(io.StringIO())
    chat = Chat(core_on(kb, messenger, clock), messenger)
    answer = champion_answered(chat)
    chat.react("alice", answer, "white_check_mark")
    dying = Chat(core_on(kb, messenger, clock, knowledge=CrashAfter(kb, "remove_entry")), messenger)
    with pytest.raises(Crash):
        dying.react("alice", answer, "white_check_mark", added=False)

    recover(core_on(kb, messenger, real_clock_later(minutes=6)).context)
    active = rows(kb, VerifiedAnswer, VerifiedAnswer.status == "active")
    assert sorted(kb.entry_ids()) == sorted(v.entry_id for v in active)  # both sides agree
    assert active == [] and rows(kb, Question)[0].status == "champion_answered"


def test_a_lesson_stuck_promoting_is_a_candidate_again_after_recovery(kb) -> None:
    clock = Clock()
    messenger = ConsoleMessenger(io.StringIO())
    with Session(kb.engine) as session:
        session.add(LessonPrompt(platform="console", channel="general", message_id="p1", posted_at=clock()))
        session.commit()
    thread = Address("console", "general", "p1")
    posted = messenger.post_as(thread, "you", LESSON, echo=False)
    core = core_on(kb, messenger, clock)
    core.handle(ThreadReply(event_id="r1", person=Person("console", "you"), text=LESSON, where=thread,
                            message_id=posted.id))
    tick = dict(person=Person("console", "carol"), emoji="white_check_mark", added=True,
                message=MessageRef(thread, posted.id))
    dying = core_on(kb, messenger, clock, knowledge=CrashAfter(kb, "add_entry"))
    with pytest.raises(Crash):
        dying.handle(Reaction(event_id="t1", **tick))
    assert rows(kb, Lesson)[0].status == PROMOTING and kb.stats()["entries"] == 1

    clock.advance(minutes=1)  # a promotion that may still be running elsewhere is left alone
    assert recover(core_on(kb, messenger, clock).context).lessons_released == 0
    assert rows(kb, Lesson)[0].status == PROMOTING

    report = recover(core_on(kb, messenger, real_clock_later(minutes=6)).context)
    assert (report.lessons_released, report.entries_removed) == (1, 1)
    [lesson] = rows(kb, Lesson)
    assert (lesson.status, lesson.entry_id, lesson.promoted_at) == (CANDIDATE, None, None)
    assert kb.stats()["entries"] == 0

    core.handle(Reaction(event_id="t2", **tick))  # the champion's ✅ promotes it now
    [lesson] = rows(kb, Lesson)
    assert lesson.status == PROMOTED and kb.entry_ids() == [lesson.entry_id]


# -- a question claimed (the platform acknowledged), never recorded ------------------------------------------

def claims(kb) -> list[AskClaim]:
    return rows(kb, AskClaim)


def died_before_recording(kb, platform, clock, config=None, **ask) -> Chat:
    """Ask in "general" on a process that dies after claiming the message, before recording the question (its
    search never comes back); the chat goes on speaking through ``platform``."""
    dying = Chat(core_on(kb, platform, clock, knowledge=CrashAfter(kb, "embed_question"), config=config), platform)
    with pytest.raises(Crash):
        dying.ask("you", LEAVE_QUESTION, channel="general", **ask)
    return dying


def test_a_question_claimed_but_never_recorded_is_answered_once_its_lease_runs_out(kb, caplog) -> None:
    clock = Clock()
    platform = ConsoleMessenger(io.StringIO())
    died_before_recording(kb, platform, clock, message_id="1700000000.200", event_id="Ev2")
    [claim] = claims(kb)
    assert claim.done_at is None and claim.ask is not None and rows(kb, Question) == []

    chat = Chat(core_on(kb, platform, clock), platform)
    chat.ask("you", LEAVE_QUESTION, channel="general", message_id="1700000000.200", event_id="Ev3")  # app_mention
    assert chat.bot_messages() == []  # another delivery of the message stops at the claim while it is held
    assert recover(core_on(kb, platform, clock).context).asked == 0  # the attempt may still be at work

    clock.advance(seconds=61)
    with caplog.at_level("DEBUG"):
        reports = recover_on_replicas(kb, platform, clock)
    assert sorted(report.asked for report in reports) == [0, 1]
    [reply] = chat.bot_messages()
    assert "25 days" in reply.text and reply.address == Address("console", "general", "1700000000.200")
    [question] = rows(kb, Question)
    assert (question.status, question.channel, question.thread, question.message_id, question.private) == (
        "answered", "general", "1700000000.200", "1700000000.200", False)
    [shown] = rows(kb, AnswerShown)
    assert shown.question_id == question.id
    [claim] = claims(kb)
    assert claim.done_at is not None and claim.question_id == question.id
    assert claim.ask is None  # the question row keeps the words from here on
    assert LEAVE_QUESTION not in caplog.text, "logs never hold message bodies"

    clock.advance(minutes=5)
    assert recover(core_on(kb, platform, clock).context).recovered == 0
    assert len(chat.bot_messages()) == 1


def test_a_question_accepted_before_the_acknowledgement_survives_the_process_dying_before_any_work(kb) -> None:
    """What the platform was told it has, the database has: a process killed right after the acknowledgement,
    before its worker thread started on the question, leaves a claim that recovery answers."""
    clock = Clock()
    platform = ConsoleMessenger(io.StringIO())
    chat = Chat(core_on(kb, platform, clock), platform)
    ask = Ask(event_id="Ev7", person=Person("console", "you"), text=LEAVE_QUESTION,
              where=Address("console", "dm-you", "u7"), message_id="u7", private=True)
    assert core_on(kb, platform, clock).accept(ask) is not None  # acknowledged; the work is never run
    duplicate = Ask(event_id="Ev8", person=ask.person, text=ask.text, where=ask.where, message_id="u7")
    assert core_on(kb, platform, clock).accept(duplicate) is None  # Slack's message event for the same mention

    clock.advance(seconds=61)
    assert recover(core_on(kb, platform, clock).context).asked == 1
    [reply] = chat.bot_messages()
    assert "25 days" in reply.text and reply.address == Address("console", "dm-you", "u7")
    assert rows(kb, Question)[0].private


def test_an_accepted_question_is_answered_by_the_work_accept_hands_back(kb) -> None:
    clock = Clock()
    platform = ConsoleMessenger(io.StringIO())
    chat = Chat(core_on(kb, platform, clock), platform)
    core = core_on(kb, platform, clock)
    work = core.accept(Ask(event_id="Ev9", person=Person("console", "you"), text=LEAVE_QUESTION,
                           where=Address("console", "general", "u9"), message_id="u9"))
    work()
    [reply] = chat.bot_messages()
    assert "25 days" in reply.text
    clock.advance(minutes=2)
    assert recover(core.context).recovered == 0


def test_the_lease_recovery_waits_for_comes_from_the_configuration(kb) -> None:
    clock = Clock()
    platform = ConsoleMessenger(io.StringIO())
    config = parse_config({**RAW_CONFIG, "answers": THRESHOLDS, "recovery": {"lease_seconds": 5}})
    dying = died_before_recording(kb, platform, clock, config)
    clock.advance(seconds=4)
    assert recover(core_on(kb, platform, clock, config=config).context).asked == 0
    clock.advance(seconds=2)
    assert recover(core_on(kb, platform, clock, config=config).context).asked == 1
    assert len(dying.bot_messages()) == 1


def test_a_question_claimed_on_a_platform_this_process_does_not_serve_is_left_to_one_that_does(kb) -> None:
    clock = Clock()
    console = ConsoleMessenger(io.StringIO())
    ask = Ask(event_id="EvS1", person=Person("slack", "UALICE"), text=LEAVE_QUESTION,
              where=Address("slack", "CGENERAL", "1700000000.300"), message_id="1700000000.300")
    assert core_on(kb, console, clock).accept(ask) is not None  # a Slack replica claimed it, then died
    clock.advance(seconds=61)
    assert recover(core_on(kb, console, clock).context).asked == 0  # this process sends on the console only
    [claim] = claims(kb)
    assert claim.done_at is None and claim.takeovers == 0


def test_a_question_whose_replays_keep_failing_is_given_up_after_max_attempts(kb) -> None:
    clock = Clock()
    platform = ConsoleMessenger(io.StringIO())
    dying = died_before_recording(kb, platform, clock)
    failing = core_on(kb, platform, clock, knowledge=FailingSearch(kb))
    for _ in range(MAX_ATTEMPTS + 2):
        clock.advance(seconds=61)
        assert recover(failing.context).asked == 0
    [claim] = claims(kb)
    assert claim.takeovers == MAX_ATTEMPTS and claim.done_at is None
    assert dying.bot_messages() == []


class FailingSearch:
    """The real knowledge base, except that embedding a question fails (a broken model, say)."""

    def __init__(self, kb) -> None:
        self._kb = kb

    def __getattr__(self, name: str):
        return getattr(self._kb, name)

    def embed_question(self, question: str):
        raise RuntimeError("model unavailable")


def test_the_recovery_loop_answers_what_a_crash_left_without_any_scheduler(kb) -> None:
    """``serve --no-jobs`` has no scheduler catch-up: its recovery loop is what answers, once the lease runs out."""
    clock = Clock()
    platform = ConsoleMessenger(io.StringIO())
    dying = died_before_recording(kb, platform, clock)
    crashing = CrashingPlatform("general")
    recorded = Chat(core_on(kb, crashing, clock), crashing)
    with pytest.raises(Crash):
        recorded.ask("you", UNKNOWN_QUESTION, channel="general", message_id="u2")  # routed; the asker never told

    loop = RecoveryLoop(core_on(kb, platform, clock).context, interval=0.05).start()
    try:
        time.sleep(0.3)  # a few passes while the leases still hold
        assert dying.bot_messages(channel="general") == []
        clock.advance(seconds=61)
        deadline = time.monotonic() + 30
        while len(dying.bot_messages(channel="general")) < 2:
            assert time.monotonic() < deadline, "the loop did not answer"
            time.sleep(0.05)
        time.sleep(0.3)  # later passes send nothing more
    finally:
        loop.stop()
    assert not loop.running
    assert len(dying.bot_messages(channel="general")) == 2
    assert {q.status for q in rows(kb, Question)} == {"answered", "routed"} and len(rows(kb, AnswerShown)) == 2


def test_the_recovery_loop_survives_a_failing_pass_and_stops_at_once(kb) -> None:
    platform = ConsoleMessenger(io.StringIO())
    ctx = core_on(kb, platform, Clock()).context
    ctx.engine = sqlalchemy.create_engine("sqlite:///" + str(kb.home / "missing" / "nowhere.db"))
    loop = RecoveryLoop(ctx, interval=0.02).start()
    time.sleep(0.2)  # every pass fails to reach the database, and is logged
    assert loop.running
    started = time.monotonic()
    loop.stop()
    assert not loop.running and time.monotonic() - started < 5


def test_the_scheduler_catch_up_leaves_recovery_to_the_recovery_loop(kb) -> None:
    from jobs import JobRunner

    clock = Clock()
    platform = CrashingPlatform("general")
    chat = Chat(core_on(kb, platform, clock), platform)
    with pytest.raises(Crash):
        chat.ask("you", LEAVE_QUESTION, channel="general")
    clock.advance(minutes=2)
    JobRunner(core_on(kb, platform, clock)).catch_up()
    assert chat.bot_messages(channel="general") == []
    RecoveryLoop(core_on(kb, platform, clock).context).run_once()
    [reply] = chat.bot_messages(channel="general")
    assert "25 days" in reply.text and len(rows(kb, AnswerShown)) == 1


class GoneAsker(ConsoleMessenger):
    """The console as a platform that can no longer reach anyone in ``channel`` (the asker left)."""

    def __init__(self, channel: str) -> None:
        super().__init__(io.StringIO())
        self.channel, self.tries = channel, 0

    def send(self, address: Address, reply) -> MessageRef:
        if address.channel == self.channel:
            self.tries += 1
            raise Unreachable(address.channel)
        return super().send(address, reply)


def test_an_asker_who_cannot_be_reached_is_tried_once_on_recovery(kb) -> None:
    clock = Clock()
    platform = GoneAsker("general")
    chat = Chat(core_on(kb, platform, clock), platform)
    chat.ask("you", LEAVE_QUESTION, channel="general")  # the reply and the apology both fail
    assert platform.tries == 2 and rows(kb, AnswerShown) == []
    clock.advance(minutes=2)
    assert recover(core_on(kb, platform, clock).context).answered == 0
    assert platform.tries == 3
    [shown] = rows(kb, AnswerShown)
    assert shown.message_id is None
    clock.advance(minutes=2)
    recover(core_on(kb, platform, clock).context)
    assert platform.tries == 3
