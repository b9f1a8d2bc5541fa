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


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"answers": {"answer_threshold": 2}}, "answers.answer_threshold"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"topics": {"leave": {"description": "x", "champions": ["ghost"]}}}, "topics.leave"),
        ({"topics": {"leave": {"description": "x", "champions": []}}}, "topics.leave.champions"),
        ({"people": {"a": {"name": "A", "ids": {"irc": "a"}}}}, "people.a.ids"),
        ({"answerz": {}}, "answerz"),
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
