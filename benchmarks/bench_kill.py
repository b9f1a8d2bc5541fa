"""Killed under load: `lorebot serve --slack --no-jobs` gets SIGKILL halfway through a steady stream of questions
and is started again on the same store, as an operator's supervisor would. Does every question still end with
exactly one reply?

Questions arrive as in ``bench_load.py`` (each channel mention as ``app_mention``, as ``message`` and two
retries), against the loopback Slack Web API. Slack retries a delivery only when it had no 200, so deliveries
refused or cut off by the kill are sent once more to the new process; everything Slack had its 200 for is up to
the store. The configuration is the example's, so the recovery lease and interval are the defaults (60 s, 30 s):
the wait after the restart is what an operator would see.

    python benchmarks/bench_kill.py --questions 120 --rate 20 [--store sqlite|postgresql] [--tree DIR]

``--tree`` serves from another checkout (to measure an older version the same way). Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_load import WARM_UP, SlackLoad, free_port, fresh_postgres, post, wait_for_port  # noqa: E402

RETRY = {"X-Slack-Retry-Num": "3", "X-Slack-Retry-Reason": "http_error"}


class Server:
    """`lorebot serve --slack --no-jobs` from ``tree`` on ``home``; a new process on each ``start``."""

    def __init__(self, tree: Path, home: str, env: dict[str, str]) -> None:
        self.tree, self.home, self.env = tree, home, {**env, "PYTHONPATH": str(tree)}
        self.process: subprocess.Popen | None = None
        self.url = ""

    def lorebot(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "adapters.cli", "--home", self.home, *args]

    def start(self) -> float:
        """Start and wait until it listens; returns the seconds that took."""
        started = time.perf_counter()
        port = free_port()
        self.process = subprocess.Popen(self.lorebot("serve", "--slack", "--no-jobs", "--host", "127.0.0.1", "--port",
                                                     str(port)), cwd=self.tree, env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port, self.process)
        self.url = f"http://127.0.0.1:{port}{SlackLoad.path}"
        return time.perf_counter() - started

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run(questions: int, rate: float, store: str, tree: Path, wait: float) -> dict:
    load = SlackLoad()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "LOREBOT_CONFIG": str(tree / "examples" / "lorebot.toml"),
               **load.env}
        env.pop("SLACK_APP_TOKEN", None)
        if store == "postgresql":
            env["LOREBOT_DATABASE_URL"] = fresh_postgres()
        server = Server(tree, home, env)
        subprocess.run(server.lorebot("ingest", "--no-progress", str(tree / "examples" / "handbook")), check=True,
                       cwd=tree, env=server.env, capture_output=True)
        server.start()
        try:
            post(server.url, *load.deliveries(WARM_UP)[0])  # the model loads on first use
            deadline = time.perf_counter() + 180
            while time.perf_counter() < deadline and not load.replies({load.key(WARM_UP)}):
                time.sleep(0.2)
            keys = [load.key(number) for number in range(questions)]
            unacknowledged: list[tuple[bytes, dict]] = []
            lock = threading.Lock()

            def deliver(url: str, body: bytes, headers: dict) -> None:
                status, _ = post(url, body, headers)
                if status != 200:
                    with lock:
                        unacknowledged.append((body, {**headers, **RETRY}))

            started = time.perf_counter()
            killed_after = questions // 2
            with ThreadPoolExecutor(max_workers=64) as pool:
                for number in range(questions):
                    time.sleep(max(0.0, started + number / rate - time.perf_counter()))
                    if number == killed_after:
                        server.kill()
                        unanswered_at_kill = killed_after - len(load.replies(keys[:killed_after]))
                    for body, headers in load.deliveries(number):
                        pool.submit(deliver, server.url, body, headers)
            restart_s = server.start()
            restarted = time.perf_counter()
            for body, headers in unacknowledged:
                post(server.url, body, headers)  # Slack's retry of what got no 200
            deadline = restarted + wait
            while time.perf_counter() < deadline and len(load.replies(keys)) < len(keys):
                time.sleep(0.5)
            last_answer = max((min(at) for at in load.replies(keys).values()), default=restarted)
            time.sleep(5)  # a repeated reply would arrive now
        finally:
            server.stop()
    replies = load.replies(keys)
    load.close()
    counts = [len(replies.get(key, [])) for key in keys]
    return {
        "store": store, "questions": questions, "rate_per_s": rate, "killed_after": killed_after,
        "unanswered_at_kill": unanswered_at_kill, "retried_deliveries": len(unacknowledged),
        "restart_s": round(restart_s, 1), "last_answer_after_restart_s": round(max(0.0, last_answer - restarted), 1),
        "lost": counts.count(0), "repeated": sum(1 for count in counts if count > 1),
        "replies_min": min(counts), "replies_max": max(counts), "tree": _commit(tree),
    }


def _commit(tree: Path) -> str:
    found = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return found.stdout.strip() or str(tree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=120)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to serve from (default: this one)")
    parser.add_argument("--wait", type=float, default=150.0,
                        help="seconds to wait after the restart for every answer (default: lease + interval + 60)")
    args = parser.parse_args()
    print(json.dumps(run(args.questions, args.rate, args.store, args.tree.resolve(), args.wait)))


if __name__ == "__main__":
    main()
