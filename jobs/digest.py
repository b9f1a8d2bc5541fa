"""The weekly digest job: for each manager, their teams' week (``digest_figures``) as one message
(``digest_text``); for each admin, the whole organisation's week, so every question is in some digest.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlmodel import Session

from bot.people.audiences import Reader
from bot.context import LorebotContext
from jobs.digest_figures import org_week, team_week
from jobs.digest_text import render, render_org
from jobs.job import Job
from jobs.outbox import Delivery


def plan(ctx: LorebotContext, session: Session, at: datetime, *, dry_run: bool) -> list[Delivery]:
    """A digest per manager (their teams), and an organisation-wide one per admin; ``--dry-run`` prints these
    very messages."""
    by_manager: dict[str, list[str]] = defaultdict(list)
    for team, settings in ctx.config.teams.items():
        by_manager[settings.manager].append(team)
    deliveries = []
    for manager, teams in by_manager.items():
        person = ctx.reach(manager)
        if person is None:
            continue
        weeks = [team_week(ctx, session, team, at, Reader.of_handle(manager)) for team in teams]
        deliveries.append(Delivery(recipient=f"dm:{manager}", platform=person.platform, kind="dm", target=person.id,
                                   reply=render(ctx, weeks), meta={"teams": teams}))
    for admin in dict.fromkeys(ctx.config.admins):
        person = ctx.reach(admin)
        if person is None:
            continue
        org = org_week(ctx, session, at, Reader.of_handle(admin))
        deliveries.append(Delivery(recipient=f"org:{admin}", platform=person.platform, kind="dm", target=person.id,
                                   reply=render_org(ctx, org), meta={"teams": [], "organisation": True}))
    return deliveries


JOB = Job(name="digest", settings=lambda config: config.jobs.digest, plan=plan)
