"""Teams conversation ids and stored ConversationReferences, translated to and from Lorebot's addresses.

A channel thread in Teams is the channel's id plus ``;messageid=<root message id>``; Lorebot's Address keeps the
two apart (``channel`` and ``thread``). Personal and group chats have no threads, so there the thread is only
Lorebot's own bookkeeping and is ignored when sending.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from botbuilder.schema import ChannelAccount, ConversationReference

PLATFORM = "teams"
THREAD_MARK = ";messageid="
CHANNEL = "channel"
PERSONAL = "personal"


def split_conversation_id(conversation_id: str) -> tuple[str, str | None]:
    """``"19:x@thread.tacv2;messageid=17"`` -> ``("19:x@thread.tacv2", "17")``; other ids come back whole."""
    base, mark, root = conversation_id.partition(THREAD_MARK)
    return base, (root or None) if mark else None


def thread_conversation_id(channel: str, root: str) -> str:
    return f"{channel}{THREAD_MARK}{root}"


def person_id(account: ChannelAccount | None) -> str | None:
    """Lorebot's id for a Teams user: the Microsoft Entra object id when Teams sends it (what admins write in
    lorebot.toml), else the Teams user id."""
    if account is None or not account.id:
        return None
    return getattr(account, "aad_object_id", None) or account.id


def copy_reference(reference: ConversationReference) -> ConversationReference:
    return ConversationReference().deserialize(reference.serialize())


@dataclass(frozen=True)
class StoredReference:
    """What a contact row holds: the reference to continue a conversation, and whose personal chat it is."""

    reference: ConversationReference
    person: str | None = None  # the person's id when this is their personal chat (or their own contact)
    tenant: str | None = None  # kept apart: botbuilder's schema drops Teams' conversation.tenantId

    @property
    def conversation_type(self) -> str | None:
        return getattr(self.reference.conversation, "conversation_type", None)

    def to_json(self) -> str:
        return json.dumps({"reference": self.reference.serialize(), "person": self.person, "tenant": self.tenant},
                          sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "StoredReference":
        data = json.loads(text)
        return cls(ConversationReference().deserialize(data["reference"]), data.get("person"), data.get("tenant"))


def tenant_of(activity) -> str | None:
    """The Microsoft Entra tenant of an activity, wherever this version of the schema put it."""
    named = tenants_named(activity)
    return named[0] if named else None


def tenants_named(activity) -> list[str]:
    """Every tenant id the activity names: its conversation's, then its channel data's."""
    conversation = activity.conversation
    found = [getattr(conversation, "tenant_id", None),
             (getattr(conversation, "additional_properties", None) or {}).get("tenantId")]
    if isinstance(activity.channel_data, dict):
        tenant = activity.channel_data.get("tenant")
        found.append(tenant.get("id") if isinstance(tenant, dict) else None)
    return [value for value in found if isinstance(value, str) and value]
