"""Champions recognised: their figures, the digests' "Champions this week" and the monthly shout-out, on a store
seeded with known times and checked against values counted by hand.

The week of the digest runs from Monday 16 March 09:00 to Monday 23 March 09:00 (London). In it:

- Q1 (sam, hr, asked 17 Mar 10:00): Cara answers at 11:00 (1 h) and again at 14:00 (one question, counted once),
  Carl at 13:00 (3 h); Carl verifies Cara's answer at 15:00 (entry 101).
- Q2 (sue, hr, 18 Mar 09:00): Cara answers at 12:00 (3 h) and verifies it at 12:30 (entry 102); the answer shown
  on Q2 itself from entry 102 is no *later* asker.
- Q3 (tom, it, 18 Mar 10:00): Ivan answers at 10:30 (30 min) and verifies it at 11:00 (entry 103); an earlier
  verification of his, withdrawn, counts for nothing.
- Q9 (sue, it, 20 Mar 09:00): Cara answers at 09:15 (15 min).
- Later askers answered from verified entries: sam from 103 (Ivan), sue and tom from 101 (Carl), sue from 102
  (Cara); zed was only *suggested* 102, which is no answer.
- Before the week, Q0 (sue, hr, 15 Mar 10:00): Cara answered at 12:00 (2 h).

So the week, for everyone: Cara hr 2 answers, 1 verified, median 2 h (1 h and 3 h), 1 served; Cara it 1 answer,
15 min; Carl hr 1 answer, 1 verified, 3 h, 2 served; Ivan it 1 answer, 1 verified, 30 min, 1 served.
"""
from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session

from bot.config import parse_config
from bot.context import LorebotContext
from bot.curation.impact import impact
from bot.tables.curation import VerifiedAnswer
from bot.tables.questions import AnswerShown, ChampionAnswer
from jobs import JobRunner
from jobs.digest_figures import org_week, team_week
from jobs.periods import month_before
from tests.jobs.conftest import CONFIG, LONDON, FakeClock, add_question, console, london

MONDAY = london(2026, 3, 23, 9)
PEOPLE = {**CONFIG["people"], "cara": {"name": "Cara", "team": "sales"}, "carl": {"name": "Carl", "team": "sales"},
          "ivan": {"name": "Ivan", "team": "support"}}


def champions_config(*opted_in: str, admins: tuple[str, ...] = ()):
    teams = {name: {**team, **({"shout_out": True} if name in opted_in else {})}
             for name, team in CONFIG["teams"].items()}
    return parse_config({**CONFIG, "people": PEOPLE, "teams": teams, "admins": list(admins),
                         "champions": {"channel": {"console": "champions"}}})


def answer(s: Session, question, champion: str, at) -> ChampionAnswer:
    row = ChampionAnswer(question_id=question.id, champion_id=f"console:{champion}", champion_name=champion.title(),
                         text=f"{champion} says", message_id=f"a-{question.id}-{champion}-{at:%d%H%M}", answered_at=at)
    s.add(row)
    s.commit()
    return row


def verify(s: Session, question, champion: str, at, entry: int, reply: ChampionAnswer | None = None,
           status: str = "active") -> None:
    s.add(VerifiedAnswer(question_id=question.id, topic=question.topic, question_text=question.text,
                         answer_text="...", champion_id=f"console:{champion}", champion_name=champion.title(),
                         entry_id=entry, champion_answer_id=reply.id if reply else None, verified_at=at,
                         last_verified_at=at, status=status))
    s.commit()


def shown(s: Session, asker: str, topic: str, entry: int, at, status: str = "answered"):
    question = add_question(s, asker=asker, text=f"Asked again by {asker} at {at:%d %H:%M}", status=status,
                            resolved_by="bot", topic=topic, confidence=0.9, asked_at=at)
    s.add(AnswerShown(question_id=question.id, status=status, shown_at=at, answer_text="...",
                      sources=json.dumps([{"key": f"entry:{entry}", "title": "Verified"}, {"key": "doc:1"}])))
    s.commit()
    return question


def seed(engine) -> None:
    with Session(engine) as s:
        q0 = add_question(s, asker="sue", text="Q0", asked_at=london(2026, 3, 15, 10), status="champion_answered")
        answer(s, q0, "cara", london(2026, 3, 15, 12))
        q1 = add_question(s, asker="sam", text="Q1", asked_at=london(2026, 3, 17, 10), status="verified")
        first = answer(s, q1, "cara", london(2026, 3, 17, 11))
        answer(s, q1, "carl", london(2026, 3, 17, 13))
        answer(s, q1, "cara", london(2026, 3, 17, 14))
        verify(s, q1, "carl", london(2026, 3, 17, 15), 101, first)
        q2 = add_question(s, asker="sue", text="Q2", asked_at=london(2026, 3, 18, 9), status="verified")
        verify(s, q2, "cara", london(2026, 3, 18, 12, 30), 102, answer(s, q2, "cara", london(2026, 3, 18, 12)))
        s.add(AnswerShown(question_id=q2.id, status="answered", shown_at=london(2026, 3, 18, 13), answer_text="...",
                          sources=json.dumps([{"key": "entry:102"}])))
        q3 = add_question(s, asker="tom", text="Q3", topic="it", asked_at=london(2026, 3, 18, 10), status="verified")
        verify(s, q3, "ivan", london(2026, 3, 18, 10, 45), 104, status="removed")
        verify(s, q3, "ivan", london(2026, 3, 18, 11), 103, answer(s, q3, "ivan", london(2026, 3, 18, 10, 30)))
        q9 = add_question(s, asker="sue", text="Q9", topic="it", asked_at=london(2026, 3, 20, 9),
                          status="champion_answered")
        answer(s, q9, "cara", london(2026, 3, 20, 9, 15))
        shown(s, "sam", "it", 103, london(2026, 3, 19, 9))
        shown(s, "sue", "hr", 101, london(2026, 3, 19, 10))
        shown(s, "tom", "hr", 101, london(2026, 3, 20, 10))
        shown(s, "zed", "hr", 102, london(2026, 3, 20, 11), status="suggested")
        shown(s, "sue", "hr", 102, london(2026, 3, 21, 10))


def figures(rows) -> list[tuple]:
    return [(r.name, r.topic, r.answers, r.verified, r.median_to_answer, r.served) for r in rows]


def test_the_week_of_every_champion_by_topic(engine) -> None:
    seed(engine)
    with Session(engine) as session:
        week = impact(session, MONDAY - timedelta(days=7), MONDAY)
        together = impact(session, MONDAY - timedelta(days=7), MONDAY, by_topic=False)
        cara = impact(session, MONDAY - timedelta(days=30), MONDAY, champions={"console:cara"}, by_topic=False)
    assert figures(week) == [
        ("Cara", "hr", 2, 1, timedelta(hours=2), 1),
        ("Carl", "hr", 1, 1, timedelta(hours=3), 2),
        ("Ivan", "it", 1, 1, timedelta(minutes=30), 1),
        ("Cara", "it", 1, 0, timedelta(minutes=15), 0),
    ]
    # over both topics: 15 min, 1 h and 3 h
    assert figures(together)[0] == ("Cara", None, 3, 1, timedelta(hours=1), 1)
    # the last 30 days take in Q0 too: 15 min, 1 h, 2 h, 3 h
    assert figures(cara) == [("Cara", None, 4, 1, timedelta(hours=1, minutes=30), 1)]


def test_a_manager_sees_the_champions_who_helped_the_team(engine) -> None:
    seed(engine)
    config = champions_config()
    ctx = LorebotContext(config=config, engine=engine)
    with Session(engine) as session:
        sales = team_week(ctx, session, "sales", MONDAY)
        support = team_week(ctx, session, "support", MONDAY)
    # sales asked Q1, Q2, Q9, and was answered again from 101 (sue), 102 (sue) and 103 (sam)
    assert figures(sales.champions) == [
        ("Cara", "hr", 2, 1, timedelta(hours=2), 1),
        ("Cara", "it", 1, 0, timedelta(minutes=15), 0),
        ("Carl", "hr", 1, 1, timedelta(hours=3), 1),
        ("Ivan", "it", 0, 0, None, 1),
    ]
    assert figures(support.champions) == [("Ivan", "it", 1, 1, timedelta(minutes=30), 0),
                                          ("Carl", "hr", 0, 0, None, 1)]


def test_the_digests_show_champions_this_week(engine) -> None:
    seed(engine)
    config = champions_config(admins=("olga",))
    messenger = console()
    run = JobRunner(config=config, engine=engine, messengers=messenger, clock=FakeClock(MONDAY)).run(
        "digest", now=MONDAY)
    texts = {d.recipient: d.reply.text for d in run.deliveries}
    lines = texts["dm:mia"].splitlines()
    assert lines[lines.index("**Champions this week**"):] == [
        "**Champions this week**",
        "• Cara · hr: 2 answer(s), 1 verified, 2 h median to answer, served 1 later asker(s)",
        "• Cara · it: 1 answer(s), 0 verified, 15 min median to answer, served 0 later asker(s)",
        "• Carl · hr: 1 answer(s), 1 verified, 3 h median to answer, served 1 later asker(s)",
        "• Ivan · it: 0 answer(s), 0 verified, served 1 later asker(s)",  # sam was answered from his entry
    ]
    org = texts["org:olga"].split("\n\n")[0].splitlines()
    assert org[org.index("**Champions this week**"):] == [
        "**Champions this week**",
        "• Cara · hr: 2 answer(s), 1 verified, 2 h median to answer, served 1 later asker(s)",
        "• Cara · it: 1 answer(s), 0 verified, 15 min median to answer, served 0 later asker(s)",
        "• Carl · hr: 1 answer(s), 1 verified, 3 h median to answer, served 2 later asker(s)",
        "• Ivan · it: 1 answer(s), 1 verified, 30 min median to answer, served 1 later asker(s)",
    ]
    assert texts["dm:leo"].startswith("No questions from your team this week.")
    assert "Champions this week" not in texts["dm:leo"]


def test_the_month_before_a_run() -> None:
    assert month_before(london(2026, 4, 1, 10), LONDON) == london(2026, 3, 1, 10)  # across the clock change
    assert month_before(london(2026, 3, 31, 10), LONDON) == london(2026, 2, 28, 10)
    assert month_before(london(2026, 1, 15, 10), LONDON) == london(2025, 12, 15, 10)


def shout_outs(messenger) -> list[str]:
    return [m.reply.text for m in messenger.messages.values()
            if m.reply and m.reply.title == "Thank you, champions!" and m.address.channel == "champions"]


def test_a_team_that_opted_in_thanks_its_champions_once_a_month(engine) -> None:
    """1 April 10:00 covers March: Cara answered Q0, Q1, Q2 and Q9, Carl Q1; support did not opt in."""
    seed(engine)
    messenger = console()
    clock = FakeClock(london(2026, 4, 1, 10, 5))
    jobs = JobRunner(config=champions_config("sales"), engine=engine, messengers=messenger, clock=clock)
    jobs.catch_up()
    jobs.catch_up()
    clock.advance(hours=3)
    jobs.catch_up()
    assert shout_outs(messenger) == [
        "Thank you, Cara (4 answer(s), 1 verified, served 1 later asker(s)) and Carl (1 answer(s), 1 verified, "
        "served 2 later asker(s))! Your answers helped sales in March."]
    clock.now = london(2026, 5, 1, 10, 5)  # nobody helped in April: nothing to say
    jobs.catch_up()
    assert len(shout_outs(messenger)) == 1


def test_no_shout_out_without_opting_in(engine) -> None:
    seed(engine)
    messenger = console()
    jobs = JobRunner(config=champions_config(), engine=engine, messengers=messenger,
                     clock=FakeClock(london(2026, 4, 1, 10, 5)))
    jobs.catch_up()
    assert shout_outs(messenger) == []
    messenger = console()
    support = JobRunner(config=champions_config("support"), engine=engine, messengers=messenger,
                        clock=FakeClock(london(2026, 4, 1, 10, 5)))
    dry = support.run("shout_out", dry_run=True, now=london(2026, 4, 1, 10))
    run = support.run("shout_out", now=london(2026, 4, 1, 10))
    assert dry.text() == run.text()  # --dry-run prints exactly what is posted
    assert run.sent == 1 and shout_outs(messenger) == [
        "Thank you, Ivan (1 answer(s), 1 verified, served 1 later asker(s))! Your answers helped support in March."]
