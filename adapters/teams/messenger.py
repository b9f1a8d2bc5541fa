"""Lorebot's Messenger for Microsoft Teams: every message is sent proactively, with the ConversationReference
stored when the bot last met that conversation or person (directory.py). Only an authenticated endpoint stores
them in the database; without authentication they are kept in memory for the life of the process.

Threads and loops: the core and the jobs are synchronous and run in worker threads, while botbuilder is
asyncio. Each Messenger call schedules its coroutine on the event loop it is bound to (the aiohttp server's
loop, bound at start-up by the app; or a private background loop when no server runs, e.g. jobs alone) with
``asyncio.run_coroutine_threadsafe`` and waits for the result. So the methods must be called from a worker
thread, never from the event loop itself; doing that raises at once instead of deadlocking.

A 403 from the connector marks the person (or channel) unreachable and raises ``Unreachable``, so a job's
batch goes on with the next recipient. Transient errors are retried (connector.py).
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Awaitable, Callable
from urllib.parse import quote

from botbuilder.schema import Activity, ActivityTypes
from sqlalchemy.engine import Engine

from adapters.teams.cards import render_activity
from adapters.teams.connection import TeamsConnection
from adapters.teams.connector import ConnectorCalls, Refused
from adapters.teams.directory import TeamsDirectory
from adapters.teams.references import CHANNEL, PERSONAL, PLATFORM
from adapters.teams.wording import for_teams, phrasebook
from bot.addresses import Address, MessageRef, Person
from bot.config import TeamsReactionsConfig
from bot.people.contacts import ScratchContacts, StoredContacts
from bot.ports import Clock, Unreachable, system_clock
from bot.replies import Reply

log = logging.getLogger(__name__)

TYPING_TIMEOUT_S = 5.0  # a typing indicator later than this is no longer worth waiting for


class TeamsMessenger:
    platform = PLATFORM

    def __init__(self, connection: TeamsConnection, engine: Engine, *, clock: Clock = system_clock,
                 attempts: int = 4, base_delay: float = 1.0, max_delay: float = 30.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, timeout: float = 120.0,
                 directory: TeamsDirectory | None = None, reactions: TeamsReactionsConfig | None = None) -> None:
        """Without authentication (``connection.auth_enabled`` false) the directory lives in memory unless one
        is given: nothing an unauthenticated caller says about conversations outlives the process.
        ``reactions`` (lorebot.toml's ``[teams_reactions]``) decides which reaction the cards suggest."""
        self.connection = connection
        self._phrases = phrasebook(reactions or TeamsReactionsConfig())
        self.directory = directory or TeamsDirectory(
            StoredContacts(engine) if connection.auth_enabled else ScratchContacts(), clock)
        self._calls = ConnectorCalls(connection, attempts=attempts, base_delay=base_delay, max_delay=max_delay,
                                     sleep=sleep)
        self._once = ConnectorCalls(connection, attempts=1, sleep=sleep)  # for what is not worth a retry
        self._timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._private: tuple[asyncio.AbstractEventLoop, threading.Thread] | None = None
        self._lock = threading.Lock()

    # -- the event loop ------------------------------------------------------------------------------------
    def bind_loop(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Send through this (running) loop from now on; None goes back to the private loop."""
        self._loop = loop

    def close(self) -> None:
        """Stop the private loop, if one was started."""
        with self._lock:
            private, self._private = self._private, None
        if private:
            loop, thread = private
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()

    # -- Messenger -----------------------------------------------------------------------------------------
    def send(self, address: Address, reply: Reply) -> MessageRef:
        stored = self.directory.conversation(address.channel)
        channel = stored.conversation_type == CHANNEL
        threaded = channel and bool(address.thread)
        try:
            message_id = self._run(self._calls.post(stored, address.channel, address.thread if threaded else None,
                                                    self._render(reply)))
        except Refused:
            self.directory.refused(address.channel, stored.person)
            raise Unreachable(f"Teams refused delivery to {address.channel}") from None
        self.directory.remember_place(address, message_id, threaded=threaded, channel=channel)
        log.info("teams message %s sent", message_id)
        return MessageRef(address, message_id)

    def update(self, message: MessageRef, reply: Reply) -> None:
        stored = self.directory.conversation(message.address.channel)
        activity = self._render(reply)
        activity.id = message.message_id
        try:
            self._run(self._calls.put(stored, message.address.channel, message.message_id, activity))
        except Refused:
            self.directory.refused(message.address.channel, stored.person)
            raise Unreachable(f"Teams refused the update in {message.address.channel}") from None

    def open_dm(self, person: Person) -> Address:
        stored = self.directory.person(person.id)
        if stored.conversation_type == PERSONAL:
            return Address(PLATFORM, stored.reference.conversation.id)
        try:
            conversation_id = self._run(self._calls.create_personal_chat(stored))
        except Refused:
            self.directory.refused(None, person.id)
            raise Unreachable(f"Teams refused a chat with {person.key}") from None
        self.directory.remember_personal_chat(person.id, stored, conversation_id)
        return Address(PLATFORM, conversation_id)

    def member(self, person: Person):
        """The person's entry in the roster of the conversation the bot last met them in (botbuilder's
        ChannelAccount); raises Unreachable when the bot has no way to ask."""
        stored = self.directory.person(person.id)
        member_id = stored.reference.user.id if stored.reference.user and stored.reference.user.id else person.id
        try:
            return self._run(self._calls.member(stored, stored.reference.conversation.id, member_id))
        except Refused:
            raise Unreachable(f"Teams refused the roster entry of {person.key}") from None

    def link(self, message: MessageRef) -> str | None:
        """A deep link to a channel message; personal chats have none a bot can build."""
        if not self.directory.is_channel(message.address.channel):
            return None
        root = message.address.thread or message.message_id
        return (f"https://teams.microsoft.com/l/message/{quote(message.address.channel, safe='')}/"
                f"{quote(message.message_id, safe='')}?parentMessageId={quote(root, safe='')}")

    def working(self, where: Address) -> None:
        """A typing activity in the conversation: Teams shows "Lorebot is typing" until the answer arrives or a
        few seconds pass. One attempt, a short wait, errors only logged: the answer must not wait on it."""
        try:
            stored = self.directory.conversation(where.channel)
            self._run(self._once.post(stored, where.channel, None, Activity(type=ActivityTypes.typing)),
                      timeout=TYPING_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - best effort by contract
            log.info("teams typing indicator not shown: %s", exc.__class__.__name__)

    def find_sent(self, address: Address, ref: str) -> MessageRef | None:
        """Never known: the Bot Connector gives a bot no way to read a conversation back."""
        return None

    def _render(self, reply: Reply):
        return render_activity(for_teams(reply, self._phrases))

    # -- bridging to the loop ------------------------------------------------------------------------------
    def _run(self, coroutine, timeout: float | None = None):
        loop = self._loop if self._loop is not None and not self._loop.is_closed() else self._private_loop()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            coroutine.close()
            raise RuntimeError("TeamsMessenger is synchronous: call it from a worker thread, never from the "
                               "event loop it sends through")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout or self._timeout)

    def _private_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._private is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="teams-messenger", daemon=True)
                thread.start()
                self._private = (loop, thread)
            return self._private[0]
