"""The weekly lessons-learned prompt, posted into each configured channel.

Each posted prompt is remembered (bot.tables.lessons.LessonPrompt) when it is marked sent, so replies in its thread
become lesson candidates that a champion can promote with ✅.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.addresses import MessageRef
from bot.context import LorebotContext
from bot.replies import Reply
from bot.tables.lessons import LessonPrompt
from jobs import messages
from jobs.job import Job
from jobs.outbox import Delivery
from jobs.tables import OutboxMessage



def channels(ctx: LorebotContext) -> list[tuple[str, str]]:
    """(platform, channel) pairs from jobs.lessons.channels and every team's lessons_channel, without repeats."""
    refs = list(ctx.config.jobs.lessons.channels) + [team.lessons_channel for team in ctx.config.teams.values()]
    found: dict[tuple[str, str], None] = {}
    for ref in refs:
        for platform, channel in ref.items():
            found[(platform, channel)] = None
    return list(found)


def plan(ctx: LorebotContext, session: Session, at: datetime, *, dry_run: bool) -> list[Delivery]:
    reply = Reply(text=messages.LESSONS_TEXT, title=messages.LESSONS_TITLE, context=messages.LESSONS_CONTEXT)
    return [
        Delivery(recipient=f"channel:{platform}:{channel}", platform=platform, kind="channel", target=channel,
                 reply=reply)
        for platform, channel in channels(ctx)
        if ctx.serves(platform)
    ]


def after_sent(session: Session, row: OutboxMessage, ref: MessageRef) -> None:
    """Remember the prompt's thread so replies in it are captured as lessons."""
    session.add(LessonPrompt(platform=ref.address.platform, channel=ref.address.channel,
                             message_id=ref.message_id, period=row.period, posted_at=row.sent_at))


JOB = Job(name="lessons", settings=lambda config: config.jobs.lessons, plan=plan, after_sent=after_sent)
