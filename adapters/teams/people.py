"""Who people are on Teams: the PeopleSource port on the conversation roster (the Bot Connector's
conversation members), asked through the messenger that already knows how to reach each person.

The roster gives the name Teams shows; it carries no time zone or department (those need Microsoft Graph
permissions the bot does not ask for), so teams for Teams users come from lorebot.toml.
"""
from __future__ import annotations

from adapters.teams.messenger import TeamsMessenger
from adapters.teams.references import PLATFORM
from bot.addresses import Person
from bot.ports import Profile, Unreachable


class TeamsPeople:
    platform = PLATFORM

    def __init__(self, messenger: TeamsMessenger) -> None:
        self.messenger = messenger

    def profile(self, person: Person) -> Profile | None:
        """None for someone the bot has no way to ask about; a failed call raises (the core asks again later)."""
        try:
            member = self.messenger.member(person)
        except Unreachable:
            return None
        name = getattr(member, "name", None) if member is not None else None
        email = (getattr(member, "email", None) or getattr(member, "user_principal_name", None)) if member else None
        return Profile(name=name or None, email=email or None)
