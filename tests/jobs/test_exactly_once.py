"""Exactly once across restarts and replicas: claims, the outbox, catch-up, locks and daylight saving.

Each "process" is a JobRunner with its own engine and messenger on the same store; a restart is a new runner.
"""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlmodel import Session, select

from jobs import JobRunner, JobScheduler, SchedulerLock, start_scheduler
from jobs.tables import SENDING, SENT, UNREACHABLE, JobRun, OutboxMessage
from tests.jobs.conftest import FakeClock, FlakyPlatform, console, london, sent_to

MANAGERS = ["dm-leo", "dm-max", "dm-mia", "dm-olga"]


class Crash(BaseException):
    """The process dies mid-send (like a kill): nothing in our code may catch it."""


def digests(*messengers) -> list[str]:
    return sorted(m.address.channel for messenger in messengers for m in messenger.messages.values()
                  if m.reply is not None and "the week of" in (m.reply.title or ""))


def runner(config, engine, messenger, clock) -> JobRunner:
    return JobRunner(config=config, engine=engine, messengers=messenger, clock=clock)


def test_digest_missed_while_down_is_caught_up_once(config, make_engine) -> None:
    clock = FakeClock(london(2026, 3, 16, 11))  # the 09:00 digest passed while the process was down
    first = console()
    results = runner(config, make_engine(), first, clock).catch_up()
    assert {r.job: r.sent for r in results} == {"nudges": 0, "digest": 4}  # nothing waits, so no nudge
    assert digests(first) == MANAGERS

    restarted = console()
    again = runner(config, make_engine(), restarted, clock)
    assert again.catch_up() == []
    clock.advance(hours=3)
    assert again.catch_up() == []
    assert digests(restarted) == []


def test_fire_time_older_than_grace_is_not_caught_up(config, engine) -> None:
    clock = FakeClock(london(2026, 3, 16, 21, 30))  # 12.5 hours after the fire time, grace is 12
    messenger = console()
    assert runner(config, engine, messenger, clock).catch_up() == []
    assert digests(messenger) == []


def test_two_runners_on_one_store_send_one_digest_each(config, make_engine) -> None:
    clock = FakeClock(london(2026, 3, 16, 9, 1))
    one, two = console(), console()
    runners = [runner(config, make_engine(), one, clock), runner(config, make_engine(), two, clock)]
    threads = [threading.Thread(target=r.catch_up) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(digests(one, two)) == MANAGERS
    for r in runners:
        assert r.catch_up() == []
    assert sorted(digests(one, two)) == MANAGERS


def test_platform_failure_after_half_resumes_the_rest_after_restart(config, make_engine) -> None:
    clock = FakeClock(london(2026, 3, 16, 9, 1))
    failing = FlakyPlatform(ok=2, error=ConnectionError("platform down"))
    runner(config, make_engine(), failing, clock).catch_up()
    assert len(digests(failing)) == 2

    restarted = console()
    runner(config, make_engine(), restarted, clock).catch_up()
    assert sorted(digests(failing, restarted)) == MANAGERS
    assert not set(digests(failing)) & set(digests(restarted))


def test_crash_mid_send_resumes_after_the_lease_and_sends_none_twice(config, make_engine) -> None:
    clock = FakeClock(london(2026, 3, 16, 9, 1))
    crashing = FlakyPlatform(ok=2, error=Crash())
    with pytest.raises(Crash):
        runner(config, make_engine(), crashing, clock).catch_up()
    engine = make_engine()
    with Session(engine) as session:
        statuses = Counter(row.status for row in session.exec(select(OutboxMessage)).all())
    assert statuses == {SENT: 2, SENDING: 1, "pending": 1}

    clock.advance(minutes=1)
    restarted = console()
    resumed = runner(config, engine, restarted, clock)
    resumed.catch_up()
    assert len(digests(restarted)) == 1  # the interrupted one waits for its lease to expire
    clock.advance(minutes=15)
    resumed.catch_up()
    assert sorted(digests(crashing, restarted)) == MANAGERS
    with Session(engine) as session:
        run = session.exec(select(JobRun).where(JobRun.job == "digest")).one()
        assert run.finished_at is not None and run.messages == 4


def test_unreachable_recipient_does_not_stop_the_batch(config, engine) -> None:
    clock = FakeClock(london(2026, 3, 16, 9, 1))
    messenger = FlakyPlatform(unreachable=("max",))
    [_, result] = runner(config, engine, messenger, clock).catch_up()
    assert (result.sent, result.unreachable) == (3, 1)
    assert digests(messenger) == ["dm-leo", "dm-mia", "dm-olga"]
    with Session(engine) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "dm:max")).one()
        assert row.status == UNREACHABLE
    assert runner(config, engine, console(), clock).catch_up() == []


@pytest.mark.parametrize("start, end, fire", [
    (london(2026, 3, 23, 22), london(2026, 3, 30, 22), london(2026, 3, 30, 9)),  # clocks go forward 29 Mar
    (london(2026, 10, 19, 22), london(2026, 10, 26, 22), london(2026, 10, 26, 9)),  # clocks go back 25 Oct
])
def test_daylight_saving_week_sends_one_digest(config, engine, start, end, fire) -> None:
    clock = FakeClock(start)
    messenger = console()
    jobs = runner(config, engine, messenger, clock)
    while clock.now < end:
        jobs.catch_up()
        clock.advance(minutes=30)
    assert digests(messenger) == MANAGERS
    with Session(engine) as session:
        runs = session.exec(select(JobRun).where(JobRun.job == "digest")).all()
    assert [(run.period, run.scheduled_for) for run in runs] == [(fire.astimezone(config.tz).strftime("%Y-%m-%dT09:00"), fire)]


def test_dry_run_sends_nothing_and_writes_nothing(config, engine) -> None:
    clock = FakeClock(london(2026, 3, 16, 9, 1))
    messenger = console()
    jobs = runner(config, engine, messenger, clock)
    result = jobs.run("digest", dry_run=True)
    assert len(result.deliveries) == 4
    text = result.text()
    assert "Would send 4 message(s) for digest" in text and "*sales: the week of 09 Mar – 16 Mar*" in text
    assert messenger.messages == {}
    with Session(engine) as session:
        assert session.exec(select(JobRun)).all() == []
        assert session.exec(select(OutboxMessage)).all() == []
    # and the scheduled digest still goes out afterwards
    jobs.catch_up()
    assert digests(messenger) == MANAGERS


def test_run_by_hand_is_its_own_period(config, engine) -> None:
    clock = FakeClock(london(2026, 3, 16, 9, 1))
    messenger = console()
    jobs = runner(config, engine, messenger, clock)
    manual = jobs.run("digest")
    assert manual.ran and manual.period == "manual:2026-03-16" and manual.sent == 4
    clock.advance(hours=2)
    assert jobs.run("digest").status == "already_ran"  # a second run by hand the same day sends nothing
    assert jobs.run("digest", dry_run=True).status == "already_ran"
    jobs.catch_up()
    assert len(digests(messenger)) == 8  # the scheduled digest still goes out
    clock.now = london(2026, 3, 17, 9)
    assert jobs.run("digest").sent == 4  # by hand again the next day


def test_list_jobs_shows_next_runs(config, engine) -> None:
    jobs = runner(config, engine, console(), FakeClock(london(2026, 3, 16, 9, 30)))
    listed = {name: (schedule, when) for name, schedule, when in jobs.list_jobs()}
    assert listed["digest"] == ("0 9 * * mon", london(2026, 3, 23, 9))
    assert listed["nudges"][1] == london(2026, 3, 17, 9)
    assert listed["lessons"][1] == london(2026, 3, 20, 15)
    assert listed["reverify"][1] == london(2026, 3, 17, 10)
    assert listed["shout_out"] == ("0 10 1 * *", london(2026, 4, 1, 10))
    assert str(listed["digest"][1].tzinfo) == "Europe/London"


def test_lock_lets_one_scheduler_run(engine, make_engine) -> None:
    first, second = SchedulerLock(engine), SchedulerLock(make_engine())
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_locks_of_different_stores_do_not_collide(postgres_url, tmp_path) -> None:
    from sqlmodel import create_engine

    engines = [create_engine(postgres_url), create_engine(f"sqlite:///{tmp_path / 'other.db'}")]
    try:
        locks = [SchedulerLock(e) for e in engines]
        assert all(lock.acquire() for lock in locks)
        for lock in locks:
            lock.release()
    finally:
        for e in engines:
            e.dispose()


def test_second_scheduler_stands_by_until_the_first_stops(config, make_engine) -> None:
    clock = FakeClock(london(2026, 3, 16, 12))
    first = JobScheduler(runner(config, make_engine(), console(), clock))
    second = JobScheduler(runner(config, make_engine(), console(), clock))
    try:
        assert first.start(paused=True)
        assert not second.start(paused=True)
        assert {job.id for job in first.scheduler.get_jobs()} == {"nudges", "lessons", "digest", "reverify",
                                                                  "shout_out", "catch-up"}
        assert [job.id for job in second.scheduler.get_jobs()] == ["standby"]
        digest_job = first.scheduler.get_job("digest")
        assert digest_job.coalesce and digest_job.max_instances == 1
        assert digest_job.misfire_grace_time == 12 * 3600
        first.shutdown(wait=False)
        assert second.try_activate()
        assert second.scheduler.get_job("standby") is None
    finally:
        first.shutdown(wait=False)
        second.shutdown(wait=False)


def test_started_scheduler_catches_up_in_the_background(config, engine) -> None:
    clock = FakeClock(london(2026, 3, 16, 10))
    done = threading.Event()

    class Signalling(FlakyPlatform):
        def send(self, address, reply):
            ref = super().send(address, reply)
            if len(self.messages) == 4:
                done.set()
            return ref

    messenger = Signalling()
    scheduler = start_scheduler(runner(config, engine, messenger, clock))
    try:
        assert scheduler.active
        assert done.wait(timeout=30)
    finally:
        scheduler.shutdown()
    assert digests(messenger) == MANAGERS


def test_a_failing_after_send_step_never_sends_the_message_again(config, engine, caplog) -> None:
    from bot.context import LorebotContext
    from bot.replies import Reply
    from jobs.outbox import Delivery, release_stale_claims, send_pending, to_row

    clock = FakeClock(london(2026, 3, 20, 15))
    messenger = console()
    ctx = LorebotContext(config=config, engine=engine, messenger=messenger, clock=clock)
    with Session(engine) as session:
        session.add(to_row("lessons", "2026-W12", Delivery(recipient="general", platform="console", kind="channel",
                                                           target="general", reply=Reply(text="What did you learn?")),
                           clock()))
        session.commit()

    def broken(session, row, ref) -> None:
        raise RuntimeError("the hook's own table is unavailable")

    report = send_pending(ctx, {"lessons": broken})
    assert report.sent == 1 and len(messenger.messages) == 1
    with Session(engine) as session:
        row = session.exec(select(OutboxMessage)).one()
    assert row.status == SENT and row.message_id == next(iter(messenger.messages))
    assert "after-send step failed (RuntimeError)" in caplog.text

    clock.advance(minutes=30)  # well past the sending lease: nothing comes back to be sent again
    assert release_stale_claims(ctx) == 0
    assert send_pending(ctx, {"lessons": broken}).sent == 0
    assert len(messenger.messages) == 1
