"""What the Teams adapter remembers between activities, in the contacts table (bot.people.contacts):

- how to reach each conversation and each person later (a ConversationReference, refreshed on every
  authenticated activity; a person's personal chat is preferred once known);
- which posts started a thread (replies to them are meant for the bot);
- in chats, which Lorebot thread a bot message belongs to (chats have no threads, so a reaction or a card
  click there names only the message);
- who refused delivery for good (403), until Teams introduces them again.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from adapters.teams.references import (
    CHANNEL, PERSONAL, PLATFORM, StoredReference, copy_reference, person_id, split_conversation_id, tenant_of,
    thread_conversation_id,
)
from bot.people.contacts import ScratchContacts, StoredContacts
from bot.addresses import Address
from bot.ports import Clock, Unreachable

log = logging.getLogger(__name__)


class TeamsDirectory:
    """Reads and writes an address book: the contacts table (``bot.people.contacts.StoredContacts``, created by
    ``adapters.wiring.create_schema`` before start-up), or, without authentication, memory that dies with the
    process (``ScratchContacts``)."""

    def __init__(self, book: StoredContacts | ScratchContacts, clock: Clock) -> None:
        self._book = book
        self._clock = clock

    # -- meeting conversations and people ------------------------------------------------------------------
    def remember_activity(self, activity: Activity) -> None:
        """Store how to reach this conversation and the people in it (call for every authenticated activity)."""
        conversation = activity.conversation
        if conversation is None or not conversation.id or not activity.service_url:
            return
        now = self._clock()
        base, _ = split_conversation_id(conversation.id)
        reference = copy_reference(TurnContext.get_conversation_reference(activity))
        reference.conversation.id = base
        reference.activity_id = None  # which message came last says nothing about how to reach the chat
        personal = conversation.conversation_type == PERSONAL
        tenant = tenant_of(activity)
        sender = person_id(activity.from_property) if _is_user(activity.from_property, activity) else None
        if _bot_removed(activity):
            self.refused(base, sender if personal else None)
            return
        self._book.remember(PLATFORM, base, "channel",
                            StoredReference(reference, sender if personal else None, tenant).to_json(), now)
        if sender:
            self._remember_person(sender, StoredReference(reference, sender, tenant), personal, now)
        if activity.type == ActivityTypes.conversation_update:
            for member in activity.members_added or []:
                if _is_user(member, activity):
                    member_reference = copy_reference(reference)
                    member_reference.user = member
                    key = person_id(member)
                    self._remember_person(key, StoredReference(member_reference, key, tenant), personal, now)

    def remember_personal_chat(self, person: str, via: StoredReference, conversation_id: str) -> None:
        """A personal chat the bot just opened with ``person`` (from a reference that reached them elsewhere)."""
        reference = copy_reference(via.reference)
        reference.conversation = ConversationAccount(id=conversation_id, conversation_type=PERSONAL,
                                                     tenant_id=via.tenant)
        payload = StoredReference(reference, person, via.tenant).to_json()
        now = self._clock()
        self._book.remember(PLATFORM, conversation_id, "channel", payload, now)
        self._book.remember(PLATFORM, person, "user", payload, now)

    def _remember_person(self, key: str, stored: StoredReference, personal: bool, now: datetime) -> None:
        existing = self._book.find(PLATFORM, key)
        if not personal and existing is not None and \
                StoredReference.from_json(existing.payload).conversation_type == PERSONAL:
            return  # a personal chat is the better way to reach them; keep it
        self._book.remember(PLATFORM, key, "user", stored.to_json(), now)

    # -- looking them up -----------------------------------------------------------------------------------
    def conversation(self, conversation_id: str) -> StoredReference:
        contact = self._book.find(PLATFORM, conversation_id)
        if contact is None or contact.kind != "channel" or contact.unreachable:
            raise Unreachable(f"no way to post in {conversation_id} on Teams (not installed there, or removed)")
        return StoredReference.from_json(contact.payload)

    def person(self, key: str) -> StoredReference:
        contact = self._book.find(PLATFORM, key)
        if contact is None or contact.kind != "user" or contact.unreachable:
            raise Unreachable(f"no way to reach teams:{key} (never met, or the app was removed)")
        return StoredReference.from_json(contact.payload)

    def is_channel(self, conversation_id: str) -> bool:
        contact = self._book.find(PLATFORM, conversation_id)
        return contact is not None and StoredReference.from_json(contact.payload).conversation_type == CHANNEL

    # -- where the bot's messages sit ----------------------------------------------------------------------
    def remember_place(self, address: Address, message_id: str, *, threaded: bool, channel: bool) -> None:
        """After a send: a post outside any thread starts one; a chat message sent "into" a Lorebot thread
        remembers that thread."""
        if not threaded and (channel or not address.thread):
            self._book.remember(PLATFORM, thread_conversation_id(address.channel, message_id),
                                "thread", "{}", self._clock())
        elif address.thread and not channel:
            self._book.remember(PLATFORM, _message_key(address.channel, message_id), "message",
                                json.dumps({"thread": address.thread}), self._clock())

    def started_thread(self, conversation_id: str, root: str) -> bool:
        """Whether the bot posted this thread's root (a routed question, a lessons prompt)."""
        contact = self._book.find(PLATFORM, thread_conversation_id(conversation_id, root))
        return contact is not None and contact.kind == "thread"

    def thread_of(self, conversation_id: str, message_id: str) -> str | None:
        """The Lorebot thread a bot message in a chat belongs to, if it was sent into one."""
        contact = self._book.find(PLATFORM, _message_key(conversation_id, message_id))
        if contact is None or contact.kind != "message":
            return None
        return json.loads(contact.payload).get("thread")

    # -- refusals ------------------------------------------------------------------------------------------
    def refused(self, conversation_id: str | None, person: str | None) -> None:
        """Teams answered 403: the conversation (and the person whose chat it is) cannot be reached."""
        now = self._clock()
        for key in (conversation_id, person):
            if key:
                self._book.mark_unreachable(PLATFORM, key, now)
        log.info("teams refused delivery; marked unreachable (conversation=%s person=%s)",
                 bool(conversation_id), bool(person))


def _bot_removed(activity: Activity) -> bool:
    """The app was uninstalled (personal scope) or the bot removed from the team or chat."""
    if activity.type == ActivityTypes.installation_update:
        return (activity.action or "").lower().startswith("remove")
    if activity.type == ActivityTypes.conversation_update:
        bot = activity.recipient.id if activity.recipient else None
        return any(member.id == bot for member in activity.members_removed or [])
    return False


def _message_key(conversation_id: str, message_id: str) -> str:
    return f"{conversation_id}#{message_id}"


def _is_user(account: ChannelAccount | None, activity: Activity) -> bool:
    """A person, not the bot itself (Teams bot ids start with "28:")."""
    if account is None or not account.id:
        return False
    recipient = activity.recipient.id if activity.recipient else None
    return account.id != recipient and not account.id.startswith("28:")
