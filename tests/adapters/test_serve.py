"""`lorebot serve --slack --teams` as a real process: one port answers a signed Slack event and a Teams activity,
and SIGTERM lets the request and the question in flight finish before it exits 0.

The process is the real command line; Slack's Web API and the Teams connector are loopback fakes in this
test's process, and the knowledge base is empty, so every question is routed to its champion (more calls to
observe after the signal)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.adapters.slack.conftest import SECRET, sign
from tests.adapters.slack.fake_slack import FakeSlackApi
from tests.adapters.teams.conftest import servers  # noqa: F401 - the loopback connector, as a fixture
from tests.adapters.teams.support import Teams

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """
timezone = "Europe/London"

[people.alice]
name = "Alice"
ids = { slack = "UALICE", teams = "aad-alice" }

[people.carol]
name = "Carol"
ids = { slack = "UCAROL", teams = "aad-carol" }

[topics.leave]
description = "Annual leave, holidays, sick leave and time off"
keywords = ["leave", "holiday"]
champions = ["carol"]
"""
QUESTION = "How many days of annual leave do I get?"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """The `lorebot serve` subprocess and where it listens: by default Slack and Teams without authentication
    (a throwaway store); ``platforms``, ``config`` and ``env`` (e.g. ``LOREBOT_DATABASE_URL``) change that. Each
    start in one ``tmp_path`` shares its home and keeps its own stderr file."""

    def __init__(self, tmp_path: Path, slack_api: FakeSlackApi, *extra: str, port: int | None = None,
                 wait: bool = True, platforms: tuple[str, ...] = ("--slack", "--teams", "--insecure-no-auth"),
                 config: str = CONFIG, env: dict[str, str] | None = None) -> None:
        (tmp_path / "lorebot.toml").write_text(config, encoding="utf-8")
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "PYTHONPATH": str(ROOT), "LOREBOT_HOME": str(tmp_path / "home"),
                       "LOREBOT_CONFIG": str(tmp_path / "lorebot.toml"), "SLACK_BOT_TOKEN": "xoxb-test",
                       "SLACK_SIGNING_SECRET": SECRET, "LOREBOT_SLACK_API_URL": slack_api.base_url,
                       "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        for name in ("LOREBOT_DATABASE_URL", "SLACK_APP_TOKEN", "MicrosoftAppId", "MicrosoftAppPassword"):
            environment.pop(name, None)
        environment.update(env or {})
        self.stderr = next(tmp_path / f"stderr{n or ''}.txt" for n in range(100)
                           if not (tmp_path / f"stderr{n or ''}.txt").exists())
        self.signalled = False
        command = [sys.executable, "-m", "adapters.cli", "serve", *platforms,
                   "--host", "127.0.0.1", "--port", str(self.port), *extra]
        with self.stderr.open("wb") as errors:
            self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE,
                                            stderr=errors)
        if wait:
            self._wait_until_healthy()

    def _wait_until_healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"serve exited early: {self.stderr.read_text()}"
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        pytest.fail("serve did not become healthy")

    def slack_event(self, event_id: str, text: str) -> int:
        body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event_id,
                           "event_time": int(time.time()),
                           "event": {"type": "message", "channel_type": "im", "channel": "DUALICE",
                                     "user": "UALICE", "text": text, "ts": "1700000001.000100"}})
        response = requests.post(self.url + "/slack/events", data=body.encode(), timeout=30,
                                 headers={"Content-Type": "application/json", **sign(body)})
        return response.status_code

    def terminate(self) -> None:
        """SIGTERM, once: a second signal means "stop at once"."""
        if not self.signalled and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.signalled = True

    def kill(self) -> None:
        """SIGKILL: the process dies where it is, with no chance to finish anything."""
        self.process.kill()
        self.process.wait(30)
        self.process.stdout.close()

    def stop(self, timeout: float = 60) -> int:
        self.terminate()
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.stdout = self.process.stdout.read().decode()
            self.process.stdout.close()


@pytest.fixture
def slack_api():
    api = FakeSlackApi()
    yield api
    api.close()


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_one_process_answers_slack_and_teams_on_one_port(tmp_path, slack_api, servers) -> None:  # noqa: F811
    served = Served(tmp_path, slack_api, "--no-jobs")
    try:
        assert served.slack_event("EvServe1", QUESTION) == 200
        wait_for(lambda: slack_api.posts_to("DUALICE"))

        servers.bot_url = served.url + "/api/messages"
        activity = Teams(servers.connector.url).personal_message("alice", QUESTION)
        assert servers.post(activity).status_code == 200
        wait_for(lambda: servers.connector.delivered(activity["conversation"]["id"]))
    finally:
        assert served.stop() == 0
    assert f"Slack at {served.url}/slack/events, Teams at {served.url}/api/messages" in served.stdout
    assert QUESTION not in served.stderr.read_text(), "logs never hold message bodies"


def test_sigterm_finishes_the_request_and_question_in_flight_then_exits_0(tmp_path, slack_api) -> None:
    served = Served(tmp_path, slack_api)  # the scheduler runs too, and must stop cleanly
    # Bolt checks who it is (auth.test) while dispatching the first request: slow, that request is in flight
    # when the signal comes; the answer it queues is slow to send as well.
    slack_api.delays.update({"auth.test": 2.0, "chat.postMessage": 1.0})
    with ThreadPoolExecutor(max_workers=1) as sender:
        status = sender.submit(served.slack_event, "EvServe2", QUESTION)
        wait_for(lambda: len(slack_api.named("auth.test")) == 2)  # the first was the token check at start
        served.terminate()
        wait_for(lambda: not _accepts(served.port))  # it stopped listening: shutdown has begun
        assert slack_api.named("chat.postMessage") == []
        assert status.result(timeout=30) == 200
    assert served.stop() == 0
    assert slack_api.posts_to("DUALICE"), "the question in flight was answered before the process ended"


def test_a_platform_that_cannot_start_stops_the_whole_process(tmp_path, slack_api) -> None:
    """Never half alive: with the port taken, serve ends with one line and exit code 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        served = Served(tmp_path, slack_api, "--no-jobs", port=taken.getsockname()[1], wait=False)
        assert served.process.wait(120) == 2
    assert served.stderr.read_text().strip().splitlines()[-1].startswith("lorebot: cannot listen on 127.0.0.1:")
    served.stop()


def test_a_token_slack_refuses_stops_the_start(tmp_path, slack_api) -> None:
    slack_api.token_valid = False
    served = Served(tmp_path, slack_api, "--no-jobs", wait=False)
    assert served.process.wait(120) == 2
    assert served.stderr.read_text().strip().splitlines()[-1] == (
        "lorebot: Slack refused SLACK_BOT_TOKEN (invalid_auth); check the bot token")
    assert [method for method, _ in slack_api.calls] == ["auth.test"]
    served.stop()


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False
