"""The person behind one question, resolved once when the question arrives.

Asking needs three things about its asker at several steps (what they may read, the name champions see, the
handle a routed question keeps): resolving them once, where the person is first recorded, lets the ask path
carry one value instead of asking the configuration, the context and the people table again at each step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.addresses import Person
from bot.people.audiences import Reader

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.context import LorebotContext


@dataclass(frozen=True)
class Asker:
    person: Person
    handle: str | None  # their lorebot.toml handle; None when the configuration does not list them
    name: str  # lorebot.toml's name, else the platform's, else what the event said, else the id

    def reader(self, private: bool, channel: str) -> Reader:
        """Who reads the reply: the asker alone in private, else the channel's members."""
        if private:
            return Reader(self.person.platform, None, self.handle, self.person.id)
        return Reader.in_channel(self.person.platform, channel)


def resolve(ctx: LorebotContext, session: Session, person: Person) -> Asker:
    """Record ``person`` (``LorebotContext.remember``) and keep what asking needs of them."""
    row = ctx.remember(session, person)
    if row is not None:
        return Asker(person, row.handle, row.name)
    return Asker(person, ctx.handle(person), ctx.person_name(person))
