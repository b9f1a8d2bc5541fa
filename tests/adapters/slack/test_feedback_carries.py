"""Feedback carried to rewordings (``bot.asking.preferences``), through real HTTP, the real Bolt app, the real core
and the real knowledge base holding the commuting handbook (``tests.commute_handbook``): what askers said of an
answer to one wording decides which page later askers of another wording are shown first."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.tables.preferences import LearnedPreference
from tests.adapters.slack.conftest import CONFIG, serve_rig
from tests.bot.support import questions, rows
from tests.commute_handbook import BIKE, BIKE_REWORDED, CAR, CAR_REWORDED, CAR_WORK_DAY

# Low enough that the car questions and their look-alikes get document answers, with Helpful / Not helpful.
ANSWERS = {"answer_threshold": 0.25}
PARKING_PAGE, CYCLING_PAGE = "Parking › Office parking", "Cycling to work › Bike storage"


@pytest.fixture
def rig(commute_kb):
    yield from serve_rig(commute_kb, {**CONFIG, "answers": ANSWERS})


def _ask(rig, user: str, text: str, ts: str) -> dict:
    """``user`` asks in a DM; the bot's answer, as posted to Slack."""
    assert rig.dm(user, text, ts) == 200
    rig.settle()
    [answer] = rig.api.posts_to(f"D{user}", thread=ts)
    return answer


def _text(post: dict) -> str:
    return post.get("text", "") + json.dumps(post.get("blocks", ""), ensure_ascii=False)


def _first_source(answer: dict) -> str:
    """The title of the first source the answer names."""
    sources = [b["text"]["text"] for b in answer["blocks"] if b["type"] == "section"
               and b["text"]["text"].startswith("1. ")]
    assert sources, f"no sources in {answer}"
    return sources[0].removeprefix("1. *").split("*\n", 1)[0]


def _judge(rig, user: str, ts: str, action: str) -> None:
    """``user`` clicks ``action`` ("helpful", "not_helpful") under the answer to their question asked at ``ts``."""
    channel = f"D{user}"
    button = rig.button(channel, ts, action)
    [answer_ts] = sorted(t for (ch, t), thread in rig.api.threads.items() if ch == channel and thread == ts)
    assert rig.click(user, button["action_id"], button["value"], channel, answer_ts, ts) == 200
    rig.settle()


def _ask_and_judge(rig, user: str, text: str, ts: str, action: str) -> str:
    source = _first_source(_ask(rig, user, text, ts))
    _judge(rig, user, ts, action)
    return source


def test_helpful_from_two_askers_carries_to_a_rewording_and_not_to_the_look_alike(rig) -> None:
    assert _first_source(_ask(rig, "UDAN", CAR_REWORDED, "100.1")) == CYCLING_PAGE, "before any feedback"

    assert _ask_and_judge(rig, "UERIN", CAR, "101.1", "helpful") == PARKING_PAGE
    assert _ask_and_judge(rig, "UCAROL", CAR, "102.1", "helpful") == PARKING_PAGE
    learned = rows(rig.kb, LearnedPreference)
    assert sorted((row.kind, row.person_id, Path(row.document).name) for row in learned) == [
        ("helpful", "slack:UCAROL", "parking.md"), ("helpful", "slack:UERIN", "parking.md")]

    assert _first_source(_ask(rig, "UDAN", CAR_REWORDED, "103.1")) == PARKING_PAGE
    assert _first_source(_ask(rig, "UFRED", BIKE, "104.1")) == CYCLING_PAGE, "the look-alike inherits nothing"
    assert len(rows(rig.kb, LearnedPreference)) == 2, "asking teaches nothing"


def test_one_askers_helpful_does_not_swing_a_rewording_alone(rig) -> None:
    assert _ask_and_judge(rig, "UERIN", CAR, "100.1", "helpful") == PARKING_PAGE
    [learned] = rows(rig.kb, LearnedPreference)
    assert (learned.kind, learned.person_id, Path(learned.document).name) == ("helpful", "slack:UERIN", "parking.md")

    assert _first_source(_ask(rig, "UDAN", CAR_REWORDED, "101.1")) == CYCLING_PAGE


def test_not_helpful_from_two_askers_demotes_the_page_for_a_rewording_and_not_for_the_look_alike(rig) -> None:
    assert _ask_and_judge(rig, "UERIN", CAR_REWORDED, "100.1", "not_helpful") == CYCLING_PAGE
    assert _ask_and_judge(rig, "UCAROL", CAR_REWORDED, "101.1", "not_helpful") == CYCLING_PAGE
    learned = rows(rig.kb, LearnedPreference)
    assert sorted((row.kind, row.person_id, Path(row.document).name) for row in learned) == [
        ("not_helpful", "slack:UCAROL", "cycling.md"), ("not_helpful", "slack:UERIN", "cycling.md")]

    # Cycling is left out; what remains (parking, far below) is not sure enough: the champions are asked.
    answer = _ask(rig, "UDAN", CAR_WORK_DAY, "102.1")
    assert CYCLING_PAGE not in _text(answer) and "Bicycles" not in _text(answer)
    assert "asked the office champions" in _text(answer)
    assert questions(rig.kb)[-1].status == "routed"
    assert CAR_WORK_DAY in _text(rig.api.posts_to("CCHAMPS")[-1])
    assert _first_source(_ask(rig, "UFRED", BIKE_REWORDED, "103.1")) == CYCLING_PAGE
