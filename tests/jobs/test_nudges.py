"""Champion nudges on a seeded store: who is nudged about what, in which order, and escalation to the backup."""
from __future__ import annotations

from sqlmodel import Session, select

from bot.tables.questions import Question
from jobs import JobRunner
from tests.jobs.conftest import FakeClock, add_question, console, london


def nudges_by_person(messenger) -> dict[str, str]:
    return {m.address.channel.removeprefix("dm-"): m.reply.text for m in messenger.messages.values()
            if m.reply is not None and m.reply.title == "Questions waiting for you"}


def nudges_sent(messenger) -> int:
    return sum(1 for m in messenger.messages.values() if m.reply is not None and m.reply.title == "Questions waiting for you")


def seed(engine) -> dict[str, int]:
    with Session(engine) as session:
        ids = {
            "thursday": add_question(session, asker="sam", text="Can I carry over unused leave?",
                                     asked_at=london(2026, 3, 12, 10)).id,
            "friday_late": add_question(session, asker="sue", text="Is Easter Monday a paid holiday?",
                                        asked_at=london(2026, 3, 13, 16)).id,
            "friday_morning": add_question(session, asker="tom", text="How do I claim overtime?",
                                           asked_at=london(2026, 3, 13, 10)).id,
            "it": add_question(session, asker="sam", text="My VPN token expired", topic="it",
                               asked_at=london(2026, 3, 11, 12)).id,
        }
        add_question(session, asker="sue", text="How many vacation days?", status="answered", resolved_by="bot",
                     asked_at=london(2026, 3, 10, 10), confidence=0.9)
        add_question(session, asker="sue", text="Who approves leave?", status="champion_answered",
                     resolved_by="champion", asked_at=london(2026, 3, 10, 11))
    return ids


def test_nudges_list_waiting_questions_oldest_first_and_escalate(config, engine) -> None:
    seed(engine)
    clock = FakeClock(london(2026, 3, 16, 9))
    messenger = console()
    jobs = JobRunner(config=config, engine=engine, messengers=messenger, clock=clock)

    jobs.catch_up()  # Monday: Friday 16:00 has waited one working hour only
    monday = nudges_by_person(messenger)
    assert set(monday) == {"cara", "carl", "ivan"}
    assert monday["cara"] == monday["carl"]
    lines = monday["cara"].splitlines()
    assert lines[0].startswith("2 question(s) are waiting")
    assert "Can I carry over unused leave?" in lines[1] and "15 h waiting" in lines[1]
    assert "How do I claim overtime?" in lines[2] and "7 h waiting" in lines[2]
    assert "[open thread](console://champions/" in lines[1]
    assert "Easter" not in monday["cara"]
    assert "My VPN token expired" in monday["ivan"]

    messenger.messages.clear()
    clock.now = london(2026, 3, 17, 9)  # Tuesday: second nudge, Friday 16:00 now waited 9 working hours
    jobs.catch_up()
    tuesday = nudges_by_person(messenger)
    assert set(tuesday) == {"cara", "carl", "ivan"}
    assert tuesday["cara"].index("carry over") < tuesday["cara"].index("overtime") < tuesday["cara"].index("Easter")

    messenger.messages.clear()
    clock.now = london(2026, 3, 18, 9)  # Wednesday: two nudges were enough, the backup takes over
    jobs.catch_up()
    wednesday = nudges_by_person(messenger)
    assert set(wednesday) == {"bea", "cara", "carl", "ivan"}
    assert wednesday["bea"].startswith("You're the backup champion: 2 question(s)")
    assert "carry over" in wednesday["bea"] and "overtime" in wednesday["bea"]
    assert "carry over" not in wednesday["cara"] and "Easter" in wednesday["cara"]
    assert "My VPN token expired" in wednesday["ivan"]  # no backup for IT: its champion keeps the question

    with Session(engine) as session:
        counts = {q.text: (q.nudge_count, q.escalated) for q in session.exec(select(Question)).all()}
    assert counts["Can I carry over unused leave?"] == (3, True)
    assert counts["Is Easter Monday a paid holiday?"] == (2, False)
    assert counts["My VPN token expired"] == (3, False)


def test_no_nudge_when_nothing_waits(config, engine) -> None:
    with Session(engine) as session:
        add_question(session, asker="sue", text="Recent question", asked_at=london(2026, 3, 16, 8))
    messenger = console()
    jobs = JobRunner(config=config, engine=engine, messengers=messenger, clock=FakeClock(london(2026, 3, 16, 9)))
    result = jobs.run("nudges")
    assert result.ran and result.deliveries == [] and messenger.messages == {}


def test_nudge_dry_run_counts_nothing(config, engine) -> None:
    seed(engine)
    messenger = console()
    jobs = JobRunner(config=config, engine=engine, messengers=messenger, clock=FakeClock(london(2026, 3, 16, 9)))
    result = jobs.run("nudges", dry_run=True)
    assert sorted(d.recipient for d in result.deliveries) == ["dm:cara", "dm:carl", "dm:ivan"]
    assert "Can I carry over unused leave?" in result.text()
    assert messenger.messages == {}
    with Session(engine) as session:
        assert all(q.nudge_count == 0 for q in session.exec(select(Question)).all())


def test_a_restricted_question_is_nudged_only_to_champions_who_may_read_it(engine) -> None:
    from bot.config import parse_config
    from tests.jobs.conftest import CONFIG

    config = parse_config({**CONFIG, "collections": {"payroll": {"visible_to": ["person:cara"]}}})
    with Session(engine) as session:
        add_question(session, asker="sam", text="What is the payroll cut-off?", asked_at=london(2026, 3, 12, 10),
                     audience='["payroll"]')
        add_question(session, asker="sue", text="Can I carry over unused leave?", asked_at=london(2026, 3, 12, 10))
    messenger = console()
    JobRunner(config=config, engine=engine, messengers=messenger, clock=FakeClock(london(2026, 3, 16, 9))).catch_up()
    nudged = nudges_by_person(messenger)
    assert "payroll" in nudged["cara"] and "carry over" in nudged["cara"]
    assert "payroll" not in nudged["carl"] and "carry over" in nudged["carl"]


def test_runs_by_hand_nudge_once_a_day_and_escalate_after_distinct_days(config, engine) -> None:
    clock, messenger, jobs = one_waiting_question(config, engine, "sam", "Can I carry over unused leave?")

    assert sorted(d.recipient for d in jobs.run("nudges").deliveries) == ["dm:cara", "dm:carl"]
    clock.advance(seconds=30)
    again = jobs.run("nudges", dry_run=True)  # the dry run shows what a run would do: nothing
    assert again.status == "already_ran" and again.deliveries == []
    assert "already ran by hand today" in again.summary()
    assert jobs.run("nudges").status == "already_ran"
    clock.advance(hours=6)
    jobs.catch_up()  # the scheduled run of that day finds the question nudged already
    assert nudges_sent(messenger) == 2

    clock.now = london(2026, 3, 17, 9)  # Tuesday: the second nudge, by the schedule; then by hand, nothing new
    jobs.catch_up()
    assert nudges_sent(messenger) == 4
    by_hand = jobs.run("nudges")
    assert by_hand.ran and by_hand.deliveries == []

    clock.now = london(2026, 3, 18, 9)  # Wednesday: nudged on two days, so the backup takes over
    assert [d.recipient for d in jobs.run("nudges").deliveries] == ["dm:bea"]
    with Session(engine) as session:
        question = session.exec(select(Question)).one()
    assert (question.nudge_count, question.escalated) == (3, True)


def test_an_open_duplicate_of_a_verified_question_is_not_nudged(config, engine) -> None:
    from bot.tables.curation import VerifiedAnswer

    with Session(engine) as session:
        done = add_question(session, asker="sam", text="Is Christmas Eve a holiday?", status="verified",
                            resolved_by="champion", asked_at=london(2026, 3, 10, 10))
        session.add(VerifiedAnswer(question_id=done.id, topic="hr", question_text=done.text, answer_text="Half day.",
                                   champion_id="console:cara", verified_at=london(2026, 3, 10, 12),
                                   last_verified_at=london(2026, 3, 10, 12)))
        session.commit()
        add_question(session, asker="sue", text="Is Christmas Eve a holiday?", asked_at=london(2026, 3, 12, 10))
        add_question(session, asker="tom", text="How do I claim overtime?", asked_at=london(2026, 3, 12, 10))
    messenger = console()
    JobRunner(config=config, engine=engine, messengers=messenger, clock=FakeClock(london(2026, 3, 16, 9))).run("nudges")
    nudged = nudges_by_person(messenger)
    assert "overtime" in nudged["cara"] and "Christmas" not in nudged["cara"]


def test_a_champion_is_never_nudged_about_their_own_question(config, engine) -> None:
    with Session(engine) as session:
        add_question(session, asker="cara", text="Do interns get a leave allowance?", asked_at=london(2026, 3, 12, 10))
        add_question(session, asker="ivan", text="Who renews the VPN licence?", topic="it",
                     asked_at=london(2026, 3, 12, 10))
    messenger = console()
    JobRunner(config=config, engine=engine, messengers=messenger, clock=FakeClock(london(2026, 3, 16, 9))).catch_up()
    nudged = nudges_by_person(messenger)
    assert set(nudged) == {"carl"}  # not cara, who asked; ivan, the only IT champion, asked his own: no one else
    assert "interns" in nudged["carl"]


def test_a_backup_champion_is_never_nudged_about_their_own_question(config, engine) -> None:
    clock, messenger, jobs = one_waiting_question(config, engine, "bea", "Who signs off my overtime?")
    for day in range(4):  # past escalate_after: the backup would be asked now, but she asked it
        clock.now = london(2026, 3, 16 + day, 9)
        jobs.catch_up()
    nudged = nudges_by_person(messenger)
    assert "bea" not in nudged
    assert "overtime" in nudged["cara"] and "overtime" in nudged["carl"]


def one_waiting_question(config, engine, asker: str, text: str):
    """One question routed on a Thursday, and a runner whose clock stands on the next Monday morning."""
    with Session(engine) as session:
        add_question(session, asker=asker, text=text, asked_at=london(2026, 3, 12, 10))
    clock = FakeClock(london(2026, 3, 16, 9))
    messenger = console()
    return clock, messenger, JobRunner(config=config, engine=engine, messengers=messenger, clock=clock)
