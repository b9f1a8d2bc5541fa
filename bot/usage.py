"""How much Lorebot is used, for the administrator's `lorebot stats`.

A week starts on Monday at midnight in the configured timezone, as people there count it.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy
from sqlmodel import Session, select

from bot.tables.questions import Question


def week_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 of ``now``'s week where the company is (aware)."""
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(), tzinfo=tz)


def questions_asked(engine: sqlalchemy.Engine, since: datetime) -> int:
    with Session(engine) as session:
        return int(session.exec(select(sqlalchemy.func.count()).select_from(Question)
                                .where(Question.asked_at >= since)).one())
