"""A champion's last 30 days, seeded with known times, for the views that show them their own impact (App Home,
``/stats`` in Teams and the console).

Relative to ``now``: they answered a question 10 days ago after 1 h and verified it (entry 501), answered another
5 days ago after 3 h, and one 40 days ago (too old to count); two later askers were answered from entry 501. Someone
else's answer counts for them not at all. So: 2 answers, 1 verified, median 2 h, 2 later askers served."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from itertools import count

from sqlmodel import Session

from bot.tables.curation import VerifiedAnswer
from bot.tables.questions import AnswerShown, ChampionAnswer, Question

EXPECTED = "2 answer(s), 1 verified, 2 h median to answer, served 2 later asker(s)."
_ids = count(1)


def _question(s: Session, platform: str, asked_at: datetime) -> Question:
    n = next(_ids)
    question = Question(platform=platform, asker_id=f"asker-{n}", channel=f"impact-{n}", message_id=f"impact-{n}",
                        text=f"Impact question {n}", status="champion_answered", topic="leave", asked_at=asked_at)
    s.add(question)
    s.commit()
    return question


def seed_impact(engine, champion: str, name: str, now: datetime) -> None:
    """``champion``: their person key ("slack:UCAROL")."""
    platform = champion.split(":", 1)[0]
    day = timedelta(days=1)
    with Session(engine) as s:
        for asked, after, who in [(now - 10 * day, timedelta(hours=1), champion),
                                  (now - 5 * day, timedelta(hours=3), champion),
                                  (now - 40 * day, timedelta(hours=1), champion),
                                  (now - 3 * day, timedelta(minutes=5), f"{platform}:someone-else")]:
            question = _question(s, platform, asked)
            s.add(ChampionAnswer(question_id=question.id, champion_id=who, champion_name=name, text="Answer",
                                 message_id=f"answer-{question.id}", answered_at=asked + after))
            s.commit()
            if asked == now - 10 * day:
                s.add(VerifiedAnswer(question_id=question.id, topic="leave", question_text=question.text,
                                     answer_text="Answer", champion_id=champion, champion_name=name, entry_id=501,
                                     verified_at=asked + 2 * after, last_verified_at=asked + 2 * after))
        for asked in (now - 2 * day, now - day):
            question = _question(s, platform, asked)
            s.add(AnswerShown(question_id=question.id, status="answered", shown_at=asked, answer_text="Answer",
                              sources=json.dumps([{"key": "entry:501"}])))
        s.commit()
