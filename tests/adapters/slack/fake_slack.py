"""A loopback stand-in for the Slack Web API that records every call, so tests can assert exact counts.

It answers the methods Lorebot uses, remembers which thread each message is in and what it says now (like
Slack does), and can be told to answer slowly, with a 429 once, or that a person cannot be messaged.
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from urllib.parse import parse_qs

from tests.loopback import Answer, Incoming, LoopbackServer


class FakeSlackApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.threads: dict[tuple[str, str], str | None] = {}  # (channel, ts) -> thread_ts
        self.delays: dict[str, float] = {}
        self.rate_limit_once: set[str] = set()
        self.texts: dict[tuple[str, str], str] = {}  # (channel, ts) -> the message's text, after any update
        self.metadata: dict[tuple[str, str], dict] = {}  # (channel, ts) -> the message metadata it was posted with
        self.undeliverable_users: set[str] = set()  # conversations.open answers user_not_found for these
        self.token_valid = True  # auth.test answers invalid_auth when False
        self.users: dict[str, dict] = {}  # users.info answers these (user id -> the "user" object)
        self.usergroups: list[dict] = []  # usergroups.list answers these ({"id", "handle", "users"})
        self.failing: set[str] = set()  # methods that answer an error (e.g. "users.info": fatal_error)
        self.subtypes: dict[tuple[str, str], str] = {}  # (channel, ts) -> a message's subtype (assistant_app_thread)
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self.server = LoopbackServer(self._serve)

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/api/"

    def close(self) -> None:
        self.server.close()

    def _serve(self, incoming: Incoming) -> Answer:
        method = incoming.target.rsplit("/", 1)[-1]
        raw = incoming.body.decode("utf-8")
        if "json" in incoming.headers.get("content-type", ""):
            params = json.loads(raw or "{}")
        else:
            params = {k: v[0] for k, v in parse_qs(raw).items()}
        status, body, headers = self._answer(method, params)
        return status, json.dumps(body).encode(), {**headers, "Content-Type": "application/json"}

    def next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _answer(self, method: str, params: dict) -> tuple[int, dict, dict]:
        with self._lock:
            if method in self.rate_limit_once:
                self.rate_limit_once.discard(method)
                self.calls.append((method + ":429", params))
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
            self.calls.append((method, params))
        if self.delays.get(method):
            time.sleep(self.delays[method])
        if method in self.failing:
            return 200, {"ok": False, "error": "fatal_error"}, {}
        if method == "users.info":
            user = self.users.get(params["user"])
            return 200, ({"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}), {}
        if method == "usergroups.list":
            include = str(params.get("include_users", "")).lower() in ("1", "true")
            groups = [g if include else {k: v for k, v in g.items() if k != "users"} for g in self.usergroups]
            return 200, {"ok": True, "usergroups": groups}, {}
        if method == "auth.test":
            if not self.token_valid:
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            return 200, {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "lorebot"}, {}
        if method == "chat.postMessage":
            ts = self.next_ts()
            metadata = params.get("metadata")
            with self._lock:
                self.threads[(params["channel"], ts)] = params.get("thread_ts")
                self.texts[(params["channel"], ts)] = params.get("text", "")
                if metadata:
                    self.metadata[(params["channel"], ts)] = json.loads(metadata) if isinstance(metadata, str) else (
                        metadata)
            return 200, {"ok": True, "channel": params["channel"], "ts": ts, "message": {"ts": ts}}, {}
        if method == "chat.update":
            with self._lock:
                self.texts[(params["channel"], params["ts"])] = params.get("text", "")
            return 200, {"ok": True, "channel": params["channel"], "ts": params["ts"]}, {}
        if method == "conversations.open":
            if params["users"] in self.undeliverable_users:
                return 200, {"ok": False, "error": "user_not_found"}, {}
            return 200, {"ok": True, "channel": {"id": "D" + params["users"]}}, {}
        if method == "conversations.replies":  # the message asked about first, then its thread's replies
            channel, root = params["channel"], params["ts"]
            thread = self.threads.get((channel, root))
            with self._lock:
                replies = [ts for (where, ts), parent in self.threads.items() if where == channel and parent == root]
                subtype = self.subtypes.get((channel, root))
                messages = [{"ts": root, **({"thread_ts": thread} if thread else {}),
                             **({"subtype": subtype} if subtype else {})}] + [
                    {"ts": ts, "thread_ts": root, "bot_id": "BBOT",
                     **({"metadata": self.metadata[(channel, ts)]} if (channel, ts) in self.metadata else {})}
                    for ts in replies]
            return 200, {"ok": True, "messages": messages}, {}
        if method == "chat.getPermalink":
            return 200, {"ok": True, "permalink": f"https://example.slack.com/archives/{params['channel']}/p1"}, {}
        return 200, {"ok": True}, {}

    # -- what tests look at -----------------------------------------------------------------------------------
    def named(self, method: str) -> list[dict]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def posts_to(self, channel: str, thread: str | None = None) -> list[dict]:
        return [p for p in self.named("chat.postMessage")
                if p["channel"] == channel and (thread is None or p.get("thread_ts") == thread)]

    def user_message(self, channel: str, thread: str) -> str:
        """A person's message as Slack would record it (so a later reaction can be traced to its thread)."""
        ts = self.next_ts()
        with self._lock:
            self.threads[(channel, ts)] = thread
        return ts
