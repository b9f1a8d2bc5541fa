"""What the core's handlers, its extensions and the jobs share: configuration, the database, knowledge base,
messenger, clock and the people rules. One object, passed in, so nothing reaches for globals and a test builds
exactly what it needs (a fake clock, a real store)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Iterable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.addresses import Person
from bot.config import LorebotConfig
from bot.messengers import MessengerRouter, platforms_of
from bot.people.profiles import display_name, known_name, remember
from bot.ports import Clock, Knowledge, Messenger, NoPeopleSource, PeopleSource, system_clock
from bot.tables.people import PersonRow

if TYPE_CHECKING:  # the client (openai) loads only where an [llm] is configured
    from knowledge.llm import Llm


@dataclass
class LorebotContext:
    """``messenger`` is the one Messenger everything speaks through: a ``MessengerRouter`` when the process serves
    several platforms; ``platforms`` are the ones it serves. ``knowledge`` is None only where nothing searches
    or curates (some job tests)."""

    config: LorebotConfig
    engine: Engine
    messenger: Messenger = field(default_factory=lambda: MessengerRouter({}))
    knowledge: Knowledge | None = None
    clock: Clock = system_clock
    # False when the platform did not prove who anyone is (a Teams endpoint without authentication): then
    # nobody acts as a champion and nothing anyone does changes the knowledge base.
    identities_verified: bool = True
    # Who people are on their platforms (names, time zones, teams) for those lorebot.toml does not list.
    people: PeopleSource = field(default_factory=NoPeopleSource)
    # The company's own LLM ([llm] in lorebot.toml), built once by the command line; None: fully offline.
    llm: Llm | None = None

    def session(self) -> Session:
        """A new database session; use it in a ``with`` block and commit what you change."""
        return Session(self.engine, expire_on_commit=False)

    def now(self) -> datetime:
        return self.clock()

    # -- platforms -------------------------------------------------------------------------------------------
    @property
    def platforms(self) -> tuple[str, ...]:
        return platforms_of(self.messenger)

    def serves(self, platform: str) -> bool:
        """Whether this process can send on ``platform`` (jobs leave other platforms' messages to others)."""
        return platform in self.platforms

    # -- people ----------------------------------------------------------------------------------------------
    def handle(self, person: Person) -> str | None:
        return self.config.handle_for(person.platform, person.id)

    def remember(self, session: Session, person: Person) -> PersonRow | None:
        """Record the person, looking them up on their platform when their profile is missing or expired."""
        return remember(session, self.config, person, source=self.people, now=self.now())

    def person_name(self, person: Person) -> str:
        """lorebot.toml's name, else the platform's as last looked up, else what the event said, else the id."""
        if self.handle(person) is None:
            with self.session() as session:
                stored = known_name(session, person)
            if stored and stored != person.id:
                return stored
        return display_name(self.config, person)

    def name_of(self, handle: str) -> str:
        person = self.config.people.get(handle)
        return person.name if person else handle

    def reach(self, handle: str, prefer: Iterable[str] = ()) -> Person | None:
        """Someone we can message: on a preferred platform if they are known there, else the first one we serve."""
        for platform in [*prefer, *self.platforms]:
            if not self.serves(platform):
                continue
            user_id = self.config.user_id_for(handle, platform)
            if user_id:
                return Person(platform=platform, id=user_id, name=self.name_of(handle))
        return None

    # -- champions -------------------------------------------------------------------------------------------
    def champion_topics(self, person: Person) -> list[str]:
        """Topics this person champions, as champion or backup, in config order."""
        handle = self.handle(person)
        if handle is None or not self.identities_verified:
            return []
        return [name for name, topic in self.config.topics.items()
                if handle in topic.champions or handle == topic.backup]

    def is_champion(self, person: Person, topic: str | None = None) -> bool:
        """Champion (or backup) of ``topic``; of any topic when ``topic`` is None or no longer configured."""
        topics = self.champion_topics(person)
        if topic is None or topic not in self.config.topics:
            return bool(topics)
        return topic in topics
