"""A loopback Bot Connector: the ``serviceUrl`` Teams activities point at. It records every call the bot
makes (sends, thread replies, updates, new conversations) and can answer with an error on demand."""
from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Call:
    method: str
    kind: str  # "send" | "reply" | "update" | "create" | "member"
    conversation: str | None
    activity_id: str | None
    body: dict
    status: int
    size: int = 0
    id: str | None = None  # the message id the bot got back

    @property
    def card(self) -> dict | None:
        for attachment in self.body.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return attachment["content"]
        return None

    @property
    def text(self) -> str:
        """Everything a person would read in the message, for assertions."""
        parts = [self.body.get("text") or ""]
        card = self.card
        if card:
            parts.extend(_texts(card.get("body", [])))
        return "\n".join(parts)

    def action(self, name: str) -> dict:
        card = self.card or {}
        for action in card.get("actions", []):
            if action["data"]["lorebot_action"] == name:
                return action["data"]
        raise AssertionError(f"no {name} action in {card}")


def _texts(elements: list) -> list[str]:
    out = []
    for element in elements:
        if element.get("type") == "TextBlock":
            out.append(element["text"])
        out.extend(_texts(element.get("items", [])))
    return out


@dataclass
class _Failure:
    status: int
    conversation: str | None
    times: int
    headers: dict = field(default_factory=dict)


class FakeConnector:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.url: str | None = None
        self.delay = 0.0  # seconds before each message is taken (a slow connector)
        self.roster: dict[str, dict] = {}  # member id -> what GET .../members/{id} answers (404 if absent)

    # -- test controls -------------------------------------------------------------------------------------
    def fail(self, status: int, *, conversation: str | None = None, times: int = 1,
             headers: dict | None = None) -> None:
        """Answer the next ``times`` calls (to ``conversation``, or any) with ``status``."""
        with self._lock:
            self._failures.append(_Failure(status, conversation, times, headers or {}))

    def delivered(self, conversation: str | None = None, kind: str | None = None) -> list[Call]:
        """Messages that were accepted (2xx), optionally only those to one conversation; typing indicators are not
        messages."""
        return [c for c in self.calls if c.status < 300 and c.kind in ("send", "reply")
                and c.body.get("type") != "typing"
                and (conversation is None or c.conversation == conversation) and (kind is None or c.kind == kind)]

    def attempts(self, conversation: str | None = None) -> list[Call]:
        return [c for c in self.calls if conversation is None or c.conversation == conversation]

    # -- the server ----------------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._reply)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        return app

    def members_asked(self, member: str | None = None) -> list[Call]:
        """Roster look-ups, optionally of one member id."""
        return [c for c in self.calls if c.kind == "member" and (member is None or c.activity_id == member)]

    async def _member(self, request: web.Request) -> web.Response:
        conversation, member = request.match_info["conversation"], request.match_info["member"]
        entry = self.roster.get(member)
        if entry is None:
            with self._lock:
                self.calls.append(Call(request.method, "member", conversation, member, {}, 404))
            return web.json_response({"error": {"code": "MemberNotFoundInConversation", "message": "no such member"}},
                                     status=404)
        return await self._answer(request, "member", conversation, member, {}, {"id": member, **entry})

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        member = body["members"][0]["id"]
        return await self._answer(request, "create", None, None, body, {"id": f"a:dm-{member}"})

    async def _send(self, request: web.Request) -> web.Response:
        return await self._message(request, "send")

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._message(request, "reply")

    async def _update(self, request: web.Request) -> web.Response:
        return await self._message(request, "update")

    async def _message(self, request: web.Request, kind: str) -> web.Response:
        raw = await request.read()
        await asyncio.sleep(self.delay)
        conversation = request.match_info["conversation"]
        activity = request.match_info.get("activity")
        new_id = activity if kind == "update" else f"17000{next(self._ids):08d}"
        return await self._answer(request, kind, conversation, activity, await request.json(), {"id": new_id},
                                  size=len(raw))

    async def _answer(self, request, kind, conversation, activity, body, result, size=0) -> web.Response:
        failure = self._take_failure(conversation)
        status = failure.status if failure else (200 if kind in ("update", "member") else 201)
        with self._lock:
            self.calls.append(Call(request.method, kind, conversation, activity, body, status, size,
                                   None if failure else result["id"]))
        if failure:
            return web.json_response({"error": {"code": "Failure", "message": "on demand"}}, status=status,
                                     headers=failure.headers)
        return web.json_response(result, status=status)

    def _take_failure(self, conversation: str | None) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.times > 0 and failure.conversation in (None, conversation):
                    failure.times -= 1
                    return failure
        return None
