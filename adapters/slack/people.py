"""Who people are on Slack: the PeopleSource port on the Web API (scopes users:read and usergroups:read).

users.info gives a person's name and time zone; usergroups.list (with its members) gives the groups that
lorebot.toml's teams name. The group list is one call for the whole workspace, so it is kept for
``PROFILE_EXPIRY`` rather than asked for every person.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.addresses import Person
from bot.people.profiles import PROFILE_EXPIRY
from bot.ports import Clock, Profile, system_clock

log = logging.getLogger(__name__)

UNKNOWN_USER_ERRORS = {"user_not_found", "user_not_visible"}


class SlackPeople:
    platform = "slack"

    def __init__(self, client: WebClient, clock: Clock = system_clock) -> None:
        self.client = client
        self._clock = clock
        self._lock = threading.Lock()
        self._groups: tuple[datetime, dict[str, tuple[str, ...]]] | None = None  # (asked at, user -> groups)

    def profile(self, person: Person) -> Profile | None:
        """None for someone Slack does not know; a refused call raises (the core asks again later)."""
        try:
            user = self.client.users_info(user=person.id)["user"]
        except SlackApiError as exc:
            if exc.response is not None and exc.response.get("error") in UNKNOWN_USER_ERRORS:
                return None
            raise
        profile = user.get("profile") or {}
        name = profile.get("real_name") or user.get("real_name") or profile.get("display_name") or user.get("name")
        return Profile(name=name or None, timezone=user.get("tz") or None, groups=self._groups_of(person.id),
                       email=profile.get("email") or None)  # needs the users:read.email scope

    def _groups_of(self, user_id: str) -> tuple[str, ...]:
        """The ids and handles of the user groups ``user_id`` is in; none when the groups cannot be read."""
        now = self._clock()
        with self._lock:
            if self._groups is None or now - self._groups[0] >= PROFILE_EXPIRY:
                self._groups = (now, self._members())
            return self._groups[1].get(user_id, ())

    def _members(self) -> dict[str, tuple[str, ...]]:
        try:
            groups = self.client.usergroups_list(include_users=True).get("usergroups") or []
        except SlackApiError as exc:
            log.warning("slack user groups not readable (%s); teams come from lorebot.toml only",
                        exc.response.get("error") if exc.response is not None else "refused")
            return {}
        members: dict[str, tuple[str, ...]] = {}
        for group in groups:
            names = tuple(value for value in (group.get("id"), group.get("handle")) if value)
            for user_id in group.get("users") or []:
                members[user_id] = members.get(user_id, ()) + names
        return members
