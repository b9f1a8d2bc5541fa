"""The shipped example configuration is valid, and bad configurations fail in one line naming the key."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config, parse_config
from bot.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lorebot.toml"


def test_example_config_validates() -> None:
    config = load_config(EXAMPLE)
    assert set(config.topics) == {"leave", "expenses", "security", "it", "benefits", "onboarding"}
    assert config.timezone == "Europe/London"
    assert len(config.teams) == 2
    assert all(topic.description and topic.keywords for topic in config.topics.values())
    assert config.handle_for("console", "alice") == "alice"
    assert config.handle_for("slack", config.people["alice"].ids["slack"]) == "alice"
    assert config.champions.channel["console"] == "champions"
    assert config.slack.workspaces == [] and config.msteams.tenants == []  # the token's and the app's own
    assert config.admins == ["erin"]
    assert config.teams["people-ops"].shout_out and not config.teams["engineering"].shout_out
    assert config.jobs.shout_out.schedule == "0 10 1 * *"


def test_workspaces_and_tenants_are_read() -> None:
    config = parse_config({"slack": {"workspaces": ["T01NORTHWIND", "E01GRID"]},
                           "msteams": {"tenants": ["6BABCAAD-604B-40AC-A9D7-9FD97C0B779F"]}})
    assert config.slack.workspaces == ["T01NORTHWIND", "E01GRID"]
    assert config.msteams.tenants == ["6babcaad-604b-40ac-a9d7-9fd97c0b779f"]


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"answers": {"answer_threshold": 2}}, "answers.answer_threshold"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"admins": ["ghost"]}, "admins"),
        ({"topics": {"leave": {"description": "x", "champions": ["ghost"]}}}, "topics.leave"),
        ({"topics": {"leave": {"description": "x", "champions": []}}}, "topics.leave.champions"),
        ({"people": {"a": {"name": "A", "ids": {"irc": "a"}}}}, "people.a.ids"),
        ({"answerz": {}}, "answerz"),
        ({"people": {"m": {"name": "M"}}, "teams": {"ops": {"manager": "m", "shout_out": "yes"}}},
         "teams.ops.shout_out"),
        ({"jobs": {"shout_out": {"schedule": "0 10 1 * *", "channel": "C1"}}}, "jobs.shout_out.channel"),
        ({"slack": {"workspaces": ["northwind"]}}, "slack.workspaces"),
        ({"slack": {"workspace": ["T01NORTHWIND"]}}, "slack.workspace"),
        ({"msteams": {"tenants": ["northwind.onmicrosoft.com"]}}, "msteams.tenants"),
        ({"msteams": {"tenants": "6babcaad-604b-40ac-a9d7-9fd97c0b779f"}}, "msteams.tenants"),
        ({"collections": {"handbook": {"base_url": "wiki.example.com/handbook"}}}, "collections.handbook.base_url"),
        ({"collections": {"handbook": {"base_url": "javascript:alert(1)"}}}, "collections.handbook.base_url"),
        ({"collections": {"handbook": {"base_url": "ftp://files.example.com/"}}}, "collections.handbook.base_url"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(raw: dict, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    message = str(caught.value)
    assert "\n" not in message
    assert key in message


def test_broken_toml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "lorebot.toml"
    path.write_text("[topics\nnope", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_collections_base_url_ends_with_a_slash() -> None:
    config = parse_config({"collections": {"a": {"base_url": "https://wiki.example.com/handbook"},
                                           "b": {"base_url": "http://wiki.example.com/index.php?page="}}})
    assert config.collections["a"].base_url == "https://wiki.example.com/handbook/"
    assert config.collections["b"].base_url == "http://wiki.example.com/index.php?page="  # a query is kept as is


def test_the_commented_base_url_example_is_valid() -> None:
    import tomllib

    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("# [collections.handbook]\n# base_url", "[collections.handbook]\nbase_url")
    config = parse_config(tomllib.loads(text))
    assert config.collections["handbook"].base_url == "https://wiki.example.com/handbook/"


@pytest.mark.parametrize("raw, message", [
    ({"answers": {"answer_treshold": 0.5}}, "lorebot.toml: answers.answer_treshold: unknown key; did you mean "
                                            "answer_threshold?"),
    ({"team": {"hr": {"manager": "a"}}}, "lorebot.toml: unknown table [team]; did you mean [teams]?"),
    ({"jobs": {"nudge": {}}}, "lorebot.toml: unknown table [jobs.nudge]; did you mean [jobs.nudges]?"),
    ({"timzone": "UTC"}, "lorebot.toml: timzone: unknown key; did you mean timezone?"),
    ({"jobs": {"digest": {"zzz": 1}}}, "lorebot.toml: jobs.digest.zzz: unknown key (known: schedule, max_gaps)"),
    ({"people": {"a": {"nam": "A"}}}, "lorebot.toml: people.a.nam: unknown key; did you mean name?"),
    ({"topics": {"hr": {"champions": ["a"]}}}, "lorebot.toml: topics.hr.description: missing; add it"),
    ({"answers": {"answer_threshold": "high"}}, 'lorebot.toml: answers.answer_threshold: should be a number, not '
                                                '"high"'),
    ({"answers": {"max_sources": 2.5}}, "lorebot.toml: answers.max_sources: should be a whole number, not 2.5"),
    ({"answers": 3}, "lorebot.toml: answers: should be a table, not 3"),
    ({"teams_reactions": {"verify": [1]}}, "lorebot.toml: teams_reactions.verify[0]: should be text in quotes, not 1"),
    ({"answers": {"answer_threshold": 3}}, "lorebot.toml: answers.answer_threshold: should be at most 1 (it is 3)"),
    ({"jobs": {"nudges": {"escalate_after": 0}}}, "lorebot.toml: jobs.nudges.escalate_after: should be at least 1 "
                                                  "(it is 0)"),
    ({"topics": {"hr": {"description": "HR", "champions": ["zed"]}}},
     "lorebot.toml: topics.hr: champion 'zed' is not listed under [people]"),
])
def test_config_errors_are_in_plain_words(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert str(caught.value) == message


def test_an_unknown_table_lists_the_tables_there_are() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"foo": {}})
    message = str(caught.value)
    assert message.startswith("lorebot.toml: unknown table [foo] (known: answers, people, teams, topics, ")
    assert "timezone" not in message  # a key, not a table


def test_the_example_sources_validate_once_uncommented() -> None:
    import re
    import tomllib

    text = EXAMPLE.read_text(encoding="utf-8")
    block = text[text.index("# [sources."):]
    uncommented = "\n".join(re.sub(r"^# ?", "", line) for line in block.splitlines() if line.startswith("# "))
    config = parse_config(tomllib.loads(uncommented))
    source = config.sources["handbook-git"]
    assert source.type == "git" and source.collection_for("handbook-git") == "handbook"
    assert config.sources["hr-wiki"].type == "confluence" and config.sources["intranet"].type == "web"
    assert config.sources["hr-sharepoint"].type == "sharepoint"


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ({"sources": {"hb": {"type": "git", "repo": "x", "branc": "main"}}},
         "sources.hb.branc: unknown key; did you mean branch?"),
        ({"sources": {"hb": {"type": "gitt", "repo": "x"}}}, 'sources.hb.type: "gitt" is not one of'),
        ({"sources": {"hb": {"repo": "x"}}}, "sources.hb.type: missing; add it (one of"),
        ({"sources": {"hb": {"type": "git"}}}, "sources.hb.repo: missing; add it"),
        ({"sources": {"hb": {"type": "git", "repo": "x", "schedule": "hourly"}}},
         "sources.hb.schedule: 'hourly' is not a crontab schedule"),
        ({"sources": {"h b": {"type": "git", "repo": "x"}}}, "[sources.h b]: a source's name is"),
        ({"sources": {"hb": {"type": "git", "repo": "x", "max_removal_share": 3}}},
         "sources.hb.max_removal_share: should be at most 1 (it is 3)"),
    ],
)
def test_a_bad_source_is_one_line_naming_its_key(raw: dict, line: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert str(error.value).startswith(f"lorebot.toml: {line}")
