"""Confluence spaces (``type = "confluence"``), Cloud or Data Center: pages, and optionally blog posts and attachments.

Each run asks CQL for what changed since the cursor, oldest first (``lastmodified >= "…" order by lastmodified``), and
reads a page's body only when its version number differs from the stored one. The page id is the key
(``page/123``, ``blogpost/456``, ``attachment/789``), so a renamed or moved page is changed, not removed and added.
Deletions are found by listing the live ids (``keys``). Bodies come in the storage format and are handed over as
Markdown (``confluence_storage``); a page with view restrictions, its own or a parent page's, is handed over as
restricted, so the engine skips and reports it.

CQL reads dates to the minute on the wall clock of the account's time zone. The window therefore starts
``overlap_minutes`` before the newest change already seen, rounded down, written in the zone Confluence names for
the account (Cloud says; Data Center does not, so ``time_zone`` or else UTC-12, which starts early in any zone).
Paging follows what the server sends (``_links.next``, else ``start`` plus what came), never the ``limit`` asked
for: Data Center caps it without saying so, and Cloud pages searches with cursors. Paging by position can skip a
result when a page listed earlier changes meanwhile; such a page shows up again at the end, and the cursor then
stays before its first sighting, so the next run lists that stretch again.

The client is atlassian-python-api's ``ConfluenceServer``, for Cloud too (``cloud=True``: the v1 REST API under
``/wiki``): its 5.x ``Confluence(cloud=True)`` sends v1 calls without ``/rest/api``. Its own sleep on a 429's
Retry-After (once, up to half an hour) is turned off, so ``retrying.with_retries`` paces every call; an empty body
comes back from it as ``None`` and is retried; errors it wraps in ``ApiError`` are unwrapped for their status.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal, Mapping
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from pydantic import Field, field_validator

from knowledge.loaders import media_type_of, suffix_for
from knowledge.sources.confluence_storage import storage_to_markdown
from knowledge.sources.documents import (OPEN, Access, Change, Checkpoint, Failed, Removed, SourceDocument, Stored,
                                         Unchanged)
from knowledge.sources.options import Secrets, SourceConfigError, SourceOptions
from knowledge.sources.retrying import EmptyBody, FetchFailed, RetryPolicy, http_session, with_retries
from knowledge.sources.since import parse_time, since_of, time_cursor
from knowledge.sources.source import ListingIncomplete, SourceUnavailable

PAGE_SIZE = 100  # results asked for per search; the server may send fewer
EARLIEST_ZONE = timezone(timedelta(hours=-12))  # a CQL date read in any real zone is no later than in this one
PAGE_EXPAND = ("body.storage,version,space,ancestors,"
               "restrictions.read.restrictions.user,restrictions.read.restrictions.group")
ACCESS_EXPAND = "ancestors,restrictions.read.restrictions.user,restrictions.read.restrictions.group"
ATTACHMENT_EXPAND = "version,space,container"
GONE = "deleted in Confluence, or no longer visible to this account"


class ConfluenceOptions(SourceOptions):
    type: Literal["confluence"]
    url: str  # Cloud: https://acme.atlassian.net/wiki; Data Center: https://wiki.acme.com (with any context path)
    spaces: list[str] = Field(min_length=1)  # space keys, e.g. ["HR", "IT"]
    cloud: bool | None = None  # None: Cloud when the address is on atlassian.net
    user_env: str | None = None  # the variable holding the account's email (Cloud) or user name (Data Center)
    token_env: str  # the variable holding an API token (Cloud) or a personal access token (Data Center)
    blog_posts: bool = False
    attachments: bool = False  # files attached to the pages, of the types Lorebot reads (PDF, Word, Markdown, text)
    time_zone: str | None = None  # the zone CQL dates are read in; default: the account's, when Confluence says
    overlap_minutes: int = Field(default=15, ge=1)  # each run looks this far behind the newest change seen

    @field_validator("url")
    @classmethod
    def _address(cls, url: str) -> str:
        if urlparse(url).scheme not in {"http", "https"} or not urlparse(url).hostname:
            raise ValueError("must be an http(s) address, e.g. https://acme.atlassian.net/wiki")
        return url.rstrip("/")

    @field_validator("spaces")
    @classmethod
    def _keys(cls, spaces: list[str]) -> list[str]:
        keys = [space.strip() for space in spaces]
        if not all(keys):
            raise ValueError("space keys must not be empty")
        return keys

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {name!r} (use a name such as Europe/Berlin)") from None
        return name

    @property
    def is_cloud(self) -> bool:
        if self.cloud is not None:
            return self.cloud
        host = urlparse(self.url).hostname or ""
        return host.endswith(".atlassian.net")

    def open(self, name: str, *, home: Path, secrets: Secrets,
             policy: RetryPolicy | None = None) -> "ConfluenceSource":
        if self.is_cloud and self.user_env is None:
            raise SourceConfigError(f"sources.{name}.user_env: Confluence Cloud signs in with an email and an API "
                                    "token; name the variable that holds the email")
        user = self.secret(name, "user_env", self.user_env, secrets)
        token = self.secret(name, "token_env", self.token_env, secrets)
        return ConfluenceSource(self, user=user, token=token, policy=policy or RetryPolicy())


@dataclass(frozen=True)
class _Listed:
    """One search result: enough to decide whether its body must be read."""

    key: str
    kind: str
    id: str
    version: str | None
    when: datetime | None
    url: str | None


class ConfluenceSource:
    def __init__(self, options: ConfluenceOptions, *, user: str | None, token: str, policy: RetryPolicy) -> None:
        from atlassian import ConfluenceServer
        from atlassian.errors import ApiError

        self.options, self.policy = options, policy
        self.base = options.url
        self.kinds = ["page"] + ["blogpost"] * options.blog_posts + ["attachment"] * options.attachments
        credentials = {"username": user, "password": token} if user else {"token": token}
        self.client = ConfluenceServer(self.base, cloud=options.is_cloud, session=http_session(),
                                       timeout=int(policy.timeout), retry_with_header=False, **credentials)
        self._wrapped_error = ApiError
        self._zone: tzinfo | None = None  # known once connected
        self._links_base = self.base
        self._access: dict[str, Access] = {}  # by page id (pages above) and "page/ID" (attachments' pages)
        self._fetched: set[str] = set()  # keys read this run through ``fetch`` (earlier failures)

    # -- the seam -------------------------------------------------------------------------------------------
    def changes(self, cursor: str | None, stored: Mapping[str, Stored]) -> Iterator[Change]:
        self._connect()
        since = self._since(cursor)
        mark = _Mark(since)
        first: dict[str, datetime | None] = {}  # id -> when it was first listed this run
        try:
            for results, shrank in self._search(self._cql(since) + " order by lastmodified asc", "content.version"):
                if shrank:
                    mark.shifted(mark.start)  # deleted meanwhile: anything after it may have moved up unseen
                for result in results:
                    listed = self._listed(result)
                    if listed is None:
                        continue
                    if listed.id in first:
                        mark.shifted(first[listed.id])  # changed while listed: what followed it moved up
                    first.setdefault(listed.id, listed.when)
                    yield self._changed(listed, stored.get(listed.key))
                    mark.seen(listed.when)
                yield Checkpoint(self._position(mark))
        except FetchFailed as exc:
            raise SourceUnavailable(f"cannot list the changed pages of {self._spaces()} in Confluence at "
                                    f"{self.base}: {exc}") from None
        yield Checkpoint(self._position(mark))

    def fetch(self, key: str, stored: Stored | None) -> SourceDocument | Unchanged | Removed | Failed:
        self._connect()
        self._fetched.add(key)
        kind, _, ident = key.partition("/")
        if kind not in self.kinds or not ident:
            return Removed(key, "no longer synced (blog_posts and attachments say which kinds are)")
        return self._read(_Listed(key, kind, ident, None, None, stored.url if stored else None), stored)

    def keys(self) -> Iterable[str]:
        self._connect()
        keys: list[str] = []
        try:
            for results, shrank in self._search(self._cql(None) + " order by created asc"):
                if shrank:
                    raise ListingIncomplete("pages were deleted while the list was read, so some may have been "
                                            "skipped; the next run reads it again")
                keys.extend(listed.key for listed in map(self._listed, results) if listed is not None)
        except FetchFailed as exc:
            raise ListingIncomplete(f"listing the pages of {self._spaces()} stopped part-way: {exc}") from None
        return keys

    def close(self) -> None:
        self.client.close()

    # -- reading one page, blog post or attachment --------------------------------------------------------------
    def _changed(self, listed: _Listed, stored: Stored | None) -> Change:
        if listed.key in self._fetched:
            return Unchanged(listed.key)  # read a moment ago as an earlier failure; the engine has it
        if stored is not None and listed.version is not None and stored.version == listed.version:
            return Unchanged(listed.key)
        return self._read(listed, stored)

    def _read(self, listed: _Listed, stored: Stored | None) -> SourceDocument | Unchanged | Removed | Failed:
        try:
            if listed.kind == "attachment":
                return self._attachment(listed, stored)
            return self._page(listed, stored)
        except FetchFailed as exc:
            if exc.status in (404, 410):
                return Removed(listed.key, GONE)
            return Failed(listed.key, listed.url, str(exc))

    def _page(self, listed: _Listed, stored: Stored | None) -> SourceDocument | Unchanged | Removed | Failed:
        content = self._get(lambda: self.client.get_page_by_id(listed.id, expand=PAGE_EXPAND))
        url = self._link(content) or listed.url
        moved = self._elsewhere(listed.key, content)
        if moved is not None:
            return moved
        version, when, author = _version(content)
        if stored is not None and version is not None and stored.version == version:
            return Unchanged(listed.key)
        storage = ((content.get("body") or {}).get("storage") or {}).get("value")
        if storage is None:
            return Failed(listed.key, url, "Confluence sent the page without its body; it is read again next run")
        try:
            text = storage_to_markdown(storage)
        except Exception as exc:  # noqa: BLE001 - the parsers raise many kinds on damaged markup
            return Failed(listed.key, url, f"cannot read the page's markup ({exc.__class__.__name__})")
        if not text:
            return Removed(listed.key, "the page has no text")
        return SourceDocument(key=listed.key, data=text.encode("utf-8"), media_type="text/markdown",
                              title=content.get("title"), url=url, modified=when, author=author, version=version,
                              access=self._access_of(content))

    def _attachment(self, listed: _Listed, stored: Stored | None) -> SourceDocument | Unchanged | Removed | Failed:
        content = self._get(lambda: self.client.get(f"content/{listed.id}", params={"expand": ATTACHMENT_EXPAND}))
        url = self._link(content) or listed.url
        moved = self._elsewhere(listed.key, content)
        if moved is not None:
            return moved
        media_type = _attachment_type(content)
        if media_type is None:
            return Removed(listed.key, "not a file type Lorebot reads")
        version, when, author = _version(content)
        if stored is not None and version is not None and stored.version == version:
            return Unchanged(listed.key)
        page = str((content.get("container") or {}).get("id") or "")
        access = self._attachment_access(page) if page else OPEN
        data = b"" if access.restricted else self._download(page, listed.id, content)
        return SourceDocument(key=listed.key, data=data, media_type=media_type, title=content.get("title"),
                              url=url, modified=when, author=author, version=version, access=access)

    def _download(self, page: str, ident: str, content: dict) -> bytes:
        link = (content.get("_links") or {}).get("download")
        if self.options.is_cloud or not link:  # Cloud's download links are deprecated; this is its REST route
            link = f"rest/api/content/{page}/child/attachment/{ident}/download"

        def attempt() -> bytes:
            data = self._unwrapped(lambda: self.client.get(link, not_json_response=True))
            if not data:
                raise EmptyBody()
            return data

        return with_retries(attempt, self.policy)

    def _elsewhere(self, key: str, content: dict) -> Removed | None:
        """Removed when the content left the synced spaces or sits in the trash (it then still answers by id)."""
        space = (content.get("space") or {}).get("key")
        if space and space not in self.options.spaces:
            return Removed(key, f"moved to space {space}, which is not synced")
        if content.get("status") not in (None, "current"):
            return Removed(key, f"{content.get('status')} in Confluence")
        return None

    # -- who may read it ------------------------------------------------------------------------------------
    def _access_of(self, content: dict, whose: str = "") -> Access:
        """Restricted when the page, or any page above it, has view restrictions (children inherit them).
        ``whose`` names the page in the reason when the document is not the page itself ("its page is ")."""
        own = _restricted_to((content.get("restrictions") or {}).get("read") or {})
        if own:
            return Access(restricted=True, detail=f"{whose}view restricted to {own}")
        for ancestor in content.get("ancestors") or []:
            above = self._ancestor_access(str(ancestor.get("id")), ancestor.get("title") or "")
            if above.restricted:
                return above
        return OPEN

    def _ancestor_access(self, page: str, title: str) -> Access:
        """The view restrictions of a page above a synced one, read once a run (siblings share their parents)."""
        if page not in self._access:
            try:
                answer = self._get(lambda: self.client.get(
                    f"rest/api/content/{page}/restriction/byOperation/read",
                    params={"expand": "restrictions.user,restrictions.group"}))
                who = _restricted_to(answer)
                state = f"view restricted to {who}" if who else ""
            except FetchFailed as exc:
                if exc.status not in (403, 404):
                    raise
                state = "hidden from this account"  # so restricted to others
            self._access[page] = (Access(restricted=True, detail=f"the page above it, {title!r}, is {state}")
                                  if state else OPEN)
        return self._access[page]

    def _attachment_access(self, page: str) -> Access:
        """An attachment is read by whoever may read its page: the page's access, read once a run."""
        key = f"page/{page}"
        if key not in self._access:
            try:
                content = self._get(lambda: self.client.get_page_by_id(page, expand=ACCESS_EXPAND))
                self._access[key] = self._access_of(content, whose="its page is ")
            except FetchFailed as exc:
                if exc.status not in (403, 404):
                    raise
                self._access[key] = Access(restricted=True, detail="its page is hidden from this account")
        return self._access[key]

    # -- talking to Confluence --------------------------------------------------------------------------------
    def _connect(self) -> None:
        """Check the address, the credentials and the spaces once, and learn the zone CQL dates are read in."""
        if self._zone is not None:
            return
        try:
            me = self._get(self.client.get_current_user)
        except FetchFailed as exc:
            if exc.status in (401, 403):
                raise SourceUnavailable(f"Confluence at {self.base} refused the credentials in "
                                        f"{self._credential_names()} (HTTP {exc.status})") from None
            raise SourceUnavailable(f"cannot reach Confluence at {self.base}: {exc}") from None
        if me.get("type") == "anonymous":
            raise SourceUnavailable(f"Confluence at {self.base} took the credentials in {self._credential_names()} "
                                    "for an anonymous visitor; check them")
        for space in self.options.spaces:
            try:
                self._get(lambda: self.client.get_space(space))
            except FetchFailed as exc:
                if exc.status == 404:
                    raise SourceUnavailable(f"space {space} is not in Confluence at {self.base}, or this account "
                                            "cannot see it") from None
                raise SourceUnavailable(f"cannot read space {space} in Confluence at {self.base}: {exc}") from None
        zone = self.options.time_zone or me.get("timeZone")
        try:
            self._zone = ZoneInfo(zone) if zone else EARLIEST_ZONE
        except (ZoneInfoNotFoundError, ValueError):
            self._zone = EARLIEST_ZONE

    def _search(self, cql: str, expand: str | None = None) -> Iterator[tuple[list[dict], bool]]:
        """Each page of results as the server sends it, and whether the count of all results went down since the
        page before (results were deleted meanwhile, so those after them moved up a place and one may be skipped)."""
        answer = self._get(lambda: self.client.cql(cql, start=0, limit=PAGE_SIZE, expand=expand))
        start, total = 0, None
        while True:
            results = answer.get("results")
            if not isinstance(results, list):
                raise FetchFailed("Confluence answered a search without results")
            links = answer.get("_links") or {}
            self._links_base = links.get("base") or self._links_base
            size = answer.get("totalSize")
            yield results, isinstance(size, int) and total is not None and size < total
            total = size if isinstance(size, int) else total
            if not results:
                return
            start += len(results)
            following = links.get("next")
            if following:
                address = self._follow(following)
                answer = self._get(lambda: self.client.get(address, absolute=True))
            elif isinstance(answer.get("totalSize"), int) and start < answer["totalSize"]:
                answer = self._get(lambda: self.client.cql(cql, start=start, limit=PAGE_SIZE, expand=expand))
            else:
                return

    def _follow(self, link: str) -> str:
        """The absolute address of a ``_links.next``, which is relative to the base (``/wiki`` on Cloud included);
        credentials go to no other host."""
        base = urlparse(self.base)
        origin = f"{base.scheme}://{base.netloc}"
        if "://" in link:
            if not link.startswith(origin + "/"):
                raise FetchFailed("Confluence pointed the next page of results at another address")
            return link
        context = base.path.rstrip("/")
        if context and link.startswith(context + "/"):
            return origin + link
        return self.base + "/" + link.lstrip("/")

    def _get(self, call: Callable[[], object]) -> dict:
        """One JSON object from Confluence, with retries; ``FetchFailed`` when it cannot be had."""

        def attempt() -> dict:
            value = self._unwrapped(call)
            if value is None:
                raise EmptyBody()
            if not isinstance(value, dict):
                raise FetchFailed(f"Confluence at {self.base} answered with something other than JSON; check url")
            return value

        return with_retries(attempt, self.policy)

    def _unwrapped(self, call: Callable[[], object]) -> object:
        """``call()``, with the HTTP error some client methods wrap in ``ApiError`` raised as itself."""
        try:
            return call()
        except self._wrapped_error as exc:
            if isinstance(exc.reason, requests.HTTPError):
                raise exc.reason from None
            raise FetchFailed(str(exc)) from None

    # -- small helpers ----------------------------------------------------------------------------------------
    def _listed(self, result: dict) -> _Listed | None:
        content = result.get("content") or {}
        kind, ident = content.get("type"), content.get("id")
        if kind not in self.kinds or not ident:
            return None
        if kind == "attachment" and _attachment_type(content) is None:
            return None
        version = content.get("version") or {}
        number = version.get("number")
        return _Listed(f"{kind}/{ident}", kind, str(ident), str(number) if number is not None else None,
                       parse_time(version.get("when")) or parse_time(result.get("lastModified")), self._link(content))

    def _link(self, content: dict) -> str | None:
        webui = (content.get("_links") or {}).get("webui")
        return self._links_base.rstrip("/") + webui if webui else None

    def _cql(self, since: datetime | None) -> str:
        spaces = ",".join(_quoted(space) for space in self.options.spaces)
        clauses = [f"space in ({spaces})", f"type in ({','.join(self.kinds)})"]
        if since is not None:
            start = since - timedelta(minutes=self.options.overlap_minutes)
            clauses.append(f'lastmodified >= "{cql_time(start, self._zone or EARLIEST_ZONE)}"')
        return " and ".join(clauses)

    def _scope(self) -> str:
        """What a cursor covers: a cursor from other spaces or kinds would skip their older pages."""
        return ",".join(sorted(self.options.spaces)) + "|" + ",".join(self.kinds)

    def _since(self, cursor: str | None) -> datetime | None:
        return since_of(cursor, self._scope())

    def _position(self, mark: "_Mark") -> str | None:
        since = mark.cursor()
        if since is None:
            return None
        return time_cursor(self._scope(), since)

    def _spaces(self) -> str:
        return ", ".join(self.options.spaces)

    def _credential_names(self) -> str:
        names = [name for name in (self.options.user_env, self.options.token_env) if name]
        return " and ".join(names)


class _Mark:
    """How far a run got (the newest change it handled), held back to where a result may have been skipped."""

    def __init__(self, since: datetime | None) -> None:
        self.start = self.newest = since
        self.floor: datetime | None = None
        self.rewound = False  # True with floor None: from the very start

    def seen(self, when: datetime | None) -> None:
        if when is not None and (self.newest is None or when > self.newest):
            self.newest = when

    def shifted(self, at: datetime | None) -> None:
        if not self.rewound or (self.floor is not None and (at is None or at < self.floor)):
            self.floor, self.rewound = at, True

    def cursor(self) -> datetime | None:
        if not self.rewound:
            return self.newest
        if self.floor is None or self.newest is None:
            return None
        return min(self.floor, self.newest)


def cql_time(moment: datetime, zone: tzinfo) -> str:
    """``moment`` as CQL reads a date: to the minute (rounded down) on ``zone``'s wall clock. In the hour a clock
    goes back, that wall time happens twice and Confluence may read the later one, so an hour earlier is written."""
    local = moment.astimezone(zone)
    if local.fold == 0 and local.replace(fold=1).utcoffset() != local.utcoffset():
        local = (moment - timedelta(hours=1)).astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M")


def _version(content: dict) -> tuple[str | None, datetime | None, str | None]:
    """The version number (the document's version), when it was made and by whom."""
    version = content.get("version") or {}
    number = version.get("number")
    by = version.get("by") or {}
    author = by.get("displayName") or by.get("publicName") or by.get("username")
    return (str(number) if number is not None else None), parse_time(version.get("when")), author


def _restricted_to(operation: dict) -> str:
    """Who a read restriction names ("2 people and 1 group"); empty when there is none."""
    restrictions = operation.get("restrictions") or {}
    counts = []
    for kind, one, many in (("user", "person", "people"), ("group", "group", "groups")):
        found = restrictions.get(kind) or {}
        count = len(found.get("results") or []) or int(found.get("size") or 0)
        if count:
            counts.append(f"{count} {one if count == 1 else many}")
    return " and ".join(counts)


def _attachment_type(content: dict) -> str | None:
    """The media type of an attachment Lorebot can read (by its name, else what Confluence says); None otherwise."""
    named = media_type_of(content.get("title") or "")
    if named:
        return named
    said = ((content.get("extensions") or {}).get("mediaType") or "").lower()
    return said if said and suffix_for(said) else None


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
