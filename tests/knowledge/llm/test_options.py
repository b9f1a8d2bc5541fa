"""The [llm] section: strict, validated at start-up, one clear line naming the bad key or the unset variable."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.errors import ConfigError
from knowledge.llm import Llm, LlmConfigError, LlmOptions

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "lorebot.toml"


def test_absent_means_off_and_defaults_are_as_documented() -> None:
    assert parse_config({}).llm is None
    options = parse_config({"llm": {"base_url": "http://localhost:11434/v1", "model": "llama3.1:8b"}}).llm
    assert (options.timeout_s, options.answers, options.judge, options.max_passages, options.max_tokens) == (
        20, True, True, 5, 400)
    assert (options.api_key_env, options.api_version, options.log_prompts, options.azure) == (None, None, False,
                                                                                              False)
    assert (options.breaker_failures, options.breaker_cooldown_s) == (3, 300)


@pytest.mark.parametrize(("raw", "line"), [
    ({"base_url": "http://x/v1", "model": "m", "temprature": 0}, "llm.temprature: unknown key"),
    ({"base_url": "localhost:11434/v1", "model": "m"}, "llm.base_url: "),
    ({"base_url": "ftp://models.example/", "model": "m"}, "llm.base_url: "),
    ({"model": "m"}, "llm.base_url: missing; add it"),
    ({"base_url": "http://x/v1"}, "llm.model: missing; add it"),
    ({"base_url": "http://x/v1", "model": "m", "timeout_s": 0}, "llm.timeout_s: should be more than 0"),
    ({"base_url": "http://x/v1", "model": "m", "max_passages": 21}, "llm.max_passages: should be at most 20"),
])
def test_a_bad_llm_section_is_one_line_naming_its_key(raw: dict, line: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"llm": raw})
    assert "\n" not in str(error.value)
    assert str(error.value).startswith(f"lorebot.toml: {line}"), str(error.value)


def test_an_unset_key_variable_is_one_line_naming_it() -> None:
    options = LlmOptions(base_url="https://api.openai.com/v1", model="gpt-4o-mini", api_key_env="LOREBOT_LLM_KEY")
    with pytest.raises(LlmConfigError) as error:
        Llm(options, {}.get)
    assert str(error.value) == "llm.api_key_env: the environment variable LOREBOT_LLM_KEY is not set"


def test_the_example_llm_block_validates_once_uncommented() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    block = text[text.index("# [llm]"):text.index("# ---", text.index("# [llm]"))]
    uncommented = "\n".join(re.sub(r"^# ?", "", line) for line in block.splitlines() if line.startswith("# "))
    options = parse_config(tomllib.loads(uncommented)).llm
    assert options.model == "llama3.1:8b" and options.api_key_env == "LOREBOT_LLM_API_KEY"
