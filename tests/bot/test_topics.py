"""Picking the topic whose champions get a question."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.asking.topics import TopicPicker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lorebot.toml"

QUESTIONS = [
    ("How do I claim back a train ticket receipt?", "expenses"),
    ("How many days of holiday do I get?", "leave"),
    ("My laptop screen is broken", "it"),
    ("I think I clicked a phishing link", "security"),
    ("What happens in my first week?", "onboarding"),
    ("How much does the company add to my pension?", "benefits"),
]


@pytest.mark.parametrize(("question", "topic"), QUESTIONS)
def test_keywords_pick_the_topic_without_an_embedder(question: str, topic: str) -> None:
    assert TopicPicker(load_config(EXAMPLE)).pick(question) == topic


def test_nothing_in_common_picks_no_topic_without_an_embedder() -> None:
    assert TopicPicker(load_config(EXAMPLE)).pick("zzz qqq") is None


def test_no_topics_no_pick() -> None:
    assert TopicPicker(load_config(None)).pick("How many days of holiday do I get?") is None


def test_meaning_picks_the_topic_when_no_keyword_matches(embedder) -> None:
    picker = TopicPicker(load_config(EXAMPLE), embedder.encode)
    assert picker.pick("Someone sent me an email asking for my login details") == "security"
    assert picker.pick("Can I get money back for the hotel I paid for on the client trip?") == "expenses"


@pytest.mark.parametrize(("question", "topic"), QUESTIONS)
def test_meaning_and_keywords_agree(embedder, question: str, topic: str) -> None:
    assert TopicPicker(load_config(EXAMPLE), embedder.encode).pick(question) == topic


def test_the_pick_is_deterministic(embedder) -> None:
    picker = TopicPicker(load_config(EXAMPLE), embedder.encode)
    picks = {picker.pick("Where do I report a lost badge?") for _ in range(3)}
    assert len(picks) == 1
