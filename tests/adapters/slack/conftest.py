"""A real Bolt app over real HTTP (the aiohttp application `lorebot serve` runs), signed requests, the real core and knowledge base, a fake Slack Web API."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from adapters import web_server
from adapters.slack import SlackMessenger, SlackPeople, add_slack_routes, build_app, make_web_client
from bot.config import parse_config
from bot.core import Lorebot
from tests.adapters.loopback import LoopThread
from tests.adapters.slack.fake_slack import FakeSlackApi

SECRET = "test-signing-secret"
WORKSPACE = "T1"  # the fake Web API's auth.test answers with this team_id
CONFIG = {
    "timezone": "Europe/London",
    "people": {
        "alice": {"name": "Alice", "team": "ops", "ids": {"slack": "UALICE"}},
        "carol": {"name": "Carol", "team": "ops", "ids": {"slack": "UCAROL"}},
        "erin": {"name": "Erin", "ids": {"slack": "UERIN"}},
    },
    "teams": {"ops": {"manager": "erin"}},
    "topics": {
        "leave": {"description": "Annual leave, holidays, sick leave and time off",
                  "keywords": ["leave", "holiday", "sick"], "champions": ["carol"]},
        "office": {"description": "Office life: desks, the kitchen, pets, parking and visitors",
                   "keywords": ["office", "dog", "pet", "parking", "desk"], "champions": ["alice"],
                   "channel": {"slack": "CCHAMPS"}},
    },
}


class TrackingExecutor(ThreadPoolExecutor):
    """A thread pool that can wait until everything submitted so far has finished."""

    def __init__(self, workers: int = 8) -> None:
        super().__init__(max_workers=workers)
        self.futures = []
        self._lock = threading.Lock()

    def submit(self, fn, *args, **kwargs):
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self.futures.append(future)
        return future

    def wait_idle(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = [f for f in self.futures if not f.done()]
            if not pending:
                return
            wait(pending, timeout=max(0.1, deadline - time.monotonic()))
            assert time.monotonic() < deadline, "background work did not finish"


def sign(body: str, timestamp: str | None = None, secret: str = SECRET) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class SlackRig:
    url: str
    api: FakeSlackApi
    executor: TrackingExecutor
    core: Lorebot
    kb: object
    counter: int = 0

    def post(self, body: str, content_type: str, headers: dict | None = None, sign_it: bool = True) -> tuple[int, str]:
        all_headers = {"Content-Type": content_type, **(sign(body) if sign_it else {}), **(headers or {})}
        request = urllib.request.Request(self.url, data=body.encode("utf-8"), headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def event(self, event: dict, *, event_id: str | None = None, retry: int | None = None,
              team: str = WORKSPACE) -> int:
        self.counter += 1
        envelope = {"type": "event_callback", "team_id": team, "api_app_id": "A1",
                    "event_id": event_id or f"Ev{self.counter:04d}", "event_time": int(time.time()), "event": event}
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        status, _ = self.post(json.dumps(envelope), "application/json", headers)
        return status

    def dm(self, user: str, text: str, ts: str) -> int:
        return self.event({"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user,
                           "text": text, "ts": ts})

    def reaction(self, user: str, emoji: str, channel: str, ts: str, added: bool = True) -> int:
        return self.event({"type": "reaction_added" if added else "reaction_removed", "user": user,
                           "reaction": emoji, "item": {"type": "message", "channel": channel, "ts": ts},
                           "event_ts": self.api.next_ts()})

    def command(self, user: str, text: str, channel: str = "CGENERAL",
                team: str = WORKSPACE, name: str = "/ask") -> tuple[int, str, float]:
        self.counter += 1
        body = urlencode({"command": name, "text": text, "user_id": user, "user_name": user.lower(),
                          "channel_id": channel, "team_id": team, "trigger_id": f"trig{self.counter}",
                          "response_url": "http://127.0.0.1:9/unused"})
        started = time.perf_counter()
        status, answer = self.post(body, "application/x-www-form-urlencoded")
        return status, answer, time.perf_counter() - started

    def click(self, user: str, action_id: str, value: str, channel: str, message_ts: str,
              thread_ts: str | None = None, user_team: str = WORKSPACE) -> int:
        """A button click; ``user_team`` is the clicking person's workspace (another one in Slack Connect)."""
        self.counter += 1
        payload = {"type": "block_actions", "user": {"id": user, "name": user.lower(), "team_id": user_team},
                   "trigger_id": f"t{self.counter}", "team": {"id": WORKSPACE}, "channel": {"id": channel}, "container": {"type": "message"},
                   "message": {"ts": message_ts, **({"thread_ts": thread_ts} if thread_ts else {})},
                   "actions": [{"action_id": action_id, "value": value, "type": "button",
                                "action_ts": str(time.time()), "block_id": "b"}]}
        status, _ = self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        return status

    def settle(self) -> None:
        self.executor.wait_idle()

    def button(self, channel: str, thread: str, action: str) -> dict:
        """The first button for ``action`` (e.g. "not_helpful") on the bot's first message in that thread."""
        message = self.api.posts_to(channel, thread=thread)[0]
        return next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                    if e["action_id"].startswith(f"lorebot:{action}"))


@pytest.fixture
def rig(kb):
    yield from serve_rig(kb, CONFIG)


def serve_rig(kb, config: dict, workspaces: tuple[str, ...] = (WORKSPACE,), extensions: tuple = (), clock=None,
              executor: TrackingExecutor | None = None):
    """The real Bolt app on loopback with the fake Web API, for a test's own configuration; ``clock`` moves the
    core's time and the people directory's; ``executor`` runs the core's work after each acknowledgement."""
    api = FakeSlackApi()
    client = make_web_client("xoxb-test-token", api.base_url)
    timed = {"clock": clock} if clock else {}
    core = Lorebot(config=parse_config(config), knowledge=kb, messenger=SlackMessenger(client),
                   people=SlackPeople(client, **timed), extensions=extensions, **timed)
    executor = executor or TrackingExecutor()
    web_app = web_server.new_application()
    bolt = build_app(core=core, client=client, signing_secret=SECRET, executor=executor, workspaces=workspaces)
    add_slack_routes(web_app, bolt, SECRET)
    loop = LoopThread()
    listening = loop.run(web_server.start(web_app, "127.0.0.1", 0))
    rig = SlackRig(f"{listening.url}/slack/events", api, executor, core, kb)
    yield rig
    executor.wait_idle()
    executor.shutdown()
    loop.run(listening.stop())
    loop.stop()
    api.close()
