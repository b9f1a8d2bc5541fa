"""Calls to the Bot Connector, made in proactive turns of the CloudAdapter with a stored reference.

Retries are ours alone: 412, 429, 502 and 504 are retried with exponential backoff (``Retry-After``
honoured), a bounded number of times; msrest's own retry policy is switched off so attempts do not multiply.
A 403 means the bot may not post there any more (uninstalled, blocked, removed from the team).
"""
from __future__ import annotations

import asyncio
import logging
from itertools import count
from typing import Awaitable, Callable

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationParameters
from msrest.exceptions import ClientRequestError, HttpOperationError
from urllib3.util.retry import Retry

from adapters.teams.connection import TeamsConnection
from adapters.teams.references import StoredReference
from bot.errors import LorebotError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({412, 429, 502, 504})
REFUSED = 403


class TeamsDeliveryError(LorebotError):
    """Teams did not take a message (after retries); the text names only the HTTP status."""


class Refused(Exception):
    """The connector answered 403."""


class ConnectorCalls:
    def __init__(self, connection: TeamsConnection, *, attempts: int = 4, base_delay: float = 1.0,
                 max_delay: float = 30.0, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.connection = connection
        self._attempts = max(1, attempts)
        self._base_delay, self._max_delay = base_delay, max_delay
        self._sleep = sleep

    async def post(self, stored: StoredReference, conversation_id: str, root: str | None,
                   activity: Activity) -> str:
        """Post into the conversation, or as a reply in the thread of ``root``; returns the new message id."""
        def call(client):
            if root:
                return client.conversations.reply_to_activity(conversation_id, root, activity)
            return client.conversations.send_to_conversation(conversation_id, activity)

        return (await self._in_turn(stored, call)).id

    async def put(self, stored: StoredReference, conversation_id: str, message_id: str, activity: Activity) -> None:
        await self._in_turn(
            stored, lambda client: client.conversations.update_activity(conversation_id, message_id, activity))

    async def create_personal_chat(self, stored: StoredReference) -> str:
        """Open (or find) the personal chat with the reference's user; returns its conversation id."""
        reference = stored.reference
        parameters = ConversationParameters(
            is_group=False, bot=reference.bot, members=[reference.user], tenant_id=stored.tenant,
            channel_data={"tenant": {"id": stored.tenant}} if stored.tenant else None)
        return (await self._in_turn(stored, lambda client: client.conversations.create_conversation(parameters))).id

    async def member(self, stored: StoredReference, conversation_id: str, member_id: str):
        """The conversation roster's entry for ``member_id`` (a ChannelAccount: name, Entra object id)."""
        return await self._in_turn(
            stored, lambda client: client.conversations.get_conversation_member(conversation_id, member_id))

    async def _in_turn(self, stored: StoredReference, call):
        """Run ``call(connector_client)`` in a proactive turn; errors come back here rather than going to
        botbuilder's turn error handler."""
        outcome: dict = {}

        async def turn(context: TurnContext) -> None:
            client = context.turn_state.get(context.adapter.BOT_CONNECTOR_CLIENT_KEY)
            client.config.retry_policy.policy = Retry(total=0, raise_on_status=False)
            try:
                outcome["value"] = await self._retrying(lambda: call(client))
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller below
                outcome["error"] = exc

        await self.connection.adapter.continue_conversation(stored.reference, turn,
                                                            bot_app_id=self.connection.app_id)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    async def _retrying(self, call):
        for attempt in count(1):
            try:
                return await call()
            except HttpOperationError as exc:
                status = getattr(exc.response, "status_code", None)
                if status == REFUSED:
                    raise Refused() from None
                if status in RETRY_STATUSES and attempt < self._attempts:
                    delay = self._delay(attempt, exc.response)
                    log.info("teams connector answered %s; retry %d in %.1fs", status, attempt, delay)
                    await self._sleep(delay)
                    continue
                raise TeamsDeliveryError(f"Teams did not take the message (HTTP {status})") from None
            except ClientRequestError as exc:
                raise TeamsDeliveryError(f"Teams could not be reached ({type(exc).__name__})") from None

    def _delay(self, attempt: int, response) -> float:
        headers = getattr(response, "headers", None) or {}
        try:
            retry_after = float(headers.get("Retry-After"))
        except (TypeError, ValueError):
            retry_after = None
        if retry_after is None or retry_after < 0:
            retry_after = self._base_delay * 2 ** (attempt - 1)
        return min(retry_after, self._max_delay)
