"""Who may read what. A collection restricted in ``[collections.NAME] visible_to`` is read only by the people,
teams and channels named there; everything else is read by everyone.

One rule serves asking, routing, "Same as…" offers, verified answers and digests, so a restricted passage
cannot leak through any of them:
- In a direct message the reader is one person: they read what names them or their team. A collection whose
  source names its own readers (``visible_to_from_source``, ``bot.people.source_audiences``) is read only by them too.
- In a channel the reader is everyone in it, and Lorebot cannot know them all, so a channel reads a restricted
  collection only when the collection names that channel, or the channel is tied to it in ``[channels]``.
- A verified answer inherits the audience of its question: the restricted collections the question concerns
  (those of the channel it was asked in, or those its search found related passages in). Its knowledge entry
  is filed in a collection named after that audience (``verified:finance``), readable by whoever reads all
  of it, so the knowledge base itself needs no notion of people.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Sequence

from bot.people import source_audiences
from bot.asking.answering import RELATED_FLOOR
from bot.config import LorebotConfig
from bot.ports import Knowledge
from knowledge import VERIFIED_COLLECTION
from knowledge.types import Hit

AUDIENCE_PREFIX = f"{VERIFIED_COLLECTION}:"  # "verified:a+b": verified answers readable by readers of a and b


@dataclass(frozen=True)
class Reader:
    """Who will read a reply: one person in a direct message (``channel`` None), or a channel's members."""

    platform: str
    channel: str | None = None
    handle: str | None = None  # the person's config handle in a direct message; None when the config has none
    user_id: str | None = None  # the person's platform id in a direct message, when known

    @classmethod
    def person(cls, config: LorebotConfig, platform: str, user_id: str) -> "Reader":
        return cls(platform, None, config.handle_for(platform, user_id), user_id)

    @classmethod
    def of_handle(cls, handle: str) -> "Reader":
        """A configured person reading in private on any platform (a digest's manager)."""
        return cls("", None, handle)

    @classmethod
    def in_channel(cls, platform: str, channel: str) -> "Reader":
        return cls(platform, channel)

    @classmethod
    def of_question(cls, config: LorebotConfig, question) -> "Reader":
        """Where a recorded question was asked (``bot.tables.questions.Question``)."""
        if question.private:
            return cls(question.platform, None, question.asker_handle
                       or config.handle_for(question.platform, question.asker_id), question.asker_id)
        return cls.in_channel(question.platform, question.channel)


def restricted(config: LorebotConfig) -> set[str]:
    """The collections not everyone may read."""
    named = {name for name, settings in config.collections.items() if settings.visible_to is not None}
    book = source_audiences.of(config)
    return named | book.collections() if book is not None else named


def verified_collection(audience: Iterable[str]) -> str:
    """The collection a verified answer with this audience is filed in (plain ``verified`` when unrestricted)."""
    parts = sorted(set(audience))
    return AUDIENCE_PREFIX + "+".join(parts) if parts else VERIFIED_COLLECTION


def is_verified_collection(collection: str) -> bool:
    """Whether the bot files verified answers here: ``verified`` or one of its audience collections."""
    return collection == VERIFIED_COLLECTION or collection.startswith(AUDIENCE_PREFIX)


def audience_of_collection(collection: str) -> set[str]:
    """The restricted collections behind a verified answer's collection; a document collection is its own."""
    if collection.startswith(AUDIENCE_PREFIX):
        return set(collection[len(AUDIENCE_PREFIX):].split("+"))
    return {collection}


def may_read(config: LorebotConfig, reader: Reader, collection: str) -> bool:
    if collection.startswith(AUDIENCE_PREFIX):
        return may_read_all(config, reader, audience_of_collection(collection))
    settings = config.collections.get(collection)
    allowed = settings.visible_to if settings is not None else None
    book = source_audiences.of(config)
    from_sources = book.readers(collection) if book is not None else []
    if allowed is None and not from_sources:
        return True
    if reader.channel is None:
        keys = _keys(config, reader)
        return (allowed is None or bool(keys & set(allowed))) and all(keys & readers for readers in from_sources)
    # A channel's members are unknown: only naming or tying the channel opens a restricted collection to it.
    return (f"channel:{reader.platform}:{reader.channel}" in (allowed or ())
            or collection in config.channels.get(f"{reader.platform}:{reader.channel}", ()))


def _keys(config: LorebotConfig, reader: Reader) -> set[str]:
    """What a person reading in private may be named by: their handle, their team, their platform id."""
    keys = set()
    if reader.handle is not None:
        keys.add(f"person:{reader.handle}")
        team = config.people[reader.handle].team if reader.handle in config.people else None
        if team is not None:
            keys.add(f"team:{team}")
    if reader.user_id is not None:
        keys.add(f"user:{reader.platform}:{reader.user_id}")
    return keys


def may_read_all(config: LorebotConfig, reader: Reader, collections: Iterable[str]) -> bool:
    return all(may_read(config, reader, collection) for collection in collections)


def searched(config: LorebotConfig, knowledge: Knowledge, reader: Reader) -> list[str] | None:
    """The collections a question from this reader searches; None means all of them.

    A channel tied in ``[channels]`` searches its collections; anywhere else searches every collection the
    reader may read. Verified answers come along when the reader may read their whole audience."""
    tied = config.channels.get(f"{reader.platform}:{reader.channel}") if reader.channel else None
    if not restricted(config):
        return None if tied is None else sorted({*tied, VERIFIED_COLLECTION})
    known = knowledge.collections()
    documents = tied if tied is not None else [c for c in known if not is_verified_collection(c)]
    verified = [c for c in known if is_verified_collection(c)]
    return sorted({VERIFIED_COLLECTION, *(c for c in [*documents, *verified] if may_read(config, reader, c))})


def place_audience(config: LorebotConfig, reader: Reader) -> set[str]:
    """The restricted collections a channel reads: whatever is said there may concern them. A direct message
    is no restricted place by itself."""
    if reader.channel is None:
        return set()
    return {name for name in restricted(config) if may_read(config, reader, name)}


def concerned(config: LorebotConfig, reader: Reader, hits: Sequence[Hit]) -> list[str]:
    """The restricted collections a question concerns: its channel's, and those of related passages found."""
    names = place_audience(config, reader)
    for hit in hits:
        if hit.confidence >= RELATED_FLOOR:  # a related passage: something the question concerns
            names |= audience_of_collection(hit.collection) & restricted(config)
    return sorted(names)


def dumps(audience: Iterable[str]) -> str:
    return json.dumps(sorted(set(audience)))


def loads(stored: str | None) -> list[str]:
    return json.loads(stored or "[]")
