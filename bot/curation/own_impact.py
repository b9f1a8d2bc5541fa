"""A champion's own impact over the last 30 days: what App Home shows them and what ``/stats`` answers.

A month rather than a week, so a champion whose topic is quiet still sees their answers at work. The figures are
``bot.curation.impact``'s, for this one person over every topic; someone who is not a champion gets none (App Home
stays as it was, ``/stats`` says what it is for)."""
from __future__ import annotations

from datetime import timedelta

from bot import messages
from bot.addresses import Person
from bot.context import LorebotContext
from bot.curation.impact import Impact, impact
from bot.events import Action
from bot.replies import STATS, Reply

DAYS = 30


def own_impact(ctx: LorebotContext, person: Person) -> Impact | None:
    """This champion's figures over the last ``DAYS`` days, None when they have none or are no champion."""
    if not ctx.champion_topics(person):
        return None
    now = ctx.now()
    with ctx.session() as session:
        rows = impact(session, now - timedelta(days=DAYS), now, champions={person.key}, by_topic=False)
    return rows[0] if rows else None


def impact_reply(ctx: LorebotContext, person: Person) -> Reply | None:
    """What a champion sees of their impact; None for someone who is not a champion."""
    if not ctx.champion_topics(person):
        return None
    return messages.own_impact(own_impact(ctx, person), DAYS)


def handle_action(ctx: LorebotContext, event: Action) -> bool:
    """False for actions other than ``stats``."""
    if event.name != STATS:
        return False
    ctx.messenger.send(event.where, impact_reply(ctx, event.person) or messages.stats_for_champions())
    return True
