"""The endpoint's memory of activities it already took in."""
from __future__ import annotations

from adapters.teams.deliveries import RecentDeliveries


def test_a_key_is_new_once_and_the_oldest_is_forgotten_first():
    recent = RecentDeliveries(size=2)
    assert recent.first_time(("a",)) is True
    assert recent.first_time(("a",)) is False
    assert recent.first_time(("b",)) is True
    assert recent.first_time(("a",)) is False  # seen again: now the newest
    assert recent.first_time(("c",)) is True  # forgets b, the oldest
    assert recent.first_time(("b",)) is True
