"""People lorebot.toml does not list get their name, team and time zone from the platform, asked once per
expiry; what the config lists wins, and a platform that cannot be asked never stops an answer."""
from __future__ import annotations

from datetime import timedelta

from bot.addresses import Person
from bot.config import parse_config
from bot.people.profiles import PROFILE_EXPIRY
from bot.ports import Profile
from bot.tables.people import PersonRow
from jobs.digest_figures import team_week
from tests.bot.support import RAW_CONFIG, UNKNOWN_QUESTION, Clock, new_chat, rows

THRESHOLDS = {"answer_threshold": 0.5, "verified_threshold": 0.6}


class Directory:
    """A platform directory that counts how often it is asked and can be told to fail."""

    def __init__(self, profiles: dict[str, Profile]) -> None:
        self.profiles = profiles
        self.asked: list[str] = []
        self.down = False

    def profile(self, person: Person) -> Profile | None:
        self.asked.append(person.id)
        if self.down:
            raise ConnectionError("directory unreachable")
        return self.profiles.get(person.id)


def _config(**teams):
    raw = {**RAW_CONFIG, "answers": THRESHOLDS}
    raw["teams"] = {name: {**team, **teams.get(name, {})} for name, team in RAW_CONFIG["teams"].items()}
    return parse_config(raw)


def _person(kb, user_id: str) -> PersonRow:
    return rows(kb, PersonRow, PersonRow.user_id == user_id)[0]


def test_an_unlisted_asker_shows_by_platform_name_and_gets_the_platform_team(kb) -> None:
    directory = Directory({"dana": Profile(name="Dana Whitfield", timezone="Europe/Paris",
                                           groups=("S0OPS", "ops"))})
    chat = new_chat(_config(), kb, people=directory)
    chat.ask("dana", UNKNOWN_QUESTION)
    routed = chat.last(channel="office-champions")
    assert "Dana Whitfield" in routed.text and "dana" not in routed.text.replace("Dana", "")
    dana = _person(kb, "dana")
    assert (dana.name, dana.team, dana.manager, dana.timezone) == ("Dana Whitfield", "ops", "erin", "Europe/Paris")


def test_the_config_wins_over_the_platform(kb) -> None:
    directory = Directory({"alice": Profile(name="Alice Platform", groups=("sales",)),
                           "erin": Profile(name="Erin Platform", groups=("ops",))})
    chat = new_chat(_config(), kb, people=directory)
    chat.ask("alice", UNKNOWN_QUESTION)
    chat.ask("erin", UNKNOWN_QUESTION)
    alice, erin = _person(kb, "alice"), _person(kb, "erin")
    assert (alice.name, alice.team) == ("Alice", "ops")
    assert (erin.name, erin.team) == ("Erin", "ops"), "a listed person without a team takes the platform's"


def test_a_profile_is_asked_once_within_the_expiry_and_again_after_it(kb) -> None:
    clock = Clock()
    directory = Directory({"dana": Profile(name="Dana Whitfield")})
    chat = new_chat(_config(), kb, clock=clock, people=directory)
    chat.ask("dana", UNKNOWN_QUESTION)
    clock.advance(hours=23)
    chat.ask("dana", "Where do I park my bike at the office?")
    assert directory.asked == ["dana"]
    directory.profiles["dana"] = Profile(name="Dana Moreau")
    clock.now += PROFILE_EXPIRY
    chat.ask("dana", "Can visitors park at the office?")
    assert directory.asked == ["dana", "dana"]
    assert _person(kb, "dana").name == "Dana Moreau"


def test_a_failing_directory_never_blocks_an_answer_and_is_asked_again_after_the_expiry(kb) -> None:
    clock = Clock()
    directory = Directory({"dana": Profile(name="Dana Whitfield")})
    directory.down = True
    chat = new_chat(_config(), kb, clock=clock, people=directory)
    chat.ask("dana", UNKNOWN_QUESTION)
    assert "dana" in chat.last(channel="office-champions").text
    assert chat.bot_messages(channel="dm-dana"), "the asker was still told"
    chat.ask("dana", "Where do I park my bike at the office?")
    assert directory.asked == ["dana"], "not asked again before the expiry"
    directory.down = False
    clock.now += PROFILE_EXPIRY
    chat.ask("dana", "Can visitors park at the office?")
    assert "Dana Whitfield" in chat.last(channel="office-champions").text


def test_an_unlisted_asker_counts_in_the_digest_of_the_team_the_platform_puts_them_in(kb) -> None:
    clock = Clock()
    chat = new_chat(_config(), kb, clock=clock, people=Directory({"dana": Profile(name="Dana", groups=("ops",))}))
    chat.ask("dana", UNKNOWN_QUESTION)
    ctx = chat.core.context
    with ctx.session() as session:
        week = team_week(ctx, session, "ops", clock() + timedelta(days=1))
    assert week.asked == 1
