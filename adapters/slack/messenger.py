"""The Messenger port on the Slack Web API."""
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


class SlackMessenger:
    platform = "slack"

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def send(self, address: Address, reply: Reply) -> MessageRef:
        response = self.client.chat_postMessage(
            channel=address.channel, thread_ts=address.thread, text=fallback_text(reply), blocks=render(reply),
            unfurl_links=False, unfurl_media=False,
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
