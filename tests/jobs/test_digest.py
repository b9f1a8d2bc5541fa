"""The manager and admin digests on a seeded store: numbers checked against values worked out by hand.

The week before (9-16 March) has one question, answered and verified by a champion; this week sales asked six:
one answered by Lorebot, one answered by Lorebot but marked Not helpful by its asker (👎), two answered by
champions (one verified, so it is no gap), two still open."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.context import LorebotContext
from bot.tables.curation import VerifiedAnswer
from bot.tables.feedback import Feedback
from bot.tables.lessons import PROMOTED, Lesson, LessonPrompt
from bot.config import parse_config
from bot.tables.questions import ChampionAnswer
from jobs import JobRunner
from jobs.digest_figures import team_week
from tests.jobs.conftest import CONFIG
from tests.jobs.conftest import FakeClock, add_question, console, london

MONDAY = london(2026, 3, 23, 9)  # the digest covers Monday 16 March 09:00 up to this moment


def seed(engine) -> dict[str, str]:
    """The store above; returns the thread links of the questions the digests quote."""
    with Session(engine) as s:
        vacation = add_question(s, asker="sam", text="How many vacation days do I get?", status="answered",
                                resolved_by="bot", confidence=0.8, asked_at=london(2026, 3, 16, 10))
        book = add_question(s, asker="sue", text="How do I book parental leave?", status="champion_answered",
                            resolved_by="champion", confidence=0.3, asked_at=london(2026, 3, 17, 10),
                            champion_answered_at=london(2026, 3, 17, 12))
        request = add_question(s, asker="sam", text="How do I request parental leave?", status="verified",
                               resolved_by="champion", confidence=0.35, asked_at=london(2026, 3, 18, 10),
                               champion_answered_at=london(2026, 3, 18, 16))
        taxi = add_question(s, asker="sue", text="Where do I expense a taxi receipt?", confidence=0.2,
                            asked_at=london(2026, 3, 19, 11))
        vpn = add_question(s, asker="sam", text="How do I reset my VPN password?", status="answered",
                           resolved_by="bot", topic="it", confidence=0.9, asked_at=london(2026, 3, 19, 14))
        add_question(s, asker="sue", text="Is there a parental leave request form?", confidence=0.25,
                     asked_at=london(2026, 3, 20, 9))
        other_team = add_question(s, asker="tom", text="The VPN keeps dropping", topic="it",
                                  asked_at=london(2026, 3, 18, 9), status="champion_answered",
                                  resolved_by="champion", champion_answered_at=london(2026, 3, 18, 10))
        last_week = add_question(s, asker="sam", text="Last week's question", status="verified",
                                 resolved_by="champion", asked_at=london(2026, 3, 16, 8, 30))
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
                                       (last_week, "cara", london(2026, 3, 16, 8, 59))]:  # before the week
            s.add(VerifiedAnswer(question_id=question.id, topic=question.topic, question_text=question.text,
                                 answer_text="...", champion_id=f"console:{champion}", champion_name=champion.title(),
                                 verified_at=at, last_verified_at=at))
        s.add(Feedback(question_id=vpn.id, person_id="console:sam", kind="-1", at=london(2026, 3, 19, 15)))
        s.add(Feedback(question_id=vacation.id, person_id="console:sue", kind="not_helpful",  # not the asker
                       at=london(2026, 3, 19, 15)))
        prompt = LessonPrompt(platform="console", channel="general", message_id="p1", posted_at=london(2026, 3, 13, 15))
        s.add(prompt)
        s.commit()
        for n, (author, status) in enumerate([("sam", PROMOTED), ("sue", "candidate"), ("tom", PROMOTED)]):
            s.add(Lesson(prompt_id=prompt.id, platform="console", channel="general", message_id=f"l{n}",
                         author_id=f"console:{author}", author_handle=author, text=f"Lesson from {author}",
                         shared_at=london(2026, 3, 20, 10), status=status))
        s.commit()
        return {"book": f"console://dm-sue/{book.thread}", "taxi": f"console://dm-sue/{taxi.thread}",
                "vpn": f"console://dm-sam/{vpn.thread}"}


def test_team_week_numbers(config, engine) -> None:
    seed(engine)
    ctx = LorebotContext(config=config, engine=engine)
    with Session(engine) as session:
        week = team_week(ctx, session, "sales", MONDAY)
    assert week.asked == 6
    assert (week.by_bot, week.by_champions, week.still_open, week.not_helpful) == (1, 2, 2, 1)
    assert week.topics == {"hr": 5, "it": 1}
    assert week.median_to_champion == timedelta(hours=4)  # the middle of 2 h and 6 h
    before = week.previous
    assert (before.asked, before.by_bot, before.by_champions, before.still_open, before.not_helpful) == (1, 0, 1, 0, 0)
    assert before.topics == {"hr": 1} and before.median_to_champion is None
    # "How do I request parental leave?" was answered and verified: knowledge now, not a gap
    assert [(gap.label, gap.count, gap.example) for gap in week.gaps] == [
        ("Parental leave", 2, "How do I book parental leave?"),
        ("Expense taxi receipt", 1, "Where do I expense a taxi receipt?"),
        ("Reset vpn password", 1, "How do I reset my VPN password?"),  # marked Not helpful by its asker
    ]
    assert week.new_verified == ["How do I request parental leave?"]
    assert week.lessons_shared == 2 and week.lessons_promoted == ["Lesson from sam"]
    assert [(c.name, c.answers, c.verified) for c in week.champions] == [("Carl", 1, 1), ("Cara", 1, 0)]

    with Session(engine) as session:
        support = team_week(ctx, session, "support", MONDAY)
    assert (support.asked, support.by_champions, support.still_open) == (1, 1, 0)
    assert support.gaps == []  # answered and verified
    assert support.median_to_champion == timedelta(hours=1)
    assert [(c.name, c.answers, c.verified) for c in support.champions] == [("Ivan", 1, 1)]


def test_each_manager_reads_their_team_week(config, engine) -> None:
    links = seed(engine)
    messenger = console()
    jobs = JobRunner(config=config, engine=engine, messengers=messenger, clock=FakeClock(MONDAY + timedelta(minutes=5)))
    jobs.catch_up()
    digests = {m.address.channel: m.reply for m in messenger.messages.values() if m.reply and "week of" in m.reply.title}
    assert sorted(digests) == ["dm-leo", "dm-max", "dm-mia", "dm-olga"]
    mia = digests["dm-mia"]
    assert mia.title == "sales: the week of 16 Mar – 23 Mar"
    assert mia.text.splitlines() == [
        "**6** question(s) asked (+5 vs last week).",
        "• answered by Lorebot: **1** (17%, +1 vs last week)",
        "• answered by champions: **2** (33%, +1 vs last week)",
        "• still open: **2** (33%, +2 vs last week)",
        "• Lorebot's answer marked Not helpful: **1** (17%, +1 vs last week)",
        "**By topic**: hr 5 (+4), it 1 (+1)",
        "Median time to a champion's answer: **4 h** (none last week).",
        "**Top knowledge gaps**",
        f"• **Parental leave**: 2×, e.g. “How do I book parental leave?” [open thread]({links['book']})",
        f"• **Expense taxi receipt**: 1×, e.g. “Where do I expense a taxi receipt?” [open thread]({links['taxi']})",
        f"• **Reset vpn password**: 1×, e.g. “How do I reset my VPN password?” [open thread]({links['vpn']})",
        "**New knowledge**: 1 verified answer(s), 2 lesson(s) shared (1 added).",
        "• How do I request parental leave?",
        "• Lesson from sam",
        "**Champions this week**",
        "• Carl · hr: 1 answer(s), 1 verified, 6 h median to answer, served 0 later asker(s)",
        "• Cara · hr: 1 answer(s), 0 verified, 2 h median to answer, served 0 later asker(s)",
    ]
    assert digests["dm-olga"].text.startswith("No questions from your team this week.")
    assert "The VPN keeps dropping" not in mia.text


def test_admins_get_everyone_with_the_askers_in_no_team(engine) -> None:
    """zed is in no [people] entry and ivan in no team: no manager sees their questions, the admin does. ivan asked
    in a direct message, so his words are never quoted."""
    config = parse_config({**CONFIG, "admins": ["olga"]})
    links = seed(engine)
    with Session(engine) as s:
        dog = add_question(s, asker="zed", text="Can I bring my dog to the office?", topic=None,
                           asked_at=london(2026, 3, 19, 10))
        add_question(s, asker="ivan", text="My salary is wrong, who do I ask?", private=True,
                     asked_at=london(2026, 3, 20, 10))
        dog_link = f"console://dm-zed/{dog.thread}"
    clock = FakeClock(MONDAY + timedelta(minutes=5))
    messenger = console()
    jobs = JobRunner(config=config, engine=engine, messengers=messenger, clock=clock)
    dry = jobs.run("digest", dry_run=True, now=MONDAY)
    run = jobs.run("digest", now=MONDAY)
    assert dry.text() == run.text() and messenger.messages  # --dry-run prints exactly what is sent

    org = next(d.reply for d in run.deliveries if d.recipient == "org:olga")
    assert org.title == "Everyone: the week of 16 Mar – 23 Mar"
    sections = org.text.split("\n\n")
    assert sections[0].splitlines()[:2] == [
        "**9** question(s) asked (+8 vs last week).",
        "• answered by Lorebot: **1** (11%, +1 vs last week)",
    ]
    assert sections[1].splitlines() == [
        "**By team**",
        "• sales: **6** question(s) (+5 vs last week), 17% answered by Lorebot, 2 still open",
        "• support: **1** question(s) (+1 vs last week), 0% answered by Lorebot, 0 still open",
        "• ops: **0** question(s) (same as last week), 0% answered by Lorebot, 0 still open",
        "• legal: **0** question(s) (same as last week), 0% answered by Lorebot, 0 still open",
    ]
    assert sections[2].splitlines() == [
        "**Unassigned**: askers in no team, so no manager sees them",
        "**2** question(s) asked (+2 vs last week).",
        "• answered by Lorebot: **0** (0%, same as last week)",
        "• answered by champions: **0** (0%, same as last week)",
        "• still open: **2** (100%, +2 vs last week)",
        "• Lorebot's answer marked Not helpful: **0** (0%, same as last week)",
        "**By topic**: hr 1 (+1), no topic 1 (+1)",
        "No champion answers this week.",  # and one still open: not "needed"
        "**Top knowledge gaps**",
        f"• **Bring dog office**: 1×, e.g. “Can I bring my dog to the office?” [open thread]({dog_link})",
        "• 1× asked in private or about restricted material (not quoted)",
    ]
    assert "salary" not in org.text and links["book"] in org.text
    managers = {d.recipient: d.reply.text for d in run.deliveries if d.recipient.startswith("dm:")}
    assert sorted(managers) == ["dm:leo", "dm:max", "dm:mia", "dm:olga"]
    assert not any("dog" in text for text in managers.values())
