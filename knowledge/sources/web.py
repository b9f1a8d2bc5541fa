"""Websites (``type = "web"``): the pages a sitemap lists, or those a crawl from a start page finds under its folder.

A page's key is its address (normalised, without a fragment) and that address is the answer's link. Pages are
read eight at a time on one keep-alive session, in a fixed order so a killed run resumes where it stopped:
a sitemap's pages sorted by address (the cursor is the last one done), a crawl's breadth first from the start
page. Unchanged pages cost no body. While a sitemap is exactly what the last run read, a page whose
``<lastmod>`` is no newer than the stored date is not requested at all; once the sitemap differs (the site is
being edited), every stored page is asked for again, conditionally (If-None-Match / If-Modified-Since), so a 304 is
all an unchanged page costs and a page that started failing is noticed and named; the engine's content hashes
catch the rest. A crawl needs each page's links even when the page answers
304, so its cursor keeps the link graph of the last run (compressed); a page whose links are not known is read
whole. robots.txt is obeyed: a disallowed page is never requested and is not a live key, and a ``Crawl-delay``
makes the pages go one at a time with that pause. The HTML loader keeps only a page's main content
(readability-lxml), so navigation, cookie banners and footers are not indexed.
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Annotated, Callable, Iterable, Iterator, Literal, Mapping

from pydantic import Field, field_validator

from knowledge.sources.documents import Change, Checkpoint, Failed, Removed, SourceDocument, Stored, Unchanged
from knowledge.sources.options import Secrets, SourceOptions
from knowledge.sources.retrying import USER_AGENT, RetryPolicy
from knowledge.sources.source import ListingIncomplete, SourceUnavailable
from knowledge.sources.web_site import Read, Scope, Site, page_key
from knowledge.urls import web_url

DEFAULT_MAX_PAGES = 10_000
WORKERS = 8  # pages read at once (one at a time when robots.txt asks for a crawl delay)
CHECKPOINT_EVERY = 50  # pages between checkpoints of a sitemap's run
CRAWL_CHECKPOINT_EVERY = 200  # a crawl's checkpoint carries its link graph, so it comes less often
CHECKPOINT_SECONDS = 10.0  # ...or this long, whichever comes first: a slow site's progress is kept too
SITEMAP_SUFFIXES = (".xml", ".xml.gz")


class WebOptions(SourceOptions):
    type: Literal["web"]
    url: str  # a sitemap (index) such as https://intranet.example.com/sitemap.xml, or a start page to crawl from
    include: list[str] = Field(default_factory=list)  # address prefixes, "/handbook/hr/" or absolute; empty: all
    exclude: list[str] = Field(default_factory=list)
    max_pages: Annotated[int, Field(ge=1)] = DEFAULT_MAX_PAGES
    token_env: str | None = None  # the variable holding a bearer token, for a site that asks for one
    user_agent: str = USER_AGENT  # also the name robots.txt rules are matched against

    @field_validator("url")
    @classmethod
    def _web_address(cls, url: str) -> str:
        if web_url(url) is None or page_key(url) is None:
            raise ValueError("must be an absolute http(s) address, e.g. https://intranet.example.com/sitemap.xml")
        return url

    @field_validator("include", "exclude")
    @classmethod
    def _prefixes(cls, prefixes: list[str]) -> list[str]:
        for prefix in prefixes:
            if not prefix.startswith("/") and page_key(prefix) is None:
                raise ValueError(f"{prefix!r}: use a path on the site (\"/handbook/hr/\") or an absolute address")
        return prefixes

    def open(self, name: str, *, home: Path, secrets: Secrets) -> "WebSource":
        return WebSource(self, token=self.secret(name, "token_env", self.token_env, secrets))


class WebSource:
    """A website on the sync engine. ``policy`` sets the patience with a busy site (tests pass a quick one).

    What it learns in a run (the live pages, the pages a retry read) is kept for that run's ``keys``; robots.txt is
    read again after ``web_site.ROBOTS_MAX_AGE``, so one source may serve run after run."""

    def __init__(self, options: WebOptions, *, token: str | None = None, policy: RetryPolicy | None = None) -> None:
        self.options = options
        self.start = page_key(options.url)
        self.from_sitemap = is_sitemap(self.start)
        scope = Scope.of(self.start, options.include, options.exclude, crawl=not self.from_sitemap)
        self.site = Site(scope, user_agent=options.user_agent, token=token, policy=policy or RetryPolicy())
        self._live: set[str] | None = None  # the pages found this run: the live keys
        self._incomplete: str | None = None  # why the pages found this run may not be all of them
        self._lastmod: dict[str, datetime | None] = {}
        self._retried: dict[str, Read] = {}  # pages ``fetch`` read this run, so a crawl reuses their links

    # -- the seam -------------------------------------------------------------------------------------------
    def changes(self, cursor: str | None, stored: Mapping[str, Stored]) -> Iterator[Change]:
        position = json.loads(cursor) if cursor else {}
        if position.get("mode") != ("sitemap" if self.from_sitemap else "crawl"):
            position = {}  # the address changed from a sitemap to a start page, or back
        self._live, self._incomplete = None, None
        try:
            self.site.robots()
            if self.from_sitemap:
                yield from self._sitemap_changes(position.get("after"), position.get("listing"), stored)
            else:
                yield from self._crawl_changes(_decode_graph(position.get("graph")), stored)
        finally:
            self._retried.clear()  # this run's retries are over; the next run reads those pages afresh

    def fetch(self, key: str, stored: Stored | None) -> SourceDocument | Unchanged | Removed | Failed:
        if not self.site.scope.wants(key):
            return Removed(key, "outside the pages this source reads")
        if not self.site.allows(key):
            return Removed(key, "disallowed by robots.txt")
        # A crawl reads a retried page whole: its links are wanted, and a 304 would not carry them.
        read = self.site.read(key, stored if self.from_sitemap else None, None, crawl=not self.from_sitemap)
        self._retried[key] = read
        return read.change or Removed(key, "no longer an HTML page")

    def keys(self) -> Iterable[str]:
        if self._live is None:
            if not self.from_sitemap:
                raise ListingIncomplete("the site was not crawled in this run")
            self._list_sitemap()
        if self._incomplete:
            raise ListingIncomplete(self._incomplete)
        return sorted(self._live)

    def close(self) -> None:
        self.site.close()

    # -- a sitemap ------------------------------------------------------------------------------------------------
    def _list_sitemap(self) -> list[str]:
        """The wanted pages of the sitemap, at most ``max_pages`` (the first it lists), sorted; robots.txt's
        disallowed pages are not among them."""
        pages, self._incomplete = self.site.sitemap(self.start)
        wanted: dict[str, datetime | None] = {}
        listed = 0
        for key, lastmod in pages:
            listed += 1
            if key not in wanted and self._wanted(key):
                wanted[key] = lastmod
                if len(wanted) >= self.options.max_pages:
                    break
        if listed and not wanted:
            raise SourceUnavailable(f"none of the {listed} pages the sitemap lists may be read: they are on "
                                    "another site, outside include/exclude, or disallowed by robots.txt")
        self._lastmod = wanted
        self._live = set(wanted)
        return sorted(wanted)

    def _sitemap_changes(self, after: str | None, before: str | None, stored: Mapping[str, Stored]) -> Iterator[Change]:
        """The sitemap's pages in address order. ``before`` is the fingerprint of the sitemap the last finished run
        read: while the sitemap is exactly as it was, each page's ``<lastmod>`` is trusted and an unchanged page
        costs no request at all; once the site has been edited (the sitemap differs), every stored page is asked
        for again conditionally, so a page that started failing is noticed and named."""
        listing = self._list_sitemap()
        fingerprint = _fingerprint(self._lastmod)
        trusted = before == fingerprint
        keys = [key for key in listing if after is None or key > after]

        def read(key: str) -> Read:
            return self._retried.get(key) or self.site.read(key, stored.get(key), self._lastmod[key], crawl=False,
                                                            trust_lastmod=trusted)

        due = _Due(CHECKPOINT_EVERY)
        for key, page in self._in_order(deque(keys), read):
            if page.change is not None:
                yield page.change
            if due():
                yield Checkpoint(json.dumps({"mode": "sitemap", "after": key, "listing": before}))
        yield Checkpoint(json.dumps({"mode": "sitemap", "listing": fingerprint}))

    # -- a crawl --------------------------------------------------------------------------------------------------
    def _crawl_changes(self, known: dict[str, list[str]], stored: Mapping[str, Stored]) -> Iterator[Change]:
        """Breadth first from the start page. ``known`` is the link graph of the last run: a page whose links it
        holds is asked for conditionally, and its 304 reuses them; any other page is read whole. The start page
        is always read for its links, and synced only when ``include``/``exclude`` want it."""
        if not self.site.allows(self.start):
            raise SourceUnavailable(f"robots.txt does not allow reading the start page {self.start}")
        graph: dict[str, list[str]] = {}
        live: set[str] = set()
        queue, seen = deque([self.start]), {self.start}

        def read(url: str) -> Read:
            if url in self._retried:
                return self._retried[url]
            return self.site.read(url, stored.get(url) if url in known else None, None, crawl=True)

        done, due = 0, _Due(CRAWL_CHECKPOINT_EVERY)
        for url, page in self._in_order(queue, read):
            change = page.change
            if url == self.start:
                _check_start(url, change)
            if change is None or isinstance(change, Removed):
                if change is not None:
                    yield change
                continue
            links = page.links if page.links is not None else known.get(url)
            if links is not None:
                graph[url] = links
            elif isinstance(change, Failed):
                self._incomplete = (f"{url} could not be read ({change.reason}), so the pages it links to are "
                                    "not known")
            for link in links or ():
                if link not in seen and self._wanted(link):
                    seen.add(link)
                    queue.append(link)
            if not self.site.scope.wants(url):
                continue  # the start page, read for its links only
            live.add(url)
            yield change
            done += 1
            if done >= self.options.max_pages:
                break
            if due():
                yield Checkpoint(json.dumps({"mode": "crawl", "graph": _encode_graph({**known, **graph})}))
        self._live = live
        yield Checkpoint(json.dumps({"mode": "crawl", "graph": _encode_graph(graph)}))

    def _wanted(self, url: str) -> bool:
        return self.site.scope.wants(url) and self.site.allows(url)

    # -- reading pages ---------------------------------------------------------------------------------------------
    def _in_order(self, queue: deque[str], read: Callable[[str], Read]) -> Iterator[tuple[str, Read]]:
        """``read`` each address of ``queue`` on a small thread pool, handing the results back in queue order;
        the caller may append to ``queue`` meanwhile (a crawl's new links)."""
        workers = 1 if self.site.crawl_delay else WORKERS
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lorebot-web")
        pending: deque[tuple[str, Future]] = deque()
        try:
            while queue or pending:
                while queue and len(pending) < 2 * workers:
                    url = queue.popleft()
                    pending.append((url, pool.submit(read, url)))
                url, future = pending.popleft()
                yield url, future.result()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


class _Due:
    """Whether a checkpoint is due: every ``pages`` pages, or after ``CHECKPOINT_SECONDS`` with a page done."""

    def __init__(self, pages: int) -> None:
        self.pages, self.count, self.since = pages, 0, time.monotonic()

    def __call__(self) -> bool:
        self.count += 1
        if self.count < self.pages and time.monotonic() - self.since < CHECKPOINT_SECONDS:
            return False
        self.count, self.since = 0, time.monotonic()
        return True


def _check_start(url: str, change: Change | None) -> None:
    """A crawl that cannot read its start page cannot read the site: the run stops and removes nothing."""
    if change is None:
        raise SourceUnavailable(f"the start page {url} is not an HTML page")
    if isinstance(change, (Removed, Failed)):
        raise SourceUnavailable(f"cannot read the start page {url}: {change.reason}")


def is_sitemap(url: str) -> bool:
    """A sitemap's address ends in .xml or .xml.gz, or names a sitemap; anything else is a page to crawl from."""
    path = url.split("?", 1)[0].lower()
    return path.endswith(SITEMAP_SUFFIXES) or "sitemap" in path.rsplit("/", 1)[-1]


def _encode_graph(graph: dict[str, list[str]]) -> str:
    """Pages and, by index, the pages each links to: compressed, since a site's links repeat on every page."""
    pages = sorted(set(graph) | {link for links in graph.values() for link in links})
    index = {page: number for number, page in enumerate(pages)}
    table = {"pages": pages, "links": {str(index[page]): [index[link] for link in links]
                                       for page, links in graph.items()}}
    return base64.b64encode(zlib.compress(json.dumps(table, separators=(",", ":")).encode(), 6)).decode()


def _fingerprint(listing: Mapping[str, datetime | None]) -> str:
    """What a sitemap said, as a short digest: its wanted pages and their lastmod dates."""
    digest = hashlib.sha256()
    for key in sorted(listing):
        stamp = listing[key]
        digest.update(f"{key}\t{stamp.isoformat() if stamp else ''}\n".encode())
    return digest.hexdigest()[:32]


def _decode_graph(value: str | None) -> dict[str, list[str]]:
    if not value:
        return {}
    try:
        table = json.loads(zlib.decompress(base64.b64decode(value)))
        pages = table["pages"]
        return {pages[int(page)]: [pages[link] for link in links] for page, links in table["links"].items()}
    except (ValueError, KeyError, IndexError, TypeError, zlib.error):
        return {}  # an unreadable cursor costs one whole read of every page, nothing more
