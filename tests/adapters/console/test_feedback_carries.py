"""Feedback carried to rewordings (``bot.asking.preferences``) through the console REPL, text in and text out,
on the real knowledge base holding the commuting handbook (``tests.commute_handbook``)."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import Lorebot
from bot.tables.preferences import LearnedPreference
from tests.adapters.console.test_console import Session_
from tests.bot.support import make_config, rows
from tests.commute_handbook import BIKE, CAR, CAR_REWORDED

PARKING, CYCLING = "Parking › Office parking", "Cycling to work › Bike storage"


class CommuteSession(Session_):
    """A console session whose answers come low enough that the car questions get document answers."""

    def __init__(self, kb) -> None:
        super().__init__(kb)
        self.core = Lorebot(config=make_config(answer_threshold=0.25), knowledge=kb, messenger=self.messenger,
                            clock=self.clock)

    def ask(self, handle: str, text: str, *then: str) -> tuple[str, str]:
        """``handle`` asks ``text``; the first source the answer names, and its message id. ``then`` are lines
        typed after it, with ``{answer}`` standing for that id."""
        out = self.run(f"/as {handle}", text)
        answer = self.id_of(lambda m: m.reply is not None and m.reply.actions and f"[{m.id}] Lorebot" in out)
        if then:
            self.run(f"/as {handle}", *(line.format(answer=answer) for line in then))
        sources = out.split("  Sources:\n", 1)
        assert len(sources) == 2, f"no sources in {out}"
        return sources[1].splitlines()[0].strip().removeprefix("1. "), answer


@pytest.fixture
def console(commute_kb) -> CommuteSession:
    return CommuteSession(commute_kb)


def test_helpful_from_two_askers_carries_to_a_rewording_and_not_to_the_look_alike(console, commute_kb) -> None:
    assert console.ask("erin", CAR_REWORDED)[0] == CYCLING, "before any feedback"

    assert console.ask("alice", CAR, "/click 1 {answer}")[0] == PARKING
    assert console.ask("bob", CAR, "/click helpful {answer}")[0] == PARKING
    learned = rows(commute_kb, LearnedPreference)
    assert sorted((row.kind, row.person_id, Path(row.document).name) for row in learned) == [
        ("helpful", "console:alice", "parking.md"), ("helpful", "console:bob", "parking.md")]

    assert console.ask("erin", CAR_REWORDED)[0] == PARKING
    assert console.ask("carol", BIKE)[0] == CYCLING, "the look-alike inherits nothing"


def test_one_askers_helpful_breaks_no_far_tie(console, commute_kb) -> None:
    assert console.ask("alice", CAR, "/click 1 {answer}")[0] == PARKING
    assert len(rows(commute_kb, LearnedPreference)) == 1
    assert console.ask("erin", CAR_REWORDED)[0] == CYCLING
