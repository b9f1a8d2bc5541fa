"""What a scheduled job is: its name, where its settings live in ``lorebot.toml``, what it plans to send, and
what happens once one of its messages is sent. Each job module declares one ``Job``; ``jobs.registry`` lists
them, and the scheduler, the outbox and the command line read that list instead of naming jobs themselves."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlmodel import Session

from bot.config import LorebotConfig
from bot.context import LorebotContext
from jobs.outbox import AfterSent, Delivery

Plan = Callable[[LorebotContext, Session, datetime], "list[Delivery]"]  # also takes dry_run=


@dataclass(frozen=True)
class Job:
    name: str
    settings: Callable[[LorebotConfig], object]  # its ``[jobs.NAME]`` section, which has a ``schedule``
    plan: Plan  # (ctx, session, at, *, dry_run) -> the deliveries of one run
    after_sent: AfterSent | None = None  # runs in the transaction that marks one of its messages sent

    def schedule(self, config: LorebotConfig) -> str:
        return self.settings(config).schedule
