"""What the core's handlers and its extensions share: configuration, knowledge base, messenger, clock, a
database session factory and the champion rules. One object, passed in, so nothing reaches for globals."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.addresses import Person
from bot.config import LorebotConfig
from bot.people import display_name
from bot.ports import Clock, Messenger


@dataclass
class CoreContext:
    config: LorebotConfig
    knowledge: object  # knowledge.KnowledgeBase (embed_question, search, similar_entries, add_entry, ..., engine)
    messenger: Messenger
    clock: Clock
    engine: Engine

    def session(self) -> Session:
        """A new database session; use it in a ``with`` block and commit what you change."""
        return Session(self.engine, expire_on_commit=False)

    def now(self) -> datetime:
        return self.clock()

    def handle(self, person: Person) -> str | None:
        return self.config.handle_for(person.platform, person.id)

    def person_name(self, person: Person) -> str:
        return display_name(self.config, person)

    def champion_topics(self, person: Person) -> list[str]:
        """Topics this person champions, as champion or backup, in config order."""
        handle = self.handle(person)
        if handle is None:
            return []
        return [name for name, topic in self.config.topics.items()
                if handle in topic.champions or handle == topic.backup]

    def is_champion(self, person: Person, topic: str | None = None) -> bool:
        """Champion (or backup) of ``topic``; of any topic when ``topic`` is None or no longer configured."""
        topics = self.champion_topics(person)
        if topic is None or topic not in self.config.topics:
            return bool(topics)
        return topic in topics

    def champions_of(self, topic: str, platform: str) -> list[Person]:
        """The topic's champions (not the backup) that can be reached on ``platform``."""
        people: list[Person] = []
        for handle in self.config.topics[topic].champions:
            person = self.config.people[handle]
            user_id = person.ids.get(platform) or (handle if platform == "console" else None)
            if user_id:
                people.append(Person(platform=platform, id=user_id, name=person.name))
        return people
