"""The manager digest on a seeded store: numbers checked against values worked out by hand."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.context import LorebotContext
from bot.curation import VerifiedAnswer
from bot.lessons import PROMOTED, Lesson, LessonPrompt
from bot.questions import ChampionAnswer
from jobs import JobRunner
from jobs.digest import team_week
from tests.jobs.conftest import FakeClock, add_question, console, london

MONDAY = london(2026, 3, 23, 9)  # the digest covers Monday 16 March 09:00 up to this moment


def seed(engine) -> None:
    with Session(engine) as s:
        add_question(s, asker="sam", text="How many vacation days do I get?", status="answered", resolved_by="bot",
                     confidence=0.8, asked_at=london(2026, 3, 16, 10))
        book = add_question(s, asker="sue", text="How do I book parental leave?", status="champion_answered",
                            resolved_by="champion", confidence=0.3, asked_at=london(2026, 3, 17, 10),
                            champion_answered_at=london(2026, 3, 17, 12))
        request = add_question(s, asker="sam", text="How do I request parental leave?", status="verified",
                               resolved_by="champion", confidence=0.35, asked_at=london(2026, 3, 18, 10),
                               champion_answered_at=london(2026, 3, 18, 16))
        add_question(s, asker="sue", text="Where do I expense a taxi receipt?", confidence=0.2,
                     asked_at=london(2026, 3, 19, 11))
        add_question(s, asker="sam", text="How do I reset my VPN password?", status="answered", resolved_by="bot",
                     topic="it", confidence=0.9, asked_at=london(2026, 3, 19, 14))
        add_question(s, asker="sue", text="Is there a parental leave request form?", confidence=0.25,
                     asked_at=london(2026, 3, 20, 9))
        other_team = add_question(s, asker="tom", text="The VPN keeps dropping", topic="it",
                                  asked_at=london(2026, 3, 18, 9), status="champion_answered",
                                  resolved_by="champion", champion_answered_at=london(2026, 3, 18, 10))
        add_question(s, asker="sam", text="Last week's question", asked_at=london(2026, 3, 16, 8, 59))
        add_question(s, asker="sue", text="Asked after the digest ran", asked_at=london(2026, 3, 23, 9))

        s.add(ChampionAnswer(question_id=book.id, champion_id="console:cara", champion_name="Cara",
                             text="Use the HR portal.", message_id="a1", answered_at=london(2026, 3, 17, 12)))
        carl = ChampionAnswer(question_id=request.id, champion_id="console:carl", champion_name="Carl",
                              text="Fill in form P-12.", message_id="a2", answered_at=london(2026, 3, 18, 16))
        s.add(carl)
        s.add(ChampionAnswer(question_id=other_team.id, champion_id="console:ivan", champion_name="Ivan",
                             text="Update the client.", message_id="a3", answered_at=london(2026, 3, 18, 10)))
        s.commit()
        for question, champion, at in [(request, "carl", london(2026, 3, 18, 17)),
                                       (other_team, "ivan", london(2026, 3, 18, 11)),
                                       (book, "cara", london(2026, 3, 10, 11))]:  # the last one: before the week
            s.add(VerifiedAnswer(question_id=question.id, topic=question.topic, question_text=question.text,
                                 answer_text="...", champion_id=f"console:{champion}", champion_name=champion.title(),
                                 verified_at=at, last_verified_at=at))
        prompt = LessonPrompt(platform="console", channel="general", message_id="p1", posted_at=london(2026, 3, 13, 15))
        s.add(prompt)
        s.commit()
        for n, (author, status) in enumerate([("sam", PROMOTED), ("sue", "candidate"), ("tom", PROMOTED)]):
            s.add(Lesson(prompt_id=prompt.id, platform="console", channel="general", message_id=f"l{n}",
                         author_id=f"console:{author}", author_handle=author, text=f"Lesson from {author}",
                         shared_at=london(2026, 3, 20, 10), status=status))
        s.commit()


def test_team_week_numbers(config, engine) -> None:
    seed(engine)
    ctx = LorebotContext(config=config, engine=engine)
    with Session(engine) as session:
        week = team_week(ctx, session, "sales", MONDAY)
    assert week.asked == 6
    assert (week.by_bot, week.by_champions, week.still_open) == (2, 2, 2)
    assert week.median_to_champion == timedelta(hours=4)  # the middle of 2 h and 6 h
    assert [(gap.count, gap.example) for gap in week.gaps] == [
        (3, "How do I book parental leave?"),
        (1, "Where do I expense a taxi receipt?"),
    ]
    assert week.new_verified == ["How do I request parental leave?"]
    assert week.lessons_shared == 2 and week.lessons_promoted == ["Lesson from sam"]
    assert [(c.name, c.answers, c.verified) for c in week.champions] == [("Carl", 1, 1), ("Cara", 1, 0)]

    with Session(engine) as session:
        support = team_week(ctx, session, "support", MONDAY)
    assert (support.asked, support.by_champions, support.still_open) == (1, 1, 0)
    assert support.median_to_champion == timedelta(hours=1)
    assert [(c.name, c.answers, c.verified) for c in support.champions] == [("Ivan", 1, 1)]


def test_each_manager_reads_their_team_week(config, engine) -> None:
    seed(engine)
    messenger = console()
    jobs = JobRunner(config=config, engine=engine, messengers=messenger, clock=FakeClock(MONDAY + timedelta(minutes=5)))
    jobs.catch_up()
    digests = {m.address.channel: m.reply for m in messenger.messages.values() if m.reply and "week of" in m.reply.title}
    assert sorted(digests) == ["dm-leo", "dm-max", "dm-mia", "dm-olga"]
    mia = digests["dm-mia"]
    assert mia.title == "sales: the week of 16 Mar – 23 Mar"
    assert mia.text.splitlines() == [
        "**6** question(s) asked: 33% answered by Lorebot, 33% by champions, 33% still open.",
        "Median time to a champion's answer: **4 h**.",
        "**Top knowledge gaps**",
        "• 3× e.g. “How do I book parental leave?”",
        "• 1× e.g. “Where do I expense a taxi receipt?”",
        "**New knowledge**: 1 verified answer(s), 2 lesson(s) shared (1 added).",
        "• How do I request parental leave?",
        "• Lesson from sam",
        "**Most helpful champions**",
        "• Carl: 1 answer(s), 1 verified",
        "• Cara: 1 answer(s), 0 verified",
    ]
    assert digests["dm-olga"].text.startswith("No questions from your team this week.")
    assert "The VPN keeps dropping" not in mia.text
