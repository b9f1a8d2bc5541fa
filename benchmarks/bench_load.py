"""Load on the real server: `lorebot serve` over HTTP, with loopback stand-ins for the Slack Web API and the Teams
Bot Connector.

Each Slack question is delivered the way Slack delivers a channel mention under stress: as ``app_mention``, as
``message`` (a different event id for the same message) and as two retries of the first. Each Teams question is
delivered four times with the same activity id, as the Bot Connector redelivers. The figures that
matter to the people waiting are how long until the answer is posted and that it is posted exactly once; the
figure that matters to the platforms is how fast every delivery is acknowledged (Slack retries after 3 s).

With ``--llm-delay-ms N`` the configuration gains an ``[llm]`` section pointing at a loopback OpenAI-compatible
stand-in that answers every chat completion after N ms with the first sentence of passage [1], cited, so the
citation check keeps it; the answers posted "Written by" the model are counted against those that fell back to
the extract.

    python benchmarks/bench_load.py --questions 100 --rate 20 [--store sqlite|postgresql] [--platform slack|teams]
        [--llm-delay-ms 800]

Prints one JSON line.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
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

from tests.adapters.loopback import LoopThread  # noqa: E402
from tests.adapters.slack.fake_slack import FakeSlackApi  # noqa: E402
from tests.adapters.teams.fake_connector import FakeConnector  # noqa: E402
from tests.adapters.teams.support import Teams, start_site  # noqa: E402
from tests.knowledge.llm.fake_llm import FakeLlm, Request  # noqa: E402
from tests.loopback import Answer  # noqa: E402

LOREBOT = Path(sys.executable).with_name("lorebot")
SECRET = "bench-signing-secret"
CHANNEL = "CBENCH"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/"
BENCH_DATABASE = "lorebot_bench"
WARM_UP = 99999  # the number of the question that loads the model before timing starts
LLM_MODEL = "bench-model"
WRITTEN = "Written by"  # the label of an answer the model wrote (bot.messages.generated_label)
FELL_BACK = "the written answer was not available"  # the note on an extract shown instead (FALLBACK_NOTE)

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


class BenchLlm(FakeLlm):
    """The fake LLM, answering every grounded-answer request with the first sentence of passage [1], cited, and
    anything else (the judge) with no verdict, after ``delay`` seconds."""

    def _respond(self, request: Request) -> Answer:
        self.replies = [_first_sentence_cited(request.prompt)]
        self._served = 0
        return super()._respond(request)


def _first_sentence_cited(prompt: str) -> str:
    match = re.search(r"^\[1\] (.*?)(?=\n\n\[2\] |\n<{2,3}|\Z)", prompt, re.MULTILINE | re.DOTALL)
    if match is None:
        return "NOT_FOUND"
    for line in match.group(1).splitlines():
        words = line.strip().lstrip("#*->|0123456789. ").strip()
        sentence = re.split(r"(?<=[.!?])\s+", words)[0].rstrip(".!?:; ")
        if len(sentence.split()) >= 4:
            return f"{sentence}. [1]"
    return "NOT_FOUND"


class TimedSlackApi(FakeSlackApi):
    """The fake Web API, noting when each call arrived."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str, dict]] = []
        super().__init__()

    def _answer(self, method: str, params: dict):
        self.arrivals.append((time.perf_counter(), method, params))
        return super()._answer(method, params)


class TimedConnector(FakeConnector):
    """The fake Bot Connector, noting when each message arrived, in which conversation and what it said (typing
    indicators, sent while the model writes, are not messages)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, str | None, str]] = []

    async def _answer(self, request, kind, conversation, activity, body, result, size=0):
        if kind in ("send", "reply") and (body or {}).get("type") != "typing":
            self.arrivals.append((time.perf_counter(), conversation, json.dumps(body)))
        return await super()._answer(request, kind, conversation, activity, body, result, size)


def question_text(number: int) -> str:
    return f"{SUBJECTS[number % len(SUBJECTS)]} (case {number})?"


class SlackLoad:
    """Signed Slack events to ``serve --slack``; a question's replies are the bot's posts in its thread."""

    path = "/slack/events"
    serve_args = ("--slack",)

    def __init__(self) -> None:
        self.api = TimedSlackApi()
        self.env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
                    "LOREBOT_SLACK_API_URL": self.api.base_url}

    def key(self, number: int) -> str:
        return f"{1700000000 + number}.000100"

    def deliveries(self, number: int) -> list[tuple[bytes, dict]]:
        base = {"channel": CHANNEL, "user": "U01DAN", "text": f"<@UBOT> {question_text(number)}",
                "ts": self.key(number)}
        mention = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"EvM{number:05d}",
                   "event_time": int(time.time()), "event": {"type": "app_mention", **base}}
        message = {**mention, "event_id": f"EvC{number:05d}",
                   "event": {"type": "message", "channel_type": "channel", **base}}
        return [_signed(mention, None), _signed(message, None), _signed(mention, 1), _signed(mention, 2)]

    def replies(self, keys) -> dict[str, list[float]]:
        return {key: [at for at, _ in posts] for key, posts in self.posts(keys).items()}

    def posts(self, keys) -> dict[str, list[tuple[float, str]]]:
        found: dict[str, list[tuple[float, str]]] = {}
        for at, method, params in list(self.api.arrivals):
            if method == "chat.postMessage" and params.get("channel") == CHANNEL and params.get("thread_ts") in keys:
                found.setdefault(params["thread_ts"], []).append((at, json.dumps(params)))
        return found

    def close(self) -> None:
        self.api.close()


class TeamsLoad:
    """Activities to ``serve --teams`` without authentication (loopback only); each question has its own
    personal chat, so its replies are the bot's messages in that conversation."""

    path = "/api/messages"
    serve_args = ("--teams", "--insecure-no-auth")

    def __init__(self) -> None:
        self.loop = LoopThread()
        self.connector = TimedConnector()
        self.runner, self.connector.url = self.loop.run(start_site(self.connector.app()))
        self.activities = Teams(self.connector.url)
        self.env: dict[str, str] = {}

    def key(self, number: int) -> str:
        return f"a:1bench{number:05d}-personal"

    def deliveries(self, number: int) -> list[tuple[bytes, dict]]:
        activity = self.activities.personal_message("dan", question_text(number), conversation=self.key(number))
        return [(json.dumps(activity).encode(), {"Content-Type": "application/json"})] * 4

    def replies(self, keys) -> dict[str, list[float]]:
        return {key: [at for at, _ in posts] for key, posts in self.posts(keys).items()}

    def posts(self, keys) -> dict[str, list[tuple[float, str]]]:
        found: dict[str, list[tuple[float, str]]] = {}
        for at, conversation, text in list(self.connector.arrivals):
            if conversation in keys:
                found.setdefault(conversation, []).append((at, text))
        return found

    def close(self) -> None:
        self.loop.run(self.runner.cleanup())
        self.loop.stop()


def _signed(envelope: dict, retry: int | None) -> tuple[bytes, dict]:
    body = json.dumps(envelope).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": f"v0={digest}"}
    if retry:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    return body, headers


def post(url: str, body: bytes, headers: dict) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers, method="POST"), timeout=30) as r:
            status = r.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return status, time.perf_counter() - started


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


def config_with_llm(folder: str, url: str) -> Path:
    """The example configuration with an ``[llm]`` section for the stand-in at ``url`` (the example's recovery
    lease, 60 s, already outlasts twice the timeout plus 10 s)."""
    path = Path(folder) / "lorebot.toml"
    path.write_text((ROOT / "examples" / "lorebot.toml").read_text()
                    + f'\n[llm]\nbase_url = "{url}/v1"\nmodel = "{LLM_MODEL}"\ntimeout_s = 20\n')
    return path


def run(questions: int, rate: float, store: str, platform: str, llm_delay_ms: int | None = None) -> dict:
    load = SlackLoad() if platform == "slack" else TeamsLoad()
    llm = None
    if llm_delay_ms is not None:
        llm = BenchLlm()
        llm.delay = llm_delay_ms / 1000
    with tempfile.TemporaryDirectory() as home:
        config = config_with_llm(home, llm.url) if llm else ROOT / "examples" / "lorebot.toml"
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "LOREBOT_CONFIG": str(config), **load.env}
        env.pop("SLACK_APP_TOKEN", None)
        if store == "postgresql":
            env["LOREBOT_DATABASE_URL"] = fresh_postgres()
        subprocess.run([str(LOREBOT), "--home", home, "ingest", "--no-progress", str(ROOT / "examples" / "handbook")],
                       check=True, env=env, capture_output=True)
        port = free_port()
        server = subprocess.Popen([str(LOREBOT), "--home", home, "serve", *load.serve_args, "--no-jobs",
                                   "--host", "127.0.0.1", "--port", str(port)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, server)
            url = f"http://127.0.0.1:{port}{load.path}"
            post(url, *load.deliveries(WARM_UP)[0])  # the model loads on first use
            deadline = time.perf_counter() + 180
            while time.perf_counter() < deadline and not load.replies({load.key(WARM_UP)}):
                time.sleep(0.2)
            cpu_before = cpu_seconds(server.pid)
            calls_before = len(llm.requests) if llm else 0  # the warm-up question's
            sent: dict[str, float] = {}
            acks: list[float] = []
            statuses: list[int] = []
            lock = threading.Lock()

            def deliver(body: bytes, headers: dict) -> None:
                status, seconds = post(url, body, headers)
                with lock:
                    acks.append(seconds)
                    statuses.append(status)

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=64) as pool:
                for number in range(questions):
                    time.sleep(max(0.0, started + number / rate - time.perf_counter()))
                    sent[load.key(number)] = time.perf_counter()
                    for body, headers in load.deliveries(number):
                        pool.submit(deliver, body, headers)
            deadline = time.perf_counter() + 60
            while time.perf_counter() < deadline and len(load.replies(sent)) < len(sent):
                time.sleep(0.2)
            time.sleep(2)  # late duplicates would arrive now
            cpu = cpu_seconds(server.pid) - cpu_before
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    posts = load.posts(sent)
    replies = {key: [at for at, _ in found] for key, found in posts.items()}
    load.close()
    llm_calls = len(llm.requests) - calls_before if llm else 0
    if llm:
        llm.close()
    counts = [len(replies.get(key, [])) for key in sent]
    latencies = sorted((min(replies[key]) - sent[key]) * 1000 for key in sent if key in replies)
    first = [min(found)[1] for found in posts.values()]
    return {
        "platform": platform, "store": store, "llm_delay_ms": llm_delay_ms, "questions": questions,
        "rate_per_s": rate, "deliveries": len(acks),
        "answer_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "answer_p95_ms": round(_percentile(latencies, 0.95), 1) if latencies else None,
        "ack_p99_ms": round(_percentile(sorted(a * 1000 for a in acks), 0.99), 1),
        "non_2xx": sum(1 for s in statuses if not 200 <= s < 300),
        "replies_min": min(counts), "replies_max": max(counts),
        "cpu_ms_per_question": round(cpu * 1000 / questions, 1),
        "written": sum(1 for text in first if WRITTEN in text),
        "fell_back": sum(1 for text in first if FELL_BACK in text),
        "llm_calls": llm_calls,
    }


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(round(fraction * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--platform", choices=("slack", "teams"), default="slack")
    parser.add_argument("--llm-delay-ms", type=int, default=None,
                        help="configure [llm] with a loopback model that answers after this many ms (default: no LLM)")
    args = parser.parse_args()
    print(json.dumps(run(args.questions, args.rate, args.store, args.platform, args.llm_delay_ms)))


if __name__ == "__main__":
    main()
