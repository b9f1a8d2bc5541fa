"""Slack payloads -> core events. Pure functions, so the rules of what counts as a question are testable."""
from __future__ import annotations

import re

from bot.addresses import Address, MessageRef, Person
from bot.events import Action, Ask, Edit, Reaction, ThreadReply

from adapters.slack.blocks import ACTION_PREFIX

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_MARKUP = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
IGNORED_SUBTYPES = {"bot_message", "message_changed", "message_deleted", "channel_join", "channel_leave",
                    "message_replied", "thread_broadcast", "channel_topic", "channel_purpose", "tombstone"}


def strip_mentions(text: str) -> str:
    return " ".join(_MENTION.sub(" ", text or "").split())


def as_typed(text: str) -> str:
    """Slack's wire format (``&amp;``, ``<url|label>``, ``<@U1>``, ``<!here>``) back to what the person saw when
    typing, so the core stores, searches and quotes words, and renderers escape them once on the way out."""
    def readable(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target[0] in "@#!":
            return label if label and label[0] in "@#" else target[0].replace("!", "@") + (label or target[1:])
        shown = label or target.removeprefix("mailto:")
        return shown if shown in (target, target.removeprefix("mailto:")) else f"{shown} ({target})"
    return _MARKUP.sub(readable, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _files(event: dict) -> tuple[str, ...]:
    return tuple(str(f.get("name") or f.get("title") or "file") for f in event.get("files") or [])


def is_direct(channel: str) -> bool:
    """Slack's direct-message conversation ids start with D (group DMs, G or C, have several readers)."""
    return channel.startswith("D")


def from_mention(event: dict, event_id: str) -> Ask:
    return Ask(event_id=event_id, person=Person("slack", event["user"]),
               text=as_typed(strip_mentions(event.get("text", ""))),
               where=Address("slack", event["channel"], event.get("thread_ts") or event["ts"]),
               message_id=event["ts"], attachments=_files(event), private=is_direct(event["channel"]))


def from_message(event: dict, event_id: str, bot_user_id: str | None) -> Ask | ThreadReply | Edit | None:
    """A direct message is a question; a human reply in a channel thread may answer a routed question; a
    person's edit of a message is an ``Edit``. Mentions are left to ``app_mention`` (Slack sends both)."""
    if event.get("subtype") == "message_changed":
        return from_edit(event, event_id)
    if event.get("bot_id") or event.get("subtype") in IGNORED_SUBTYPES or "user" not in event:
        return None
    if event.get("subtype") not in (None, "file_share"):
        return None
    text = event.get("text", "") or ""
    thread = event.get("thread_ts")
    in_thread = thread is not None and thread != event["ts"]
    person = Person("slack", event["user"])
    if in_thread:
        if bot_user_id and f"<@{bot_user_id}" in text:
            return None
        return ThreadReply(event_id=event_id, person=person, text=as_typed(text.strip()),
                           where=Address("slack", event["channel"], thread), message_id=event["ts"])
    if event.get("channel_type") == "im":
        return Ask(event_id=event_id, person=person, text=as_typed(strip_mentions(text)),
                   where=Address("slack", event["channel"], event["ts"]), message_id=event["ts"],
                   attachments=_files(event), private=True)
    return None


def from_assistant_message(event: dict, event_id: str) -> Ask | None:
    """A person's message in an assistant thread (Slack's Agents & AI Apps surface) is a question asked in
    private, answered in that thread; None for what is not a person's text (a bot, an edit, a join)."""
    if event.get("bot_id") or "user" not in event or not event.get("thread_ts") or \
            event.get("subtype") not in (None, "file_share"):
        return None
    return Ask(event_id=event_id, person=Person("slack", event["user"]),
               text=as_typed(strip_mentions(event.get("text", "") or "")),
               where=Address("slack", event["channel"], event["thread_ts"]), message_id=event["ts"],
               attachments=_files(event), private=True)


def from_edit(event: dict, event_id: str) -> Edit | None:
    """A ``message_changed`` that a person made (``edited`` says who). Slack sends the same subtype when a
    thread gains replies or a bot updates its message; those are not edits."""
    message = event.get("message") or {}
    edited = message.get("edited") or {}
    if message.get("bot_id") or not edited.get("user") or not message.get("ts") or not event.get("channel"):
        return None
    return Edit(event_id=event_id, person=Person("slack", edited["user"]),
                text=as_typed((message.get("text") or "").strip()),
                where=Address("slack", event["channel"], message.get("thread_ts")), message_id=message["ts"])


def from_reaction(event: dict, event_id: str, added: bool, thread: str | None) -> Reaction | None:
    item = event.get("item") or {}
    if item.get("type") != "message" or "user" not in event:
        return None
    return Reaction(event_id=event_id, person=Person("slack", event["user"]), emoji=event["reaction"].split("::")[0],
                    added=added, message=MessageRef(Address("slack", item["channel"], thread), item["ts"]))


def from_command(command: dict) -> Ask:
    return Ask(event_id=f"command:{command['trigger_id']}", person=Person("slack", command["user_id"],
                                                                         command.get("user_name")),
               text=as_typed(command.get("text", "").strip()), where=Address("slack", command["channel_id"]),
               private=is_direct(command["channel_id"]))


def from_champion_command(command: dict, name: str, value: str) -> Action | None:
    """``/lorebot reassign 12 leave`` and the like (parsed by ``bot.curation.champion_commands``), answered where typed;
    None for a payload without who, where or its delivery id."""
    if not all(command.get(key) for key in ("trigger_id", "user_id", "channel_id")):
        return None
    return Action(event_id=f"command:{command['trigger_id']}", person=Person("slack", command["user_id"],
                                                                            command.get("user_name")),
                  name=name, value=as_typed(value), where=Address("slack", command["channel_id"]))


def from_action(body: dict, action: dict) -> Action | None:
    action_id = action.get("action_id", "")
    if not action_id.startswith(ACTION_PREFIX):
        return None
    name = action_id[len(ACTION_PREFIX):].split(":", 1)[0]
    message = body.get("message") or {}
    channel = (body.get("channel") or body.get("container") or {}).get("id") or \
        (body.get("container") or {}).get("channel_id")
    root = message.get("thread_ts") or message.get("ts")
    event_id = f"action:{body.get('trigger_id') or action.get('action_ts')}:{action_id}"
    return Action(event_id=event_id, person=Person("slack", body["user"]["id"], body["user"].get("name")),
                  name=name, value=str(action.get("value", "")), where=Address("slack", channel, root))
