"""The Messenger port on the Slack Web API.

A reply with a ``ref`` carries it as message metadata (event type ``lorebot_reply``), which
``conversations.replies`` returns with the message: that is how ``find_sent`` tells, after a crash, whether a
reply reached its thread before the process died.
"""
from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack.blocks import fallback_text, render
from bot.addresses import Address, MessageRef, Person
from bot.ports import Unreachable
from bot.replies import Reply

log = logging.getLogger(__name__)

# Errors after which a DM to this person will never work until something changes on their side.
UNREACHABLE_ERRORS = {"user_not_found", "cannot_dm_bot", "account_inactive", "user_disabled", "not_allowed",
                      "user_is_restricted", "messages_tab_disabled"}
REF_EVENT = "lorebot_reply"  # the metadata event type that carries a reply's ref
WORKING_REACTION = "eyes"  # put on the asker's message while an answer is written; it needs no later edit
THREAD_LIMIT = 200  # replies read when looking for a sent message: one call, enough for a question's thread


class SlackMessenger:
    platform = "slack"

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def send(self, address: Address, reply: Reply) -> MessageRef:
        marked = {"metadata": {"event_type": REF_EVENT, "event_payload": {"ref": reply.ref}}} if reply.ref else {}
        response = self.client.chat_postMessage(
            channel=address.channel, thread_ts=address.thread, text=fallback_text(reply), blocks=render(reply),
            unfurl_links=False, unfurl_media=False, **marked,
        )
        return MessageRef(Address("slack", response["channel"], address.thread), response["ts"])

    def update(self, message: MessageRef, reply: Reply) -> None:
        self.client.chat_update(channel=message.address.channel, ts=message.message_id, text=fallback_text(reply),
                                blocks=render(reply))

    def open_dm(self, person: Person) -> Address:
        try:
            response = self.client.conversations_open(users=person.id)
        except SlackApiError as exc:
            error = exc.response.get("error", "") if exc.response is not None else ""
            if error in UNREACHABLE_ERRORS:
                raise Unreachable(f"slack user {person.id}: {error}") from None
            raise
        return Address("slack", response["channel"]["id"])

    def link(self, message: MessageRef) -> str | None:
        try:
            response = self.client.chat_getPermalink(channel=message.address.channel, message_ts=message.message_id)
        except SlackApiError as exc:
            log.info("no permalink for %s: %s", message.message_id, exc.response.get("error"))
            return None
        return response.get("permalink")

    def working(self, where: Address) -> None:
        """👀 on the asker's message (``where.thread``: a DM question's own ts, a mention's thread). A slash
        command has no message to mark, so nothing is shown. Errors (already reacted, missing scope) are only
        logged: the answer must not wait for, or fail on, an indicator."""
        if not where.thread:
            return
        try:
            self.client.reactions_add(channel=where.channel, timestamp=where.thread, name=WORKING_REACTION)
        except SlackApiError as exc:
            log.info("working indicator not shown: %s", exc.response.get("error"))
        except Exception as exc:  # noqa: BLE001 - best effort by contract
            log.info("working indicator not shown: %s", exc.__class__.__name__)

    def find_sent(self, address: Address, ref: str) -> MessageRef | None:
        """The thread's message marked ``ref``. Outside a thread, in a thread longer than one call reads, or when
        Slack cannot be asked, not known (None): sending again risks a repeat, never a loss."""
        if not address.thread:
            return None
        try:
            response = self.client.conversations_replies(channel=address.channel, ts=address.thread,
                                                         include_all_metadata=True, limit=THREAD_LIMIT)
        except SlackApiError as exc:
            log.info("replies of %s not read: %s", address.thread, exc.response.get("error"))
            return None
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == REF_EVENT and (metadata.get("event_payload") or {}).get("ref") == ref:
                return MessageRef(address, message["ts"])
        return None
