"""`lorebot serve --slack --no-jobs` killed with SIGKILL under load and started again on the same store: every
question ends with exactly one reply, on SQLite and PostgreSQL.

The process is the real command line; Slack's Web API is the loopback fake in this test's process, slowed down
(profile look-ups, posts) so that when the signal comes some questions are acknowledged but still queued, some
are claimed and being worked on, some are recorded and waiting for their reply. Slack retries only deliveries
it had no 200 for (refused or cut off by the kill); the rest the new process must find in the store. The knowledge
base is empty, so every question is routed to its champion (or joins one already routed) and its asker told.
A short lease and recovery interval (``[recovery]`` in lorebot.toml) keep the wait to seconds.
"""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.adapters.slack.conftest import sign
from tests.adapters.test_serve import CONFIG, Served, slack_api, wait_for  # noqa: F401 - slack_api is a fixture

QUESTIONS = 36
RATE = 20  # questions per second
KILL_AFTER = QUESTIONS // 2
CHANNEL = "CGENERAL"
RECOVERY = """
[recovery]
interval_seconds = 1
lease_seconds = 5
"""


def question_ts(number: int) -> str:
    return f"{1700001000 + number}.000100"


def deliveries(number: int) -> list[tuple[str, dict]]:
    """One channel mention as Slack sends it: ``app_mention`` and ``message``, each with its own event id."""
    event = {"channel": CHANNEL, "user": f"U{number:05d}", "ts": question_ts(number),
             "text": f"<@UBOT> How many days of annual leave do I get in year {number}?"}
    mention = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"EvM{number:05d}",
               "event_time": int(time.time()), "event": {"type": "app_mention", **event}}
    message = {**mention, "event_id": f"EvC{number:05d}", "event": {"type": "message", "channel_type": "channel",
                                                                   **event}}
    return [(json.dumps(mention), {}), (json.dumps(message), {})]


class Slack:
    """Delivers events as Slack does: what got no 200 is delivered again later, with its retry number."""

    def __init__(self) -> None:
        self.unacknowledged: list[tuple[str, dict]] = []
        self._lock = threading.Lock()

    def deliver(self, url: str, body: str, headers: dict) -> None:
        try:
            status = requests.post(url + "/slack/events", data=body.encode(), timeout=10,
                                   headers={"Content-Type": "application/json", **sign(body), **headers}).status_code
        except requests.RequestException:
            status = 0  # refused, or cut off by the kill
        if status != 200:
            with self._lock:
                self.unacknowledged.append((body, {**headers, "X-Slack-Retry-Num": "1",
                                                   "X-Slack-Retry-Reason": "http_error"}))

    def retry(self, url: str) -> int:
        with self._lock:
            again, self.unacknowledged = self.unacknowledged, []
        for body, headers in again:
            self.deliver(url, body, headers)
        return len(again)


def replies(api, number: int) -> list[dict]:
    return api.posts_to(CHANNEL, thread=question_ts(number))


def test_serve_killed_under_load_and_restarted_answers_every_question_exactly_once(tmp_path, slack_api,
                                                                                   database_url) -> None:
    options = dict(platforms=("--slack",), config=CONFIG + RECOVERY, env={"LOREBOT_DATABASE_URL": database_url})
    served = Served(tmp_path, slack_api, "--no-jobs", **options)
    slack = Slack()
    try:
        warm_up = QUESTIONS  # the first question loads the model; timing starts after it
        for body, headers in deliveries(warm_up):
            slack.deliver(served.url, body, headers)
        wait_for(lambda: replies(slack_api, warm_up))
        slack_api.delays.update({"users.info": 0.5, "chat.postMessage": 0.2})
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as senders:
            for number in range(QUESTIONS):
                time.sleep(max(0.0, started + number / RATE - time.monotonic()))
                if number == KILL_AFTER:
                    served.kill()
                for body, headers in deliveries(number):
                    senders.submit(slack.deliver, served.url, body, headers)
        answered_before = sum(1 for number in range(QUESTIONS) if replies(slack_api, number))
        assert answered_before < KILL_AFTER, "the kill came after the work: nothing was left to recover"
    finally:
        served.kill()

    served = Served(tmp_path, slack_api, "--no-jobs", **options)
    try:
        assert slack.retry(served.url) > 0  # what Slack had no 200 for
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(replies(slack_api, n) for n in range(QUESTIONS)):
            time.sleep(0.2)
        time.sleep(5 + 2)  # a lease and two passes more: a second reply would arrive now
    finally:
        assert served.stop() == 0
    counts = {number: len(replies(slack_api, number)) for number in range(QUESTIONS)}
    assert counts == {number: 1 for number in range(QUESTIONS)}
    logs = "".join(path.read_text() for path in tmp_path.glob("stderr*.txt"))
    assert "annual leave" not in logs, "logs never hold message bodies"
