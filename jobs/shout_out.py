"""The monthly thank-you: for each team that opted in (``[teams.NAME] shout_out = true``), one short post in the
champions' channel naming the team's champions whose answers helped most over the month before the run, with
their counts (``bot.curation.impact``, the digests' definition). A team's champions are its members who champion
or back up a topic. Nothing is posted for a month in which none of them helped, and nothing without a champions'
channel: a thank-you is meant to be seen by peers, not sent as one more direct message.

Exactly once per month like every job: the run claims its period, and each post is one outbox row.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.context import LorebotContext
from bot.curation.impact import Impact, impact
from bot.messages import impact_figures
from bot.replies import Reply
from jobs import messages
from jobs.digest_figures import most_helpful, person_ids, team_members
from jobs.job import Job
from jobs.outbox import Delivery
from jobs.periods import month_before
from jobs.render import said

TOP = 3


def champion_keys(ctx: LorebotContext, session: Session, team: str) -> set[str]:
    """Person keys of the team's members who champion (or back up) a topic."""
    handles, _ = team_members(ctx, session, team)
    champions = {handle for topic in ctx.config.topics.values() for handle in [*topic.champions, topic.backup]}
    return {f"{platform}:{user_id}" for platform, user_id in person_ids(ctx, handles & champions)}


def thanks(team: str, month: str, champions: list[Impact]) -> Reply:
    named = [messages.SHOUT_OUT_CHAMPION.format(name=said(c.name, 60), figures=impact_figures(
        c.answers, c.verified, None, c.served)) for c in champions]
    names = named[0] if len(named) == 1 else ", ".join(named[:-1]) + messages.SHOUT_OUT_AND + named[-1]
    return Reply(title=messages.SHOUT_OUT_TITLE, text=messages.SHOUT_OUT_TEXT.format(
        names=names, team=said(team, 60), month=month), context=messages.SHOUT_OUT_CONTEXT)


def plan(ctx: LorebotContext, session: Session, at: datetime, *, dry_run: bool) -> list[Delivery]:
    start = month_before(at, ctx.config.tz)
    month = start.astimezone(ctx.config.tz).strftime("%B")
    deliveries = []
    for team, settings in ctx.config.teams.items():
        keys = champion_keys(ctx, session, team) if settings.shout_out else set()
        champions = most_helpful(impact(session, start, at, champions=keys, by_topic=False), TOP) if keys else []
        if not champions:
            continue
        reply = thanks(team, month, champions)
        deliveries.extend(
            Delivery(recipient=f"shout_out:{team}:{platform}:{channel}", platform=platform, kind="channel",
                     target=channel, reply=reply, meta={"team": team})
            for platform, channel in ctx.config.champions.channel.items() if ctx.serves(platform))
    return deliveries


JOB = Job(name="shout_out", settings=lambda config: config.jobs.shout_out, plan=plan)
