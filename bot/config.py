"""The ``lorebot.toml`` file: people, teams, topics and their champions, channels, thresholds and schedules.

Everything a company tunes lives here; secrets never do (they come from the environment, see settings.py).
Validation happens once at start-up and names the bad key in one line.
"""
from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictBool, ValidationError, field_validator, model_validator

from bot.config_errors import describe
from bot.errors import ConfigError
from knowledge.llm.options import LlmOptions
from knowledge.sources.options import SOURCE_NAME
from knowledge.sources.registry import SourceConfig
from knowledge.urls import web_url

PLATFORMS = ("slack", "teams", "console")

_TENANT_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# A chat channel on one or more platforms, e.g. { slack = "C0123", teams = "19:abc@thread.tacv2" }.
ChannelRef = dict[str, str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonConfig(_Strict):
    """A person Lorebot should know by name: ``ids`` maps platform to that platform's user id."""

    name: str
    ids: dict[str, str] = Field(default_factory=dict)
    team: str | None = None
    email: str | None = None  # what a source's audience (visible_to_from_source) knows this person by

    @field_validator("email")
    @classmethod
    def _an_email(cls, email: str | None) -> str | None:
        if email is None:
            return None
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email.strip()):
            raise ValueError(f"{email!r} is not an email address")
        return email.strip().lower()

    @field_validator("ids")
    @classmethod
    def _known_platforms(cls, ids: dict[str, str]) -> dict[str, str]:
        for platform in ids:
            if platform not in PLATFORMS:
                raise ValueError(f"unknown platform {platform!r} (use one of {', '.join(PLATFORMS)})")
        return ids


class TeamConfig(_Strict):
    """A group of people with a manager who gets the weekly digest. Members are the people listed with this
    team, plus the members of the Slack user group ``slack_usergroup`` (its id ``S…`` or its handle); without
    it, of the user group whose handle is the team's name. ``shout_out``: once a month, thank the team's
    champions in the champions' channel (opt-in: not every team wants its people named in public)."""

    manager: str
    lessons_channel: ChannelRef = Field(default_factory=dict)
    slack_usergroup: str | None = None
    shout_out: StrictBool = False  # TOML has true and false; "yes" is a typo, not a choice


class TopicConfig(_Strict):
    description: str
    keywords: list[str] = Field(default_factory=list)
    champions: list[str] = Field(min_length=1)
    backup: str | None = None
    channel: ChannelRef = Field(default_factory=dict)  # where routed questions go; else the champions' channel
    collections: list[str] = Field(default_factory=list)  # restrict search for this topic; empty = all


AUDIENCE_KINDS = ("team", "person", "channel")


class CollectionConfig(_Strict):
    """Who may read a collection. Without ``visible_to`` everyone may; with it, only the people, teams and
    channels it names (``"team:finance"``, ``"person:carol"``, ``"channel:slack:C0FIN"``).

    ``base_url`` is where its documents are published, so sources become links (``bot/asking/links.py``)."""

    visible_to: list[str] | None = None
    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _web_address(cls, url: str | None) -> str | None:
        """An http(s) URL; a missing final "/" is added (a documents' path follows it) unless it has a query."""
        if url is None:
            return None
        checked = web_url(url)
        if checked is None:
            raise ValueError(f"{url!r} is not an http(s) URL, e.g. \"https://wiki.example.com/handbook/\"")
        parts = urlsplit(checked)
        if not parts.query and not parts.fragment and not checked.endswith("/"):
            checked += "/"
        return checked

    @field_validator("visible_to")
    @classmethod
    def _audience_entries(cls, entries: list[str] | None) -> list[str] | None:
        for entry in entries or []:
            kind, _, rest = entry.partition(":")
            if kind not in AUDIENCE_KINDS or not rest:
                raise ValueError(f"{entry!r} is not team:NAME, person:HANDLE or channel:PLATFORM:ID")
            if kind == "channel":
                platform, _, channel = rest.partition(":")
                if platform not in PLATFORMS or not channel:
                    raise ValueError(f"{entry!r} is not channel:PLATFORM:ID (PLATFORM one of {', '.join(PLATFORMS)})")
        return entries


class AnswersConfig(_Strict):
    answer_threshold: Annotated[float, Field(ge=0, le=1)] = 0.48
    verified_threshold: Annotated[float, Field(ge=0, le=1)] = 0.70
    suggest_threshold: Annotated[float, Field(ge=0, le=1)] = 0.50  # offer a verified answer to a similar question
    max_sources: Annotated[int, Field(ge=1, le=10)] = 3
    # Independent askers whose judgment of a source makes it decide for later rewordings (README, "Feedback").
    feedback_askers: Annotated[int, Field(ge=1, le=20)] = 2


class ChampionsConfig(_Strict):
    channel: ChannelRef = Field(default_factory=dict)  # the champions' channel; empty = DM each champion


class NudgesConfig(_Strict):
    schedule: str = "0 9 * * mon-fri"
    wait_hours: Annotated[float, Field(gt=0)] = 4  # working hours a question may wait before a nudge
    escalate_after: Annotated[int, Field(ge=1)] = 2  # nudges before the backup champion is asked
    workday_start: Annotated[int, Field(ge=0, le=23)] = 9
    workday_end: Annotated[int, Field(ge=1, le=24)] = 17


class LessonsConfig(_Strict):
    schedule: str = "0 15 * * fri"
    channels: list[ChannelRef] = Field(default_factory=list)


class DigestConfig(_Strict):
    schedule: str = "0 9 * * mon"
    max_gaps: Annotated[int, Field(ge=1)] = 5


class ReverifyConfig(_Strict):
    schedule: str = "0 10 * * tue"
    max_age_days: Annotated[int, Field(ge=1)] = 90
    grace_days: Annotated[int, Field(ge=1)] = 14  # time to answer "still right?" before the answer turns stale


class ShoutOutConfig(_Strict):
    schedule: str = "0 10 1 * *"  # the month before each run is the one thanked for


class JobsConfig(_Strict):
    nudges: NudgesConfig = NudgesConfig()
    lessons: LessonsConfig = LessonsConfig()
    digest: DigestConfig = DigestConfig()
    reverify: ReverifyConfig = ReverifyConfig()
    shout_out: ShoutOutConfig = ShoutOutConfig()
    misfire_grace_hours: Annotated[float, Field(gt=0)] = 12


class RecoveryConfig(_Strict):
    """How a serving process finishes what a crashed one left: every ``interval_seconds`` it runs the recovery
    pass (``bot.recovery.passes``), which takes over an ask once the attempt holding it has not finished within
    ``lease_seconds``. The lease must outlast a slow answer (search and replies), or a live attempt's work is
    repeated."""

    interval_seconds: Annotated[float, Field(gt=0)] = 30
    lease_seconds: Annotated[float, Field(ge=5)] = 60

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)


class TeamsReactionsConfig(_Strict):
    """How Microsoft Teams reaction types map to curation (Teams has no ✅ reaction)."""

    verify: list[str] = Field(default_factory=lambda: ["like", "heart"])
    reject: list[str] = Field(default_factory=lambda: ["angry", "sad"])


class SlackConfig(_Strict):
    """Who may use the Slack app: the workspaces (``T…``, or a Grid organisation ``E…``) it serves. Empty means
    the bot token's own workspace, asked from Slack at start-up."""

    workspaces: list[str] = Field(default_factory=list)

    @field_validator("workspaces")
    @classmethod
    def _workspace_ids(cls, workspaces: list[str]) -> list[str]:
        for workspace in workspaces:
            if not re.fullmatch(r"[TE][A-Z0-9]{2,}", workspace):
                raise ValueError(f"{workspace!r} is not a Slack workspace id (T… or E…, as in the workspace URL)")
        return workspaces


class MsTeamsConfig(_Strict):
    """Who may use the Microsoft Teams app: the Microsoft Entra tenants it serves. Empty means the app's own
    tenant (MicrosoftAppTenantId). Named ``msteams`` because ``[teams]`` holds teams of people."""

    tenants: list[str] = Field(default_factory=list)

    @field_validator("tenants")
    @classmethod
    def _tenant_ids(cls, tenants: list[str]) -> list[str]:
        for tenant in tenants:
            if not is_tenant_id(tenant):
                raise ValueError(f"{tenant!r} is not a Microsoft Entra tenant id (a GUID such as "
                                 "6babcaad-604b-40ac-a9d7-9fd97c0b779f)")
        return [tenant.lower() for tenant in tenants]


class LorebotConfig(_Strict):
    timezone: str = "UTC"
    answers: AnswersConfig = AnswersConfig()
    people: dict[str, PersonConfig] = Field(default_factory=dict)
    teams: dict[str, TeamConfig] = Field(default_factory=dict)
    topics: dict[str, TopicConfig] = Field(default_factory=dict)
    champions: ChampionsConfig = ChampionsConfig()
    channels: dict[str, list[str]] = Field(default_factory=dict)  # "slack:C0IT" -> collections searched there
    collections: dict[str, CollectionConfig] = Field(default_factory=dict)  # who may read each collection
    jobs: JobsConfig = JobsConfig()
    recovery: RecoveryConfig = RecoveryConfig()
    teams_reactions: TeamsReactionsConfig = TeamsReactionsConfig()
    slack: SlackConfig = SlackConfig()
    msteams: MsTeamsConfig = MsTeamsConfig()
    admins: list[str] = Field(default_factory=list)  # get the organisation-wide digest, with askers in no team
    sources: dict[str, SourceConfig] = Field(default_factory=dict)  # where documents live, kept in sync
    llm: LlmOptions | None = None  # the company's own LLM for answers and the judge; absent: fully offline
    # Readers that sources name (visible_to_from_source), read from the store: bot.people.source_audiences.attach.
    _source_audiences: object = PrivateAttr(default=None)

    @field_validator("sources")
    @classmethod
    def _source_names(cls, sources: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        for name, source in sources.items():
            if not SOURCE_NAME.fullmatch(name):
                raise ValueError(f"[sources.{name}]: a source's name is 1 to 40 letters, digits, - or _")
            try:
                from apscheduler.triggers.cron import CronTrigger

                CronTrigger.from_crontab(source.schedule)
            except ValueError as exc:
                raise ValueError(f"sources.{name}.schedule: {source.schedule!r} is not a crontab schedule "
                                 f"({exc})") from None
        return sources

    @field_validator("timezone")
    @classmethod
    def _real_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _people_exist(self) -> "LorebotConfig":
        for name, topic in self.topics.items():
            for handle in [*topic.champions, *([topic.backup] if topic.backup else [])]:
                if handle not in self.people:
                    raise ValueError(f"topics.{name}: champion {handle!r} is not listed under [people]")
        for name, team in self.teams.items():
            if team.manager not in self.people:
                raise ValueError(f"teams.{name}.manager: {team.manager!r} is not listed under [people]")
        for handle in self.admins:
            if handle not in self.people:
                raise ValueError(f"admins: {handle!r} is not listed under [people]")
        for handle, person in self.people.items():
            if person.team and person.team not in self.teams:
                raise ValueError(f"people.{handle}.team: {person.team!r} is not listed under [teams]")
        for name, collection in self.collections.items():
            for entry in collection.visible_to or []:
                kind, _, rest = entry.partition(":")
                listed = {"team": ("teams", self.teams), "person": ("people", self.people)}.get(kind)
                if listed is not None and rest not in listed[1]:
                    raise ValueError(f"collections.{name}.visible_to: {entry!r} is not listed under [{listed[0]}]")
        return self

    @model_validator(mode="after")
    def _lease_outlasts_the_llm(self) -> "LorebotConfig":
        """One ask may wait for the judge and then the written answer: a lease shorter than that would let the
        recovery pass answer a question a live attempt is still answering."""
        if self.llm is not None and self.recovery.lease_seconds < 2 * self.llm.timeout_s + 10:
            raise ValueError(f"recovery.lease_seconds: {self.recovery.lease_seconds:g} is too short for "
                             f"llm.timeout_s = {self.llm.timeout_s:g}; make it at least "
                             f"{2 * self.llm.timeout_s + 10:g} (twice the timeout plus 10)")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def handle_for(self, platform: str, user_id: str) -> str | None:
        """The config handle of the person with this platform id, if the config names them."""
        for handle, person in self.people.items():
            if person.ids.get(platform) == user_id or (platform == "console" and handle == user_id):
                return handle
        return None

    def user_id_for(self, handle: str, platform: str) -> str | None:
        """The platform user id of a configured person, the inverse of ``handle_for``.

        The one place that knows the console identifies people by their handle, so routing to champions and
        the jobs' direct messages agree on who is reachable where."""
        person = self.people.get(handle)
        if person is None:
            return None
        if platform in person.ids:
            return person.ids[platform]
        return handle if platform == "console" else None


def is_tenant_id(value: str) -> bool:
    """Whether ``value`` is a Microsoft Entra tenant id, the GUID Teams puts in every activity (not a domain)."""
    return bool(_TENANT_ID.fullmatch(value))


def load_config(path: Path | None) -> LorebotConfig:
    """Read and validate lorebot.toml; no file means an empty configuration (no topics, no champions)."""
    if path is None:
        return LorebotConfig()
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return parse_config(raw, origin=str(path))


def parse_config(raw: dict, origin: str = "lorebot.toml") -> LorebotConfig:
    try:
        return LorebotConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {describe(LorebotConfig, exc.errors())}") from None
