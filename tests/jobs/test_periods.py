"""Fire times, period keys and working hours: pure functions, no store."""
from __future__ import annotations

from datetime import timedelta

from jobs.periods import fire_times, latest_due, next_fire, period_key, trigger_for
from jobs.workhours import working_hours_between
from tests.jobs.conftest import LONDON, london


def test_latest_due_respects_grace() -> None:
    trigger = trigger_for("0 9 * * mon", LONDON)
    assert latest_due(trigger, london(2026, 3, 16, 20), timedelta(hours=12)) == london(2026, 3, 16, 9)
    assert latest_due(trigger, london(2026, 3, 16, 22), timedelta(hours=12)) is None
    assert latest_due(trigger, london(2026, 3, 16, 8, 59), timedelta(hours=12)) is None


def test_spring_forward_week_has_one_monday_nine() -> None:
    trigger = trigger_for("0 9 * * mon", LONDON)
    times = fire_times(trigger, london(2026, 3, 23, 10), london(2026, 4, 6, 8))
    assert times == [london(2026, 3, 30, 9)]
    assert times[0].hour == 8  # 09:00 BST is 08:00 UTC
    assert period_key(times[0], LONDON) == "2026-03-30T09:00"


def test_autumn_repeated_hour_is_one_period() -> None:
    trigger = trigger_for("30 1 * * *", LONDON)
    times = fire_times(trigger, london(2026, 10, 24, 12), london(2026, 10, 26, 12))
    keys = [period_key(t, LONDON) for t in times]
    assert len(set(keys)) == 2  # 25 Oct 01:30 (whichever of the two) and 26 Oct 01:30
    assert keys[-1] == "2026-10-26T01:30"


def test_next_fire() -> None:
    trigger = trigger_for("0 15 * * fri", LONDON)
    assert next_fire(trigger, london(2026, 3, 16, 9)) == london(2026, 3, 20, 15)


def test_working_hours_skip_nights_and_weekends() -> None:
    hours = working_hours_between(london(2026, 3, 13, 16), london(2026, 3, 16, 9), LONDON, 9, 17)
    assert hours == 1.0  # Friday 16:00-17:00 only
    assert working_hours_between(london(2026, 3, 12, 10), london(2026, 3, 16, 9), LONDON, 9, 17) == 15.0
    assert working_hours_between(london(2026, 3, 16, 10), london(2026, 3, 16, 9), LONDON, 9, 17) == 0.0
    # across the spring change: Friday 27 March 12:00 to Monday 30 March 12:00 is 5 + 3 working hours
    assert working_hours_between(london(2026, 3, 27, 12), london(2026, 3, 30, 12), LONDON, 9, 17) == 8.0


def test_bad_schedule_names_the_job() -> None:
    import pytest

    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="jobs.digest.schedule"):
        trigger_for("every monday", LONDON, job="digest")
