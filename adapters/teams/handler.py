"""The bot botbuilder calls for every authenticated activity: remember how to reach its conversation and
people, translate it (translate.py), and hand the event to the core.

The core is synchronous and may take a while (search, database, replies), so it runs in worker threads of
this bot's own pool. Not the event loop's default executor: botbuilder's connector sends every HTTP request
through that one, and the core's replies (scheduled back onto the loop by the TeamsMessenger) would wait
for threads the core itself holds.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor

from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.schema import ChannelAccount

from adapters.teams import translate
from adapters.teams.messenger import TeamsMessenger
from bot.config import TeamsReactionsConfig

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 8


class LorebotTeamsBot(ActivityHandler):
    def __init__(self, core, messenger: TeamsMessenger, reactions: TeamsReactionsConfig | None = None, *,
                 workers: int = DEFAULT_WORKERS) -> None:
        self.core = core
        self.messenger = messenger
        self.reactions = reactions or getattr(getattr(core, "config", None), "teams_reactions", None) or (
            TeamsReactionsConfig())
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lorebot-teams")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        try:
            await self._in_worker(self.messenger.directory.remember_activity, activity)
        except Exception as exc:  # noqa: BLE001 - a missed reference must not lose the message itself
            log.error("could not store the conversation reference of %s: %s", activity.id, type(exc).__name__)
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        event = await self._in_worker(translate.message_event, turn_context.activity,
                                        self.messenger.directory)
        if event is None:
            log.info("teams message %s ignored (not for the bot)", turn_context.activity.id)
            return
        await self._in_worker(self.core.handle, event)

    async def on_message_update_activity(self, turn_context: TurnContext) -> None:
        event = await self._in_worker(translate.edit_event, turn_context.activity)
        if event is not None:
            await self._in_worker(self.core.handle, event)

    async def on_message_reaction_activity(self, turn_context: TurnContext) -> None:
        # One activity may carry both added and removed reactions: translate it once, in order.
        events = await self._in_worker(translate.reaction_events, turn_context.activity, self.reactions,
                                       self.messenger.directory)
        for event in events:
            await self._in_worker(self.core.handle, event)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext):
        log.info("teams members added in a conversation: %d", len(members_added or []))

    async def on_installation_update(self, turn_context: TurnContext) -> None:
        log.info("teams installation update: %s", turn_context.activity.action)

    async def _in_worker(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self._pool, functools.partial(function, *args))
