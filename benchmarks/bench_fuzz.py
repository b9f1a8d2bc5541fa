"""Hostile input on the real server: the seeded malformed and forged requests of tests/adapters/hostile.py (the
same generator tests/adapters/test_hostile_requests.py uses), ten times as many, sent to Slack's and Teams'
endpoints of one application serving both (Teams authentication on), then a valid request while 200
connections hang without finishing theirs, and again while twice the connection cap try to.

    python benchmarks/bench_fuzz.py [--requests 10000] [--slow 200] [--store sqlite|postgresql]

Prints one JSON line: requests, responses by status, 5xx, resets and other failures, rows written, latency
p50/p99, and how long the valid request took to be acknowledged.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from adapters.web_limits import MAX_CONNECTIONS  # noqa: E402
from tests.adapters.hostile import SlowConnections, Tally, fire, generate, rows, serve_both, timed, \
    url_verification  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/"
BENCH_DATABASE = "lorebot_bench_fuzz"


def _database(store: str, home: Path) -> str | None:
    if store == "sqlite":
        return None  # the knowledge base's own SQLite file in its home
    import sqlalchemy

    admin = sqlalchemy.create_engine(POSTGRES + "test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}"))
        connection.execute(sqlalchemy.text(f"CREATE DATABASE {BENCH_DATABASE}"))
    admin.dispose()
    return POSTGRES + BENCH_DATABASE


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # tens of thousands of refusals; the figures are the output

    from adapters.wiring import create_schema
    from knowledge import KnowledgeBase

    with tempfile.TemporaryDirectory() as home:
        kb = KnowledgeBase.open(Path(home) / "home", database_url=_database(args.store, Path(home)))
        create_schema(kb.engine)
        target = serve_both(kb)
        try:
            probes = generate(args.requests)
            before = rows(target.engine)
            started = time.perf_counter()
            outcomes = fire(target.host, target.port, probes)
            elapsed = time.perf_counter() - started
            written = sum(after - before.get(table, 0) for table, after in rows(target.engine).items())
            tally = Tally.of(outcomes)
            latencies = sorted(outcome.seconds * 1000 for outcome in outcomes)
            quiet_status, quiet_s = timed(target.host, target.port, url_verification())
            slow = SlowConnections(target.host, target.port, args.slow)
            try:
                time.sleep(1)
                slow_status, slow_s = timed(target.host, target.port, url_verification())
            finally:
                slow.close()
            crowd = SlowConnections(target.host, target.port, 2 * MAX_CONNECTIONS)
            try:
                time.sleep(3)  # the trickle finds out which connections the server closed
                crowd_status, crowd_s = timed(target.host, target.port, url_verification())
                crowd_open = len(crowd.open)
            finally:
                crowd.close()
        finally:
            target.close()
            kb.close()
    print(json.dumps({
        "store": args.store,
        "requests": len(probes),
        "slack_requests": sum(probe.endpoint == "/slack/events" for probe in probes),
        "seconds": round(elapsed, 1),
        "statuses": {str(status): count for status, count in sorted(tally.statuses.items())},
        "4xx": sum(count for status, count in tally.statuses.items() if 400 <= status < 500),
        "5xx": sum(count for status, count in tally.statuses.items() if status >= 500),
        "other_2xx_3xx": sum(count for status, count in tally.statuses.items() if status < 400),
        "resets": tally.errors.get("reset", 0),
        "hangs": tally.errors.get("hang", 0),
        "other_failures": sum(count for error, count in tally.errors.items() if error not in ("reset", "hang")),
        "rows_written": written,
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "valid_ack_ms": round(quiet_s * 1000, 1) if quiet_status == 200 else None,
        "slow_connections": args.slow,
        "valid_ack_ms_with_slow": round(slow_s * 1000, 1) if slow_status == 200 else None,
        "valid_status_with_slow": slow_status,
        "connection_cap": MAX_CONNECTIONS,
        "crowd": 2 * MAX_CONNECTIONS,
        "crowd_still_open": crowd_open,
        "valid_ack_ms_with_crowd": round(crowd_s * 1000, 1) if crowd_status == 200 else None,
    }))


if __name__ == "__main__":
    main()
