"""Teams activities translated into Lorebot's events: what an activity means, not what to do.

- A personal chat message is a question (``Ask``); one that quotes (replies to) a post with which the bot
  started a thread (a question routed to a champion, a lessons prompt) is a ``ThreadReply`` in that thread.
- In a channel, a reply in a thread the bot started (a routed question, a lessons prompt) is a ``ThreadReply``,
  @mention or not; a message that @mentions the bot is a question answered in its thread; any other reply in
  a thread is a ``ThreadReply`` (the core decides whether it matters, e.g. a champion answering in the asker's
  thread); other channel chatter is ignored.
- In a personal chat, a champion's command (``/reassign 12 leave``, ``/merge``, ``/editverified``; see
  ``bot.curation.champion_commands``) is an ``Action``.
- An Adaptive Card ``Action.Submit`` arrives as a message whose value holds ``lorebot_action``: an ``Action``.
- A ``messageUpdate`` whose channelData.eventType is ``editMessage`` is an ``Edit`` of that message.
- ``messageReaction`` activities (Teams reports reactions on the bot's own messages only) become ``Reaction``s
  with Slack-style names, through the ``teams_reactions`` mapping of lorebot.toml.

What Teams does not say (who started a thread; in chats, which thread a message belongs to) comes from
``places``, which the TeamsMessenger answers from what it sent.
"""
from __future__ import annotations

import hashlib
import html
import re
from typing import Protocol

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from adapters.teams.cards import ACTION_KEY
from adapters.teams.references import CHANNEL, PERSONAL, PLATFORM, person_id, split_conversation_id
from bot.curation import champion_commands
from bot.addresses import Address, MessageRef, Person
from bot.config import TeamsReactionsConfig
from bot.events import Action, Ask, Edit, Reaction, ThreadReply
from bot.replies import ACTION_NAMES

VERIFY_EMOJI = "white_check_mark"
REJECT_EMOJI = "x"
# Teams' classic reaction types and their nearest Slack names (feedback only, unless mapped above).
FEEDBACK_EMOJI = {"like": "+1", "heart": "heart", "laugh": "laughing", "surprised": "open_mouth", "sad": "cry",
                  "angry": "angry"}

_TAGS = re.compile(r"<[^>]+>")
# A chat reply carries the message it answers as <blockquote itemtype="http://schema.skype.com/Reply" itemid=..>
_QUOTE_TAG = re.compile(r"<blockquote\b[^>]*schema\.skype\.com/Reply[^>]*>", re.I)
_QUOTE = re.compile(r"<blockquote\b[^>]*schema\.skype\.com/Reply[^>]*>.*?</blockquote>", re.S | re.I)
_ITEM_ID = re.compile(r"\bitemid=\"([^\"]+)\"", re.I)


class Places(Protocol):
    def started_thread(self, channel: str, root: str) -> bool: ...

    def thread_of(self, conversation: str, message_id: str) -> str | None: ...


def person_of(activity: Activity) -> Person | None:
    sender = activity.from_property
    key = person_id(sender)
    return Person(PLATFORM, key, getattr(sender, "name", None) or None) if key else None


def event_id(activity: Activity, suffix: str = "") -> str:
    """Teams message ids are unique per conversation only, so the conversation is part of the delivery id."""
    conversation = activity.conversation.id if activity.conversation else ""
    digest = hashlib.sha1(conversation.encode("utf-8")).hexdigest()[:16]
    return f"{activity.id or activity.reply_to_id or ''}{suffix}@{digest}"


def where_of(activity: Activity) -> tuple[Address, str | None]:
    """The conversation (a channel's thread root split off) and the thread root, if any."""
    base, root = split_conversation_id(activity.conversation.id)
    return Address(PLATFORM, base, root), root


def clean_text(activity: Activity) -> str:
    """The message text with the bot's @mention removed and Teams' light HTML turned into plain text."""
    text = activity.text or ""
    if text and mentions_bot(activity):
        try:
            text = TurnContext.remove_recipient_mention(activity) or ""
        except (KeyError, TypeError, AttributeError):  # a mention entity without the usual fields
            text = re.sub(r"<at>[^<]*</at>", "", text, count=1)
    text = _QUOTE.sub("", text)
    text = text.replace("<br>", "\n").replace("<br/>", "\n").replace("</p>", "\n")
    return html.unescape(_TAGS.sub("", text)).replace("\xa0", " ").strip()


def mentions_bot(activity: Activity) -> bool:
    bot = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        if (entity.type or "").lower() != "mention":
            continue
        mentioned = (getattr(entity, "additional_properties", None) or {}).get("mentioned")
        if isinstance(mentioned, dict) and bot and mentioned.get("id") == bot:
            return True
    return False


def message_event(activity: Activity, places: Places) -> Ask | ThreadReply | Action | None:
    person = person_of(activity)
    if person is None or activity.conversation is None or not activity.conversation.id or not activity.id:
        return None
    where, root = where_of(activity)
    kind = activity.conversation.conversation_type
    value = activity.value if isinstance(activity.value, dict) else None
    if value and ACTION_KEY in value:
        if kind != CHANNEL and activity.reply_to_id:
            where = where.in_thread(_chat_thread(places, where.channel, activity.reply_to_id))
        return _action(activity, person, value, where)
    text = clean_text(activity)
    if kind == CHANNEL:
        in_reply = root is not None and root != activity.id
        if in_reply and places.started_thread(where.channel, root):
            return ThreadReply(event_id(activity), person, text, where, activity.id)
        if mentions_bot(activity):
            return Ask(event_id(activity), person, text, where.in_thread(root or activity.id), activity.id,
                       _attachments(activity))
        if in_reply:
            return ThreadReply(event_id(activity), person, text, where, activity.id)
        return None
    quoted = activity.reply_to_id or quoted_message(activity)
    if quoted and places.started_thread(where.channel, quoted):
        return ThreadReply(event_id(activity), person, text, where.in_thread(quoted), activity.id)
    if kind != PERSONAL and not mentions_bot(activity):
        return None  # group chats: only when asked
    command = champion_commands.parse(text) if kind == PERSONAL and text.startswith("/") else None
    if command is not None:  # a champion's "/reassign 12 leave" and the like
        return Action(event_id(activity), person, *command, where)
    return Ask(event_id(activity), person, text, where, activity.id, _attachments(activity), private=kind == PERSONAL)


def _chat_thread(places: Places, conversation: str, card_id: str) -> str | None:
    """The Lorebot thread of a card in a chat: the one it was sent into, or the one it starts (a routed post)."""
    return places.thread_of(conversation, card_id) or (
        card_id if places.started_thread(conversation, card_id) else None)


def edit_event(activity: Activity) -> Edit | None:
    """A person edited a message (``messageUpdate`` with eventType ``editMessage``; undeletes are not edits).
    The activity's id is the edited message's, so the delivery id adds the edit's time and text: every edit
    of one message is a new event, a redelivery of one edit is not."""
    person = person_of(activity)
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    if (person is None or data.get("eventType") != "editMessage" or activity.conversation is None
            or not activity.conversation.id or not activity.id):
        return None
    where, _ = where_of(activity)
    text = clean_text(activity)
    stamp = activity.timestamp.isoformat() if activity.timestamp else ""
    digest = hashlib.sha1(f"{stamp}\n{text}".encode("utf-8")).hexdigest()[:16]
    return Edit(event_id(activity, f":edit:{digest}"), person, text, where, activity.id)


def quoted_message(activity: Activity) -> str | None:
    """The id of the message a chat message replies to: Teams sends chat replies as a quote in the HTML."""
    for source in [activity.text or ""] + [str(a.content) for a in activity.attachments or []
                                             if a.content_type == "text/html" and a.content]:
        tag = _QUOTE_TAG.search(source)
        item = _ITEM_ID.search(tag.group(0)) if tag else None
        if item:
            return item.group(1)
    return None


def reaction_events(activity: Activity, reactions: TeamsReactionsConfig, places: Places) -> list[Reaction]:
    person = person_of(activity)
    if person is None or activity.conversation is None or not activity.conversation.id or not activity.reply_to_id:
        return []
    where, _ = where_of(activity)
    if activity.conversation.conversation_type != CHANNEL:
        where = where.in_thread(places.thread_of(where.channel, activity.reply_to_id))
    message = MessageRef(where, activity.reply_to_id)
    events = []
    for added, items in ((True, activity.reactions_added or []), (False, activity.reactions_removed or [])):
        for index, reaction in enumerate(items):
            kind = (reaction.type or "").strip()
            if not kind:
                continue
            suffix = f":{'+' if added else '-'}{kind}:{index}:{person.id}"
            if not activity.id and activity.timestamp:
                suffix += f":{activity.timestamp.isoformat()}"
            events.append(Reaction(event_id(activity, suffix), person, emoji_for(kind, reactions), added, message))
    return events


def emoji_for(reaction_type: str, reactions: TeamsReactionsConfig) -> str:
    """A Teams reaction type as the core's emoji name: curation first (per lorebot.toml), then feedback."""
    if reaction_type in reactions.verify:
        return VERIFY_EMOJI
    if reaction_type in reactions.reject:
        return REJECT_EMOJI
    return FEEDBACK_EMOJI.get(reaction_type, reaction_type)


def _action(activity: Activity, person: Person, value: dict, where: Address) -> Action | None:
    name = value.get(ACTION_KEY)
    if name not in ACTION_NAMES:
        return None
    return Action(event_id(activity), person, name, str(value.get("value", "")), where)


def _attachments(activity: Activity) -> tuple[str, ...]:
    """Names of files sent with the question (Lorebot does not read them; the core says so)."""
    names = []
    for attachment in activity.attachments or []:
        if attachment.content_type == "text/html":
            continue  # Teams mirrors the message itself as an HTML attachment
        names.append(attachment.name or attachment.content_type or "attachment")
    return tuple(names)
