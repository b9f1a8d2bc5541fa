"""A loopback stand-in for Confluence's REST API, Cloud (under ``/wiki``) or Data Center, that records every request.

It answers what the Confluence source asks through the real atlassian client: the current user, spaces, CQL
searches (the few forms the source writes: ``space in (…)``, ``type in (…)``, ``lastmodified >= "…"`` read on the
account's wall clock, ``order by lastmodified|created``), content by id with its expansions, read restrictions, and
attachment downloads. Searches page like the real thing: Cloud with cursors in ``_links.next``, Data Center by
``start``, and ``page_cap`` sends fewer results than asked for, as Data Center does without saying so.
Tests edit the corpus (``page``, ``edit``, ``restrict``, ``delete``, ``attach``), also while a request is served
(``hooks``), script faults (``Fault``: a status, a Retry-After, an empty body), hold every answer (``gate``) or
slow them down (``delay``).
"""
from __future__ import annotations

import base64
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Sequence
from urllib.parse import parse_qsl, quote, unquote, urlsplit
from zoneinfo import ZoneInfo

from tests.loopback import Answer, Incoming, LoopbackServer, StandIn, take_fault

USER = "alice@example.com"
TOKEN = "fake-token-7f3a"


@dataclass
class Content:
    id: str
    type: str  # page, blogpost, attachment
    title: str
    space: str
    body: str = ""  # storage format
    when: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    version: int = 1
    author: str = "Alice Example"
    parent: str | None = None  # the page above a page, the page an attachment is on
    people: list[str] = field(default_factory=list)  # view restricted to these people
    groups: list[str] = field(default_factory=list)
    data: bytes = b""  # an attachment's file
    media_type: str = ""
    status: str = "current"


@dataclass
class Request:
    path: str  # below the context path, e.g. "/rest/api/search"
    query: dict[str, str]
    authorization: str | None
    at: float  # time.monotonic() when it arrived
    status: int = 0

    @property
    def cql(self) -> str:
        return self.query.get("cql", "")

    @property
    def offset(self) -> int:
        cursor = self.query.get("cursor")
        return int(base64.urlsafe_b64decode(cursor).decode()) if cursor else int(self.query.get("start", "0"))

    @property
    def expand(self) -> set[str]:
        return set(filter(None, self.query.get("expand", "").split(",")))


@dataclass
class Fault:
    """Answer requests that ``matches`` with ``status`` (and ``headers``, ``body``) ``times`` times (None: always)."""

    matches: Callable[[Request], bool]
    status: int = 500
    times: int | None = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # None: a JSON error message


class FakeConfluence(StandIn):
    def __init__(self, *, cloud: bool, time_zone: str = "America/Los_Angeles",
                 server_zone: str = "America/New_York") -> None:
        super().__init__()
        self.cloud = cloud
        self.context = "/wiki" if cloud else ""
        self.time_zone = time_zone  # the account's (Cloud tells; CQL dates are read in it)
        self.server_zone = server_zone  # Data Center reads CQL dates in this one and does not tell
        self.spaces = {"HR": "Human Resources", "IT": "IT Help"}
        self.contents: dict[str, Content] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.page_cap: int | None = None  # the most results one search answer holds, whatever was asked
        self._ids = itertools.count(1001)
        self.hooks: list[tuple[Callable[[Request], bool], Callable[[], None]]] = []  # run once, when matched
        self.server = LoopbackServer(self._answer)

    @property
    def url(self) -> str:
        return self.server.url + self.context

    def close(self) -> None:
        self.gate.set()
        self.server.close()

    # -- the corpus -------------------------------------------------------------------------------------------
    def page(self, title: str, body: str, *, space: str = "HR", kind: str = "page", when: datetime | None = None,
             parent: str | None = None) -> str:
        moment = when or datetime.now(timezone.utc)
        ident = str(next(self._ids))
        with self._lock:
            self.contents[ident] = Content(ident, kind, title, space, body, when=moment, created=moment, parent=parent)
        return ident

    def attach(self, page: str, filename: str, data: bytes, media_type: str, *, when: datetime | None = None) -> str:
        moment = when or datetime.now(timezone.utc)
        ident = str(next(self._ids))
        with self._lock:
            self.contents[ident] = Content(ident, "attachment", filename, self.contents[page].space, when=moment,
                                           created=moment, parent=page, data=data, media_type=media_type)
        return ident

    def edit(self, ident: str, body: str | None = None, *, title: str | None = None,
             when: datetime | None = None) -> None:
        with self._lock:
            content = self.contents[ident]
            content.body = content.body if body is None else body
            content.title = title or content.title
            content.version += 1
            content.when = when or datetime.now(timezone.utc)

    def restrict(self, ident: str, people: Sequence[str] = (), groups: Sequence[str] = ()) -> None:
        """View restrictions, as Confluence sets them: no new version."""
        with self._lock:
            self.contents[ident].people, self.contents[ident].groups = list(people), list(groups)

    def delete(self, ident: str) -> None:
        with self._lock:
            del self.contents[ident]

    # -- what was asked ----------------------------------------------------------------------------------------
    def searches(self) -> list[str]:
        return [request.cql for request in self.requests if request.path == "/rest/api/search" and request.cql]

    def bodies_read(self) -> list[str]:
        """The ids whose body was sent (pages and blog posts)."""
        return [request.path.rsplit("/", 1)[1] for request in self.requests
                if re.fullmatch(r"/rest/api/content/\d+", request.path) and "body.storage" in request.expand
                and request.status == 200]

    def downloads(self) -> list[str]:
        return [request.path for request in self.requests if "download" in request.path and request.status == 200]

    # -- answering ----------------------------------------------------------------------------------------------
    def _answer(self, incoming: Incoming) -> Answer:
        self.pace()
        parts = urlsplit(incoming.target)
        path = parts.path
        if not path.startswith(self.context + "/"):
            return self._json(404, {"statusCode": 404, "message": "not found"})
        request = Request(path[len(self.context):], dict(parse_qsl(parts.query)),
                          incoming.headers.get("Authorization"), time.monotonic())
        return self.recorded(request, self._respond)

    def _respond(self, request: Request) -> Answer:
        if request.authorization != self._expected_authorization():
            return self._json(401, {"statusCode": 401, "message": "Client must be authenticated"})
        for hook in list(self.hooks):
            if hook[0](request):
                self.hooks.remove(hook)
                hook[1]()
        fault = take_fault(self.faults, request)
        if fault is not None:
            if fault.body is not None:
                return fault.status, fault.body, {"Content-Type": "application/json", **fault.headers}
            status, body, headers = self._json(fault.status, {"statusCode": fault.status, "message": "fault"})
            return status, body, {**headers, **fault.headers}
        path = request.path
        if path == "/rest/api/user/current":
            return self._json(200, self._user())
        if match := re.fullmatch(r"/rest/api/space/([^/]+)", path):
            key = match.group(1)
            if key not in self.spaces:
                return self._json(404, {"statusCode": 404, "message": f"No space with key : {key}"})
            return self._json(200, {"key": key, "name": self.spaces[key], "type": "global"})
        if path == "/rest/api/search":
            return self._search(request)
        if match := re.fullmatch(r"/rest/api/content/(\d+)", path):
            content = self.contents.get(match.group(1))
            if content is None:
                return self._json(404, {"statusCode": 404, "message": "No content found with id"})
            return self._json(200, self._content(content, request.expand))
        if match := re.fullmatch(r"/rest/api/content/(\d+)/restriction/byOperation/read", path):
            content = self.contents.get(match.group(1))
            if content is None:
                return self._json(404, {"statusCode": 404, "message": "No content found with id"})
            return self._json(200, {"operation": "read", "restrictions": self._restrictions(content)})
        if self.cloud and (match := re.fullmatch(r"/rest/api/content/(\d+)/child/attachment/(\d+)/download", path)):
            content = self.contents.get(match.group(2))
            if content is None or content.parent != match.group(1):
                return self._json(404, {"statusCode": 404, "message": "No attachment found"})
            return 200, content.data, {"Content-Type": content.media_type}
        if not self.cloud and (match := re.fullmatch(r"/download/attachments/(\d+)/([^/]+)", path)):
            page, filename = match.group(1), unquote(match.group(2))
            for content in self.contents.values():
                if content.type == "attachment" and content.parent == page and content.title == filename:
                    return 200, content.data, {"Content-Type": content.media_type}
            return 404, b"", {}
        return self._json(404, {"statusCode": 404, "message": "not found"})

    def _expected_authorization(self) -> str:
        if self.cloud:
            return "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
        return f"Bearer {TOKEN}"

    def _user(self) -> dict:
        if self.cloud:
            return {"type": "known", "accountId": "5b10ac8d82e05b22cc7d4ef5", "email": USER, "publicName": "Alice",
                    "displayName": "Alice Example", "timeZone": self.time_zone}
        return {"type": "known", "username": "alice", "userKey": "ff8080817b0a1b2c", "displayName": "Alice Example"}

    # -- search ------------------------------------------------------------------------------------------------
    def _search(self, request: Request) -> Answer:
        try:
            matches, order = self._query(request.cql)
        except ValueError as exc:
            return self._json(400, {"statusCode": 400, "message": f"Could not parse cql : {exc}"})
        found = sorted((c for c in self.contents.values() if c.status == "current" and matches(c)),
                       key=lambda c: (getattr(c, order), int(c.id)))
        start = request.offset
        limit = int(request.query.get("limit", "25"))
        if self.page_cap is not None:
            limit = min(limit, self.page_cap)
        chunk = found[start:start + limit]
        inner = {name.removeprefix("content.") for name in request.expand if name.startswith("content.")}
        results = [{"content": self._content(c, inner), "title": c.title, "excerpt": "", "url": self._webui(c),
                    "lastModified": _iso(c.when), "entityType": "content"} for c in chunk]
        links = {"base": self.url, "context": self.context, "self": f"{self.url}/rest/api/search"}
        following = start + len(chunk)
        if following < len(found):
            query = {"cql": request.cql, "limit": str(limit)}
            if request.query.get("expand"):
                query["expand"] = request.query["expand"]
            if self.cloud:
                query = {"next": "true", "cursor": base64.urlsafe_b64encode(str(following).encode()).decode(),
                         "start": str(following), **query}
            else:
                query["start"] = str(following)
            links["next"] = "/rest/api/search?" + "&".join(f"{k}={quote(v, safe=',')}" for k, v in query.items())
        return self._json(200, {"results": results, "start": start, "limit": limit, "size": len(results),
                                "totalSize": len(found), "cqlQuery": request.cql, "searchDuration": 3,
                                "_links": links})

    def _query(self, cql: str) -> tuple[Callable[[Content], bool], str]:
        """The filter and the ordering field a CQL query says; ValueError on any other form."""
        text, order = _split_order(cql)
        tests: list[Callable[[Content], bool]] = []
        for clause in re.split(r"\s+and\s+", text, flags=re.IGNORECASE):
            clause = clause.strip()
            if match := re.fullmatch(r'space\s+in\s*\(([^)]*)\)|space\s*=\s*("?[^"\s]+"?)', clause):
                keys = {key.strip().strip('"') for key in (match.group(1) or match.group(2)).split(",")}
                tests.append(lambda c, keys=keys: c.space in keys)
            elif match := re.fullmatch(r"type\s+in\s*\(([^)]*)\)|type\s*=\s*(\w+)", clause):
                kinds = {kind.strip() for kind in (match.group(1) or match.group(2)).split(",")}
                tests.append(lambda c, kinds=kinds: c.type in kinds)
            elif match := re.fullmatch(r'lastmodified\s*>=\s*"(\d{4}-\d\d-\d\d \d\d:\d\d)"', clause):
                zone = ZoneInfo(self.time_zone if self.cloud else self.server_zone)
                since = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=zone)
                tests.append(lambda c, since=since: c.when >= since)
            else:
                raise ValueError(clause)
        if order and not re.fullmatch(r"(lastmodified|created)(\s+(asc|ASC))?", order.strip()):
            raise ValueError(order)
        field_name = "when" if order.strip().lower().startswith("lastmodified") else "created"
        return (lambda c: all(test(c) for test in tests)), field_name

    # -- content -------------------------------------------------------------------------------------------------
    def _content(self, content: Content, expand: set[str]) -> dict:
        links = {"webui": self._webui(content), "self": f"{self.url}/rest/api/content/{content.id}",
                 "tinyui": f"/x/{content.id}"}
        if content.type == "attachment":
            links["download"] = (f"/download/attachments/{content.parent}/{quote(content.title)}"
                                 f"?version={content.version}&modificationDate=1700000000000&api=v2")
        data: dict = {"id": content.id, "type": content.type, "status": content.status, "title": content.title,
                      "_links": links}
        if content.type == "attachment":
            data["extensions"] = {"mediaType": content.media_type, "fileSize": len(content.data), "comment": ""}
        if "version" in expand:
            by = {"type": "known", "displayName": content.author}
            data["version"] = {"number": content.version, "when": _iso(content.when), "by": by, "minorEdit": False}
        if "space" in expand:
            data["space"] = {"key": content.space, "name": self.spaces.get(content.space, content.space)}
        if "body.storage" in expand:
            data["body"] = {"storage": {"value": content.body, "representation": "storage"}}
        if "ancestors" in expand:
            data["ancestors"] = [{"id": above.id, "type": above.type, "title": above.title}
                                 for above in self._ancestors(content)]
        if any(name.startswith("restrictions.read") for name in expand):
            data["restrictions"] = {"read": {"operation": "read", "restrictions": self._restrictions(content)}}
        if "container" in expand and content.parent in self.contents:
            data["container"] = self._content(self.contents[content.parent], set())
        return data

    def _ancestors(self, content: Content) -> list[Content]:
        chain, above = [], self.contents.get(content.parent or "") if content.type != "attachment" else None
        while above is not None:
            chain.insert(0, above)
            above = self.contents.get(above.parent or "")
        return chain

    def _restrictions(self, content: Content) -> dict:
        people = [{"type": "known", "displayName": name, "username": name} for name in content.people]
        groups = [{"type": "group", "name": name} for name in content.groups]
        return {"user": {"results": people, "start": 0, "limit": 200, "size": len(people)},
                "group": {"results": groups, "start": 0, "limit": 200, "size": len(groups)}}

    def _webui(self, content: Content) -> str:
        words = quote(content.title.replace(" ", "+"), safe="+")
        if content.type == "blogpost":
            return f"/spaces/{content.space}/blog/{content.created:%Y/%m/%d}/{content.id}/{words}"
        if content.type == "attachment":
            return f"/pages/viewpageattachments.action?pageId={content.parent}&preview=/{content.parent}/{content.id}"
        return f"/spaces/{content.space}/pages/{content.id}/{words}"

    @staticmethod
    def _json(status: int, payload: dict) -> Answer:
        return status, json.dumps(payload).encode(), {"Content-Type": "application/json"}


def _split_order(cql: str) -> tuple[str, str]:
    """The condition and the ordering of a CQL query."""
    parts = re.split(r"\s+order\s+by\s+", cql, maxsplit=1, flags=re.IGNORECASE)
    return parts[0], parts[1] if len(parts) > 1 else ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def minutes_ago(minutes: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)
