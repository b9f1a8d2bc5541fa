"""Load on the real server: `lorebot serve --slack` over signed HTTP, a loopback stand-in for the Slack Web API.

Each question is delivered the way Slack delivers a channel mention under stress: as ``app_mention``, as
``message`` (a different event id for the same message) and as two retries of the first. The figures that
matter to the people waiting are how long until the answer is posted and that it is posted exactly once; the
figure that matters to Slack is how fast every delivery is acknowledged (it retries after 3 s).

    python benchmarks/bench_load.py --questions 100 --rate 20 [--store sqlite|postgresql]

Prints one JSON line.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.adapters.slack.fake_slack import FakeSlackApi  # noqa: E402

LOREBOT = Path(sys.executable).with_name("lorebot")
SECRET = "bench-signing-secret"
CHANNEL = "CBENCH"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/"
BENCH_DATABASE = "lorebot_bench"

# Real-sounding questions about the sample handbook, some answered and some routed to champions; a number
# makes every question distinct, so nothing is answered from an earlier identical one.
SUBJECTS = [
    "How many days of annual leave do I get",
    "Can I bring my dog to the office",
    "What is the daily meal limit when travelling",
    "How do I claim expenses for a client dinner",
    "Is there parking at the office",
    "How long is parental leave",
    "Who do I tell when I am off sick",
    "Can I carry over unused holiday",
    "What is the Christmas bonus",
    "How do I book a desk",
]


class TimedSlackApi(FakeSlackApi):
    """The fake Web API, noting when each call arrived."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str, dict]] = []
        super().__init__()

    def _answer(self, method: str, params: dict):
        self.arrivals.append((time.perf_counter(), method, params))
        return super()._answer(method, params)


def sign(body: bytes, timestamp: str) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()


def post(url: str, envelope: dict, retry: int | None) -> tuple[int, float]:
    body = json.dumps(envelope).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": sign(body, timestamp)}
    if retry:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers, method="POST"), timeout=30) as r:
            status = r.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return status, time.perf_counter() - started


def deliveries(number: int, ts: str) -> list[tuple[dict, int | None]]:
    text = f"<@UBOT> {SUBJECTS[number % len(SUBJECTS)]} (case {number})?"
    base = {"channel": CHANNEL, "user": "U01DAN", "text": text, "ts": ts}
    mention = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"EvM{number:05d}",
               "event_time": int(time.time()), "event": {"type": "app_mention", **base}}
    message = {**mention, "event_id": f"EvC{number:05d}",
               "event": {"type": "message", "channel_type": "channel", **base}}
    return [(mention, None), (message, None), (mention, 1), (mention, 2)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"lorebot serve exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("lorebot serve did not start listening")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fresh_postgres() -> str:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    return POSTGRES + BENCH_DATABASE


def run(questions: int, rate: float, store: str) -> dict:
    api = TimedSlackApi()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
               "LOREBOT_SLACK_API_URL": api.base_url, "LOREBOT_CONFIG": str(ROOT / "examples" / "lorebot.toml")}
        env.pop("SLACK_APP_TOKEN", None)
        if store == "postgresql":
            env["LOREBOT_DATABASE_URL"] = fresh_postgres()
        subprocess.run([str(LOREBOT), "--home", home, "ingest", "--no-progress", str(ROOT / "examples" / "handbook")],
                       check=True, env=env, capture_output=True)
        port = free_port()
        server = subprocess.Popen([str(LOREBOT), "--home", home, "serve", "--slack", "--no-jobs", "--port", str(port)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, server)
            url = f"http://127.0.0.1:{port}/slack/events"
            warm_up = {"1.000000": time.perf_counter()}
            post(url, deliveries(99999, "1.000000")[0][0], None)  # the model loads on first use
            deadline = time.perf_counter() + 180
            while time.perf_counter() < deadline and not _replies(api, warm_up):
                time.sleep(0.2)
            api.arrivals.clear()
            cpu_before = cpu_seconds(server.pid)
            sent: dict[str, float] = {}
            acks: list[float] = []
            statuses: list[int] = []
            lock = threading.Lock()

            def deliver(envelope: dict, retry: int | None) -> None:
                status, seconds = post(url, envelope, retry)
                with lock:
                    acks.append(seconds)
                    statuses.append(status)

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=64) as pool:
                for number in range(questions):
                    due = started + number / rate
                    time.sleep(max(0.0, due - time.perf_counter()))
                    ts = f"{1700000000 + number}.000100"
                    sent[ts] = time.perf_counter()
                    for envelope, retry in deliveries(number, ts):
                        pool.submit(deliver, envelope, retry)
            deadline = time.perf_counter() + 60
            while time.perf_counter() < deadline and len(_replies(api, sent)) < len(sent):
                time.sleep(0.2)
            time.sleep(2)  # late duplicates would arrive now
            cpu = cpu_seconds(server.pid) - cpu_before
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    api.close()
    replies = _replies(api, sent)
    counts = [len(replies.get(ts, [])) for ts in sent]
    latencies = sorted((min(replies[ts]) - sent[ts]) * 1000 for ts in sent if ts in replies)
    return {
        "store": store, "questions": questions, "rate_per_s": rate, "deliveries": len(acks),
        "answer_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "answer_p95_ms": round(_percentile(latencies, 0.95), 1) if latencies else None,
        "ack_p99_ms": round(_percentile(sorted(a * 1000 for a in acks), 0.99), 1),
        "non_2xx": sum(1 for s in statuses if not 200 <= s < 300),
        "replies_min": min(counts), "replies_max": max(counts),
        "cpu_ms_per_question": round(cpu * 1000 / questions, 1),
    }


def _replies(api: TimedSlackApi, sent: dict[str, float]) -> dict[str, list[float]]:
    """Arrival times of the bot's replies in each question's thread."""
    found: dict[str, list[float]] = {}
    for at, method, params in list(api.arrivals):
        if method == "chat.postMessage" and params.get("channel") == CHANNEL and params.get("thread_ts") in sent:
            found.setdefault(params["thread_ts"], []).append(at)
    return found


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(round(fraction * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    print(json.dumps(run(args.questions, args.rate, args.store)))


if __name__ == "__main__":
    main()
