"""Notion pages and database rows (``type = "notion"``), read through an internal integration.

Each run asks ``search`` for pages, newest edit first, and stops once it reaches the cursor (the newest
``last_edited_time`` of the run before) less ``overlap_minutes``. A page's body is read only when its
``last_edited_time`` differs from the stored one; it is read as its block tree, page by page of children, and
handed over as Markdown (``notion_blocks``). Notion's page-markdown endpoint is not used: it writes tables,
toggles and callouts as Notion's own XML-like tags, which the chunker would not read as Markdown.

Notion gives ``last_edited_time`` to the minute only, so a page edited again in the minute it was read would look
unchanged for good. A page edited in the last ``SETTLING`` is therefore stored with a provisional version: the next
run reads it once more (its content hash spares the embedding) and keeps the settled one.

The listing is newest first, so a run that stops part-way has not seen the older changes: its checkpoints keep the
cursor it started from (what it wrote is kept, and costs nothing when listed again), and only a finished run moves
it. A page edited while the listing runs goes to its front; its edit is newer than the new cursor, so the next run
lists it.

``root_pages`` limits the sync to page trees: a page is in scope when its chain of parents (pages, databases,
blocks) reaches a root; parents are read once a run. The key is the page id. Notion tells an integration nothing
about who else may read a page, so every page is handed over as open (``OPEN``), and ``audience()`` says it
cannot tell. A page in the trash, archived, or answering 404 (no longer shared with the integration) is removed.

The client is notion-client, with its own retries off: ``retrying.with_retries`` obeys a 429's Retry-After and
backs off on 5xx, and every request is paced to ``requests_per_second`` (Notion allows about three).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal, Mapping
from urllib.parse import urlparse

import requests
from requests.structures import CaseInsensitiveDict
from pydantic import Field, field_validator

from knowledge.sources.documents import Change, Checkpoint, Failed, Removed, SourceDocument, Stored, Unchanged
from knowledge.sources.notion_blocks import read_tree, to_markdown
from knowledge.sources.options import Secrets, SourceOptions
from knowledge.sources.retrying import EmptyBody, FetchFailed, RetryPolicy, with_retries
from knowledge.sources.since import parse_time, since_of, time_cursor
from knowledge.sources.source import ListingIncomplete, SourceUnavailable

PAGE_SIZE = 100  # the most Notion sends at once; it may send fewer
SETTLING = timedelta(minutes=2)  # a page edited this recently may change again within the same minute
GONE = "deleted or archived in Notion, or no longer shared with the integration"
log = logging.getLogger("lorebot.sources.notion")


class NotionOptions(SourceOptions):
    type: Literal["notion"]
    token_env: str  # the variable holding the internal integration's secret
    root_pages: list[str] = []  # page ids or page addresses; empty: every page shared with the integration
    api_url: str = "https://api.notion.com"
    requests_per_second: float = Field(default=3.0, gt=0)  # Notion's limit is about 3 a second per integration
    overlap_minutes: int = Field(default=5, ge=1)  # each run looks this far behind the newest edit seen

    @field_validator("root_pages")
    @classmethod
    def _ids(cls, pages: list[str]) -> list[str]:
        from notion_client.helpers import extract_notion_id

        ids = []
        for page in pages:
            ident = extract_notion_id(page)
            if ident is None:
                raise ValueError(f"{page!r} is neither a Notion page id nor a notion.so page address")
            ids.append(ident)
        return ids

    @field_validator("api_url")
    @classmethod
    def _address(cls, url: str) -> str:
        if urlparse(url).scheme not in {"http", "https"} or not urlparse(url).hostname:
            raise ValueError("must be an http(s) address, e.g. https://api.notion.com")
        return url.rstrip("/")

    def open(self, name: str, *, home: Path, secrets: Secrets, policy: RetryPolicy | None = None) -> "NotionSource":
        token = self.secret(name, "token_env", self.token_env, secrets)
        return NotionSource(self, token=token, policy=policy or RetryPolicy())


class NotionSource:
    def __init__(self, options: NotionOptions, *, token: str, policy: RetryPolicy) -> None:
        from notion_client import Client

        self.options, self.policy = options, policy
        quiet = logging.getLogger("lorebot.sources.notion.client")  # its own console logger prints to stdout
        self.client = Client(auth=token, base_url=options.api_url, retry=False, logger=quiet,
                             timeout_ms=int(policy.timeout * 1000))
        self._pace = _Pace(options.requests_per_second)
        self._roots = {_plain(ident) for ident in options.root_pages}
        self._parents: dict[str, tuple[str, str] | None] = {}  # id -> (kind, id) of its parent; None: the top
        self._in_scope: dict[str, bool] = {}
        self._fetched: set[str] = set()  # keys read this run through ``fetch`` (earlier failures)

    # -- the seam -------------------------------------------------------------------------------------------
    def changes(self, cursor: str | None, stored: Mapping[str, Stored]) -> Iterator[Change]:
        since = self._since(cursor)
        stop = since - timedelta(minutes=self.options.overlap_minutes) if since else None
        newest = since
        try:
            for results in self._search():
                for page in results:
                    when = parse_time(page.get("last_edited_time"))
                    if stop is not None and when is not None and when < stop:
                        yield Checkpoint(self._position(newest))
                        return
                    if when is not None and (newest is None or when > newest):
                        newest = when
                    if page["id"] in self._fetched:
                        continue  # read a moment ago as an earlier failure
                    change = self._changed(page, stored.get(page["id"]))
                    if change is not None:
                        yield change
                yield Checkpoint(self._position(since))  # older changes may still follow: keep the start
        except FetchFailed as exc:
            raise SourceUnavailable(self._unavailable("list the changed pages", exc)) from None
        yield Checkpoint(self._position(newest))

    def fetch(self, key: str, stored: Stored | None) -> SourceDocument | Unchanged | Removed | Failed:
        self._fetched.add(key)
        try:
            page = self._call(lambda: self.client.pages.retrieve(key))
        except FetchFailed as exc:
            if exc.status in (400, 404):
                return Removed(key, GONE)
            return Failed(key, stored.url if stored else None, str(exc))
        return self._changed(page, stored) or Removed(key, "outside the synced root_pages")

    def keys(self) -> Iterable[str]:
        keys: list[str] = []
        try:
            for results in self._search():
                keys.extend(page["id"] for page in results if not _trashed(page) and self._scoped(page))
        except FetchFailed as exc:
            raise ListingIncomplete(f"listing the pages shared with the integration stopped part-way: {exc}") from None
        return keys

    def audience(self) -> None:
        """Notion's API does not say who may read a page, so the collection's readers come from lorebot.toml."""
        return None

    def close(self) -> None:
        self.client.close()

    # -- one page ---------------------------------------------------------------------------------------------
    def _changed(self, page: dict, stored: Stored | None) -> Change | None:
        """What became of one listed page; None for a page out of scope that was never stored."""
        key, url = page["id"], page.get("url")
        if _trashed(page):
            return Removed(key, "archived or in the trash in Notion") if stored else None
        try:
            if not self._scoped(page):
                return Removed(key, "outside the synced root_pages") if stored else None
        except FetchFailed as exc:
            return Failed(key, url, f"cannot tell whether it is under root_pages: {exc}")
        version = _version(page)
        if stored is not None and stored.version == version:
            return Unchanged(key)
        try:
            blocks = read_tree(self._children, key)
        except FetchFailed as exc:
            if exc.status == 404:
                return Removed(key, GONE)
            return Failed(key, url, f"cannot read its blocks: {exc}")
        text, title = to_markdown(blocks), _title(page)
        if not text and not title:
            return Removed(key, "the page has no text")
        return SourceDocument(key=key, data=(text or title).encode("utf-8"), media_type="text/markdown",
                              title=title, url=url, modified=parse_time(page.get("last_edited_time")), version=version)

    def _children(self, block: str, cursor: str | None) -> dict:
        query = {"page_size": PAGE_SIZE, **({"start_cursor": cursor} if cursor else {})}
        return self._call(lambda: self.client.blocks.children.list(block, **query))

    # -- which pages are synced -------------------------------------------------------------------------------
    def _scoped(self, page: dict) -> bool:
        """Whether the page is under one of ``root_pages`` (always, without them): its parents are walked up,
        each read once a run, until a root or the workspace is reached."""
        if not self._roots:
            return True
        self._parents[_plain(page["id"])] = _parent(page.get("parent"))
        chain: list[str] = []
        ident: str | None = _plain(page["id"])
        while ident is not None and ident not in self._in_scope and len(chain) < 64:
            chain.append(ident)
            if ident in self._roots:
                break
            ident = self._parent_id(ident)
        found = bool(chain and chain[-1] in self._roots) or (ident is not None and self._in_scope.get(ident, False))
        for seen in chain:
            self._in_scope[seen] = found
        return found

    def _parent_id(self, ident: str) -> str | None:
        if ident not in self._parents:
            return None  # reached through a parent whose own parent was read below
        parent = self._parents[ident]
        if parent is None:
            return None
        kind, above = parent
        if above not in self._parents:
            retrieve = {"page": self.client.pages.retrieve, "database": self.client.databases.retrieve,
                        "block": self.client.blocks.retrieve}[kind]
            try:
                answer = self._call(lambda: retrieve(above))
                self._parents[above] = _parent(answer.get("parent"))
            except FetchFailed as exc:
                if exc.status not in (403, 404):
                    raise
                self._parents[above] = None  # not shared with the integration: the chain ends here
        return above

    # -- talking to Notion ------------------------------------------------------------------------------------
    def _search(self) -> Iterator[list[dict]]:
        """Pages shared with the integration, newest edit first, a page of results at a time; ``next_cursor`` is
        followed while ``has_more`` says so, however few results a page held."""
        cursor: str | None = None
        while True:
            body = {"filter": {"property": "object", "value": "page"}, "page_size": PAGE_SIZE,
                    "sort": {"direction": "descending", "timestamp": "last_edited_time"},
                    **({"start_cursor": cursor} if cursor else {})}
            answer = self._call(lambda: self.client.search(**body))
            results = answer.get("results")
            if not isinstance(results, list):
                raise FetchFailed("Notion answered a search without results")
            yield [page for page in results if page.get("object") == "page" and page.get("id")]
            cursor = answer.get("next_cursor")
            if not answer.get("has_more") or not cursor:
                return

    def _call(self, call: Callable[[], dict]) -> dict:
        """One request, paced and retried; Notion's errors turned into what ``with_retries`` reads."""
        import httpx
        from notion_client.errors import HTTPResponseError, RequestTimeoutError

        def attempt() -> dict:
            self._pace.wait()
            try:
                answer = call()
            except HTTPResponseError as exc:
                response = requests.Response()
                response.status_code, response.headers = exc.status, CaseInsensitiveDict(exc.headers)
                raise requests.HTTPError(f"HTTP {exc.status}", response=response) from None
            except RequestTimeoutError:
                raise requests.Timeout() from None
            except json.JSONDecodeError:
                raise EmptyBody() from None
            except httpx.TransportError as exc:
                raise requests.ConnectionError(exc.__class__.__name__) from None
            if not isinstance(answer, dict):
                raise EmptyBody()
            return answer

        return with_retries(attempt, self.policy)

    def _unavailable(self, what: str, exc: FetchFailed) -> str:
        if exc.status in (401, 403):
            return f"Notion at {self.options.api_url} refused the token in {self.options.token_env} (HTTP {exc.status})"
        return f"cannot {what} in Notion at {self.options.api_url}: {exc}"

    # -- the cursor -----------------------------------------------------------------------------------------
    def _scope(self) -> str:
        """What a cursor covers: one from other root pages would skip their older pages."""
        return ",".join(sorted(self._roots)) or "*"

    def _since(self, cursor: str | None) -> datetime | None:
        return since_of(cursor, self._scope())

    def _position(self, since: datetime | None) -> str:
        return time_cursor(self._scope(), since)


class _Pace:
    """At most ``per_second`` requests a second, spaced evenly: Notion answers a faster integration with 429s."""

    def __init__(self, per_second: float) -> None:
        self.gap, self.next, self.lock = 1.0 / per_second, 0.0, threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            delay = self.next - now
            self.next = max(now, self.next) + self.gap
        if delay > 0:
            time.sleep(delay)


def _version(page: dict) -> str:
    """``last_edited_time``; while an edit in the same minute could still follow, a provisional version that
    matches no other, so the body is read at each run until it settles (its content hash spares the embedding)."""
    edited = page.get("last_edited_time") or ""
    when, now = parse_time(edited), datetime.now(timezone.utc)
    if when is not None and now - when < SETTLING:
        return f"{edited} (settling, read {now.isoformat()})"
    return edited


def _title(page: dict) -> str | None:
    from knowledge.sources.notion_blocks import rich_text

    for prop in (page.get("properties") or {}).values():
        if isinstance(prop, dict) and prop.get("type") == "title":
            return rich_text(prop.get("title")).strip() or None
    return None


def _parent(parent: dict | None) -> tuple[str, str] | None:
    """A parent reference as (kind, plain id); None at the workspace. A database row's parent names its data
    source and, since API 2025-09-03, its database too: the database is what sits in the page tree."""
    parent = parent or {}
    for field, kind in (("database_id", "database"), ("page_id", "page"), ("block_id", "block")):
        if parent.get(field):
            return kind, _plain(parent[field])
    return None


def _trashed(page: dict) -> bool:
    return bool(page.get("archived") or page.get("in_trash"))


def _plain(ident: str) -> str:
    return ident.replace("-", "").lower()
