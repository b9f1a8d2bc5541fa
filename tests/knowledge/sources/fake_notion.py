"""A loopback stand-in for Notion's API (``/v1``) that records every request.

It answers what the Notion source asks through the real notion-client: ``search`` for pages (sorted by
``last_edited_time`` either way, paged with ``start_cursor``), pages, databases and blocks by id, and a block's
children, paged too. ``page_cap`` sends fewer results than asked for with ``has_more`` still true, as Notion may.
``last_edited_time`` is to the minute, as Notion writes it. Tests edit the corpus (``page``, ``row``, ``edit``,
``archive``, ``unshare``), script faults (``Fault``: a status, a Retry-After, a body), hold every answer (``gate``)
or slow them down (``delay``).
"""
from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

from tests.loopback import Answer, Fault, Incoming, StandIn, scripted  # noqa: F401 - Fault for the tests

TOKEN = "secret_fake-notion-9c1e"


@dataclass
class Page:
    id: str
    title: str
    blocks: list[dict]  # top-level blocks, each with its children under "children"
    parent: dict
    edited: datetime
    archived: bool = False
    shared: bool = True


@dataclass
class Request:
    method: str
    path: str  # below /v1, e.g. "/search"
    query: dict[str, str]
    body: dict
    authorization: str | None
    version: str | None  # the Notion-Version header
    at: float
    status: int = 0


def paragraph(text: str) -> dict:
    return block("paragraph", text)


def block(kind: str, text: str = "", children: list[dict] | None = None, **extra) -> dict:
    """A block as Notion sends it, with ``children`` kept beside it for the fake to page out."""
    rich = [{"type": "text", "text": {"content": text}, "plain_text": text, "href": None,
             "annotations": {"bold": False, "italic": False, "strikethrough": False, "underline": False,
                             "code": False, "color": "default"}}] if text else []
    body = {"rich_text": rich, "color": "default", **extra} if kind not in ("table_row", "divider") else extra
    return {"object": "block", "id": str(uuid.uuid4()), "type": kind, kind: body,
            "has_children": bool(children), "children": children or [], "archived": False, "in_trash": False}


def table(rows: list[list[str]], header: bool = True) -> dict:
    cells = [block("table_row", cells=[[{"type": "text", "plain_text": cell, "href": None,
                                         "annotations": {}}] for cell in row]) for row in rows]
    return block("table", children=cells, table_width=len(rows[0]), has_column_header=header,
                 has_row_header=False)


class FakeNotion(StandIn):
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.databases: dict[str, dict] = {}  # id -> {"title", "parent"}
        self.page_cap: int | None = None
        self._ids = itertools.count(1)
        super().__init__()

    @property
    def url(self) -> str:
        return self.server.url

    # -- the corpus -------------------------------------------------------------------------------------------
    def page(self, title: str, blocks: list[dict], *, when: datetime | None = None, parent: str | None = None) -> str:
        ident = self._new_id()
        where = {"type": "page_id", "page_id": parent} if parent else {"type": "workspace", "workspace": True}
        with self._lock:
            self.pages[ident] = Page(ident, title, blocks, where, _minute(when))
        return ident

    def database(self, title: str, *, parent: str | None = None) -> str:
        ident = self._new_id()
        where = {"type": "page_id", "page_id": parent} if parent else {"type": "workspace", "workspace": True}
        self.databases[ident] = {"title": title, "parent": where, "source": self._new_id()}
        return ident

    def row(self, database: str, title: str, blocks: list[dict], *, when: datetime | None = None) -> str:
        ident = self._new_id()
        where = {"type": "data_source_id", "data_source_id": self.databases[database]["source"],
                 "database_id": database}
        with self._lock:
            self.pages[ident] = Page(ident, title, blocks, where, _minute(when))
        return ident

    def edit(self, ident: str, blocks: list[dict] | None = None, *, title: str | None = None,
             when: datetime | None = None) -> None:
        with self._lock:
            page = self.pages[ident]
            page.blocks = page.blocks if blocks is None else blocks
            page.title = title or page.title
            page.edited = _minute(when)

    def archive(self, ident: str, when: datetime | None = None) -> None:
        with self._lock:
            self.pages[ident].archived = True
            self.pages[ident].edited = _minute(when)

    def unshare(self, ident: str) -> None:
        """The page is no longer shared with the integration: search leaves it out and reads answer 404."""
        with self._lock:
            self.pages[ident].shared = False

    # -- what was asked ----------------------------------------------------------------------------------------
    def searches(self) -> list[Request]:
        return [request for request in self.requests if request.path == "/search"]

    def bodies_read(self) -> list[str]:
        """The pages whose blocks were listed (their first page of children)."""
        return [match.group(1) for request in self.requests
                if (match := re.fullmatch(r"/blocks/([^/]+)/children", request.path)) and match.group(1) in self.pages
                and "start_cursor" not in request.query and request.status == 200]

    def count(self) -> dict[str, int]:
        """Requests by kind: listings (search), content (block children), and page, database or block lookups."""
        kinds: dict[str, int] = {}
        for request in self.requests:
            kind = "listing" if request.path == "/search" else "content" if request.path.endswith("/children") \
                else "lookup"
            kinds[kind] = kinds.get(kind, 0) + 1
        return kinds

    # -- answering ----------------------------------------------------------------------------------------------
    def _answer(self, incoming: Incoming) -> Answer:
        self._held()
        parts = urlsplit(incoming.target)
        if not parts.path.startswith("/v1/"):
            return _error(404, "invalid_request_url", "Invalid request URL.")
        body = json.loads(incoming.body) if incoming.body else {}
        request = Request(incoming.method, parts.path[3:], dict(parse_qsl(parts.query)), body,
                          incoming.headers.get("Authorization"), incoming.headers.get("Notion-Version"),
                          time.monotonic())
        return self._recorded(request, self._respond)

    def _respond(self, request: Request) -> Answer:
        if request.authorization != f"Bearer {TOKEN}":
            return _error(401, "unauthorized", "API token is invalid.")
        fault = scripted(self.hooks, self.faults, request)
        if fault is not None:
            if fault.body is not None:
                return fault.status, fault.body, {"Content-Type": "application/json", **fault.headers}
            code = {429: "rate_limited", 500: "internal_server_error", 503: "service_unavailable"}.get(
                fault.status, "internal_server_error")
            status, data, headers = _error(fault.status, code, "fault")
            return status, data, {**headers, **fault.headers}
        path = request.path
        if path == "/search" and request.method == "POST":
            return self._search(request)
        if match := re.fullmatch(r"/pages/([^/]+)", path):
            page = self._page(match.group(1))
            return _json(200, self._page_json(page)) if page else _not_found(match.group(1))
        if match := re.fullmatch(r"/databases/([^/]+)", path):
            ident = _dashed(match.group(1))
            if ident not in self.databases:
                return _not_found(ident)
            found = self.databases[ident]
            return _json(200, {"object": "database", "id": ident, "parent": found["parent"],
                               "title": [{"plain_text": found["title"]}]})
        if match := re.fullmatch(r"/blocks/([^/]+)/children", path):
            return self._children(_dashed(match.group(1)), request)
        return _error(404, "invalid_request_url", "Invalid request URL.")

    def _page(self, ident: str) -> Page | None:
        page = self.pages.get(_dashed(ident))
        return page if page is not None and page.shared else None

    def _search(self, request: Request) -> Answer:
        body = request.body
        descending = (body.get("sort") or {}).get("direction") != "ascending"
        found = sorted((page for page in self.pages.values() if page.shared),
                       key=lambda page: (page.edited, page.id), reverse=descending)
        return _json(200, self._paged([self._page_json(page) for page in found], body.get("start_cursor"),
                                      int(body.get("page_size") or 100), "page_or_data_source"))

    def _children(self, ident: str, request: Request) -> Answer:
        page = self._page(ident)
        if page is not None:
            children = page.blocks
        else:
            found = self._block(ident)
            if found is None:
                return _not_found(ident)
            children = found["children"]
        listed = [{key: value for key, value in child.items() if key != "children"} for child in children]
        return _json(200, self._paged(listed, request.query.get("start_cursor"),
                                      int(request.query.get("page_size") or 100), "block"))

    def _block(self, ident: str) -> dict | None:
        def find(blocks: list[dict]) -> dict | None:
            for child in blocks:
                if child["id"] == ident:
                    return child
                below = find(child["children"])
                if below is not None:
                    return below
            return None

        for page in self.pages.values():
            if page.shared and (found := find(page.blocks)) is not None:
                return found
        return None

    def _paged(self, items: list[dict], cursor: str | None, size: int, kind: str) -> dict:
        start = int(cursor) if cursor else 0
        size = min(size, 100, self.page_cap or 100)
        chunk = items[start:start + size]
        more = start + size < len(items)
        return {"object": "list", "results": chunk, "next_cursor": str(start + size) if more else None,
                "has_more": more, "type": kind, kind: {}}

    def _page_json(self, page: Page) -> dict:
        stamp = page.edited.strftime("%Y-%m-%dT%H:%M:00.000Z")
        return {"object": "page", "id": page.id, "created_time": stamp, "last_edited_time": stamp,
                "created_by": {"object": "user", "id": "u1"}, "last_edited_by": {"object": "user", "id": "u1"},
                "parent": page.parent, "archived": page.archived, "in_trash": page.archived,
                "properties": {"Name": {"id": "title", "type": "title",
                                        "title": [{"type": "text", "plain_text": page.title, "href": None}]}},
                "url": f"https://www.notion.so/{re.sub(r'[^A-Za-z0-9]+', '-', page.title)}-"
                       f"{page.id.replace('-', '')}"}

    def _new_id(self) -> str:
        return str(uuid.UUID(int=next(self._ids) * 7919 + 0x1000))


def _minute(when: datetime | None) -> datetime:
    return (when or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(second=0, microsecond=0)


def _dashed(ident: str) -> str:
    plain = ident.replace("-", "").lower()
    return f"{plain[:8]}-{plain[8:12]}-{plain[12:16]}-{plain[16:20]}-{plain[20:]}" if len(plain) == 32 else ident


def _json(status: int, payload: dict) -> Answer:
    return status, json.dumps(payload).encode(), {"Content-Type": "application/json"}


def _error(status: int, code: str, message: str) -> Answer:
    return _json(status, {"object": "error", "status": status, "code": code, "message": message})


def _not_found(ident: str) -> Answer:
    return _error(404, "object_not_found", f"Could not find page with ID: {ident}. Make sure the relevant pages "
                                           "and databases are shared with your integration.")


def minutes_ago(minutes: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)
