"""The one server `lorebot serve` runs, under hostile input: thousands of malformed and forged requests to the
Slack and Teams endpoints each get a 4xx (never a 5xx, a reset or a hang) and store nothing; connections that
never finish a request neither starve a valid one nor pile up without end.

The requests come from tests/adapters/hostile.py (seeded), which benchmarks/bench_fuzz.py sends too, ten times
as many."""
from __future__ import annotations

import logging
import time

import pytest

from adapters import web_server
from tests.adapters.hostile import SLACK, TEAMS, SlowConnections, Tally, fire, generate, rows, serve_both, timed, \
    url_verification

REQUESTS = 2_000
READ_TIMEOUT = 2.0  # shorter than in production, so requests that never finish their body are answered sooner


@pytest.fixture
def target(kb):
    served = serve_both(kb, timeouts=web_server.Timeouts(read=READ_TIMEOUT))
    yield served
    served.close()


def test_hostile_requests_get_4xx_and_store_nothing(target, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    probes = generate(REQUESTS)
    assert {probe.endpoint for probe in probes} == {SLACK, TEAMS}
    before = rows(target.engine)
    tally = Tally.of(fire(target.host, target.port, probes))
    assert not tally.failures, f"{len(tally.failures)} without a 4xx:\n{tally.describe_failures()}"
    assert all(400 <= status < 500 for status in tally.statuses), tally.statuses
    assert rows(target.engine) == before
    assert "annual leave" not in caplog.text, "logs never hold request bodies"
    assert timed(target.host, target.port, url_verification())[0] == 200, "still serving afterwards"


def test_a_valid_request_is_acknowledged_promptly_while_200_connections_hang(target) -> None:
    slow = SlowConnections(target.host, target.port, 200)
    try:
        status, seconds = timed(target.host, target.port, url_verification())
        assert status == 200
        assert seconds < 3
    finally:
        slow.close()


def test_connections_beyond_the_cap_do_not_starve_a_valid_request(kb) -> None:
    served = serve_both(kb, connections=20)
    slow = SlowConnections(served.host, served.port, 60, trickle_every=0.2)
    try:
        time.sleep(1)  # the trickle finds out which connections the server closed
        assert slow.closed_by_server >= 40
        status, seconds = timed(served.host, served.port, url_verification())
        assert status == 200
        assert seconds < 3
    finally:
        slow.close()
        served.close()
