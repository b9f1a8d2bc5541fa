"""The website behind the web source: which addresses it may read, how politely, and one page read at a time.

Everything here answers "may we, and what did the site say": the scope (same site, under the start page's
folder when crawling, ``include``/``exclude`` prefixes), robots.txt (parsed by protego, read again after
``ROBOTS_MAX_AGE``; its ``Disallow`` keeps a page from ever being requested, even through a redirect, its
``Crawl-delay`` spaces every request), and a page read with a conditional GET (the stored ETag or Last-Modified),
turned into the values the sync engine knows: a 304 is ``Unchanged``, a 404 or 410 ``Removed``, a failure after
the retries of ``retrying`` a named ``Failed``. Sitemaps (indexes included) are parsed by ultimate-sitemap-parser
through the same requests, so they get the same patience and pacing; a sitemap that cannot be read is never taken
for an empty one. The bearer token is sent to the site itself only.
"""
from __future__ import annotations

import email.utils
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Callable, Iterator, Mapping
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from knowledge.ingesting import MAX_FILE_BYTES
from knowledge.loaders import MEDIA_TYPES, suffix_for
from knowledge.sources.documents import Change, Failed, Removed, SourceDocument, Stored, Unchanged
from knowledge.sources.retrying import EmptyBody, FetchFailed, RetryPolicy, http_session, with_retries
from knowledge.sources.source import SourceUnavailable

PAGE_TYPES = {"text/html", "application/xhtml+xml"}  # what a crawl reads, and follows links from
NOT_PAGES = frozenset(  # links a crawl never requests: their address already says they are not pages
    ".png .jpg .jpeg .gif .svg .webp .ico .bmp .tif .tiff .css .js .mjs .json .xml .rss .atom .zip .gz .tgz .tar "
    ".7z .rar .exe .dmg .msi .iso .mp3 .mp4 .m4a .wav .ogg .webm .mov .avi .woff .woff2 .ttf .eot .pdf .doc .docx "
    ".xls .xlsx .ppt .pptx .csv .txt .md".split())
MAX_SITEMAP_BYTES = 100 * 1024 * 1024
MAX_REDIRECTS = 5
ROBOTS_MAX_AGE = 3600.0  # seconds a robots.txt is trusted before it is read again
_SUFFIX_TYPES = {suffix: media_type for media_type, suffix in reversed(MEDIA_TYPES.items())}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NO_PAGE = frozenset({304, 404, 410})


def page_key(url: str, base: str | None = None) -> str | None:
    """A page's key and address: absolute, scheme and host in lower case, default port and fragment dropped.
    None for anything that is not an http(s) address (``mailto:``, ``javascript:``, a broken link)."""
    try:
        parts = urlsplit(urljoin(base, url.strip()) if base else url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    host = f"[{host}]" if ":" in host else host
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Scope:
    """The pages a source wants: on its site, under ``prefix`` (the crawl's start folder; the whole site for a
    sitemap), within an ``include`` prefix when there are any, and under no ``exclude`` prefix."""

    origin: str
    prefix: str
    start: str | None = None  # a crawl's start page, wanted even when it sits outside its own folder
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(cls, url: str, include: list[str], exclude: list[str], *, crawl: bool) -> "Scope":
        origin = origin_of(url)

        def absolute(prefixes: list[str]) -> tuple[str, ...]:
            return tuple(origin + prefix if prefix.startswith("/") else page_key(prefix) or prefix
                         for prefix in prefixes)

        prefix = folder_of(url) if crawl else origin + "/"
        return cls(origin, prefix, url if crawl else None, absolute(include), absolute(exclude))

    def wants(self, url: str) -> bool:
        if url != self.start and not url.startswith(self.prefix):
            return False
        if self.include and not url.startswith(self.include):
            return False
        return not url.startswith(self.exclude) if self.exclude else True


def folder_of(url: str) -> str:
    """What a crawl from ``url`` stays under: its folder (``/handbook/`` for ``/handbook/``,
    ``/handbook/index.html`` and ``/handbook``; a last part without a dot is taken for a folder)."""
    parts = urlsplit(url)
    path = parts.path
    if not path.endswith("/"):
        last = path.rsplit("/", 1)[-1]
        path = path[:len(path) - len(last)] if "." in last else path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@dataclass(frozen=True)
class Read:
    """One page read: what the engine is told (None: not a page this source takes), and the in-scope links of
    an HTML page whose body was read (None: not read, or not HTML)."""

    change: Change | None
    links: list[str] | None = None


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str


class Site:
    """One website: a keep-alive session (with the bearer token, if any), its robots.txt, its pace."""

    def __init__(self, scope: Scope, *, user_agent: str, token: str | None, policy: RetryPolicy,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.scope, self.user_agent, self.policy = scope, user_agent, policy
        self.session = http_session(user_agent)
        # The proxy and CA bundle the environment names for this site, looked up once rather than on every
        # request (a quarter of a 304's cost).
        found = self.session.merge_environment_settings(scope.origin + "/", {}, None, None, None)
        self.session.proxies.update(found["proxies"])
        self.session.verify = found["verify"]
        self.session.trust_env = False
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self._robots, self._robots_read = None, 0.0
        self._robots_lock = threading.Lock()
        self._clock = clock
        self._pace = _Pace(clock, policy.sleep)

    # -- what may be read ---------------------------------------------------------------------------------------
    def robots(self):
        """The site's robots.txt rules, read again after ``ROBOTS_MAX_AGE``: a missing one (any 4xx) allows
        everything; one that cannot be read (5xx, no connection) stops the run, as RFC 9309 asks."""
        with self._robots_lock:
            if self._robots is None or self._clock() - self._robots_read > ROBOTS_MAX_AGE:
                from protego import Protego

                url = self.scope.origin + "/robots.txt"
                try:
                    answer = self._get(url, passthrough=frozenset(range(400, 500)) - {429}, need_body=False,
                                       limit=MAX_SITEMAP_BYTES)
                except FetchFailed as exc:
                    raise SourceUnavailable(f"cannot read {url}: {exc}") from None
                text = answer.body.decode("utf-8", "replace") if answer.status == 200 else ""
                self._robots, self._robots_read = Protego.parse(text), self._clock()
                self._pace.delay = float(self._robots.crawl_delay(self.user_agent) or 0)
            return self._robots

    @property
    def crawl_delay(self) -> float:
        """Seconds between two requests, as robots.txt asks (0: no delay asked)."""
        self.robots()
        return self._pace.delay

    def allows(self, url: str) -> bool:
        """robots.txt lets this source read ``url``."""
        return self.robots().can_fetch(url, self.user_agent)

    # -- sitemaps -----------------------------------------------------------------------------------------------
    def sitemap(self, url: str) -> tuple[Iterator[tuple[str, datetime | None]], str | None]:
        """Each page the sitemap at ``url`` lists (through its indexes), in its order, with its lastmod; and why
        the listing is incomplete when a child sitemap could not be read. ``SourceUnavailable`` when ``url``
        itself cannot be read or is not a sitemap."""
        from usp.fetch_parse import SitemapFetcher
        from usp.objects.sitemap import InvalidSitemap

        tree = SitemapFetcher(url, 0, web_client=_sitemap_client(self)).sitemap()
        if isinstance(tree, InvalidSitemap):
            raise SourceUnavailable(f"cannot read the sitemap {url}: {_sitemap_reason(tree)}")
        broken = [child for child in tree.all_sitemaps() if isinstance(child, InvalidSitemap)]
        incomplete = (f"the sitemap {broken[0].url} could not be read ({_sitemap_reason(broken[0])})"
                      if broken else None)
        pages = ((page_key(page.url), _aware(page.last_modified)) for page in tree.all_pages())
        return ((key, lastmod) for key, lastmod in pages if key is not None), incomplete

    # -- pages --------------------------------------------------------------------------------------------------
    def read(self, key: str, stored: Stored | None, lastmod: datetime | None, *, crawl: bool,
             trust_lastmod: bool = False) -> Read:
        """The page at ``key`` as the engine should see it. ``stored`` is what is kept of it: its version (an ETag
        or Last-Modified) makes the GET conditional, so an unchanged page costs one 304, and a page that now fails
        is noticed and named. A sitemap ``lastmod`` no newer than the stored date skips the request when
        ``trust_lastmod`` (the sitemap is as it was), and always for a page the server gave no validator for
        (the alternative is a whole download)."""
        if (stored is not None and lastmod is not None and stored.modified is not None and lastmod <= stored.modified
                and (trust_lastmod or not stored.version)):
            return Read(Unchanged(key))
        try:
            answer = self._get(key, headers=_conditions(stored), passthrough=_NO_PAGE, follow=self._follows)
        except FetchFailed as exc:
            return Read(Failed(key, key, _failure(exc)))
        if answer.status == 304:  # the lastmod, if any, is newer than the stored date: keep it, and a new ETag
            etag = answer.headers.get("ETag")
            return Read(Unchanged(key, etag if etag != (stored.version if stored else None) else None, lastmod))
        if answer.status in (404, 410):
            return Read(Removed(key, f"the page answers HTTP {answer.status}"))
        if 300 <= answer.status < 400:
            return Read(Failed(key, key, self._unfollowed(answer.url)))
        media_type = _media_type(answer.headers, key, answer.body)
        is_page = media_type.split(";", 1)[0].strip().lower() in PAGE_TYPES
        if crawl and not is_page:
            return Read(None)
        if suffix_for(media_type) is None:
            return Read(Failed(key, key, f"not a document Lorebot can read ({media_type or 'no Content-Type'}); "
                                         "leave it out with exclude"))
        modified = lastmod or _http_date(answer.headers.get("Last-Modified"))
        document = SourceDocument(key=key, data=answer.body, media_type=media_type, url=key, modified=modified,
                                  version=_version(answer.headers))
        return Read(document, links_in(answer.body, answer.url, self.scope) if crawl and is_page else None)

    def _unfollowed(self, location: str) -> str:
        if origin_of(location) != self.scope.origin:
            return f"redirected to another site ({origin_of(location)}); if that is a login page, set token_env"
        return f"redirected to {location}, which robots.txt disallows"

    def close(self) -> None:
        self.session.close()

    def _get(self, url: str, *, headers: dict[str, str] | None = None, passthrough: frozenset[int],
             need_body: bool = True, limit: int = MAX_FILE_BYTES,
             follow: Callable[[str], bool] = lambda url: True) -> _Answer:
        """GET with the retries of ``retrying`` (each attempt paced), reading at most ``limit`` bytes. Redirects
        are followed, at most ``MAX_REDIRECTS``, where ``follow`` allows; one it does not is handed back as it is
        (its ``url`` is where it points). The token is sent to this site only."""

        def attempt() -> _Answer:
            target = url
            for _ in range(MAX_REDIRECTS + 1):
                self._pace.wait()
                sent = headers if origin_of(target) == self.scope.origin else {**(headers or {}), "Authorization": None}
                with self.session.get(target, headers=sent, timeout=self.policy.timeout, stream=True,
                                      allow_redirects=False) as response:
                    if response.is_redirect:
                        _drain(response)
                        location = page_key(response.headers["Location"], target)
                        if location is None or not follow(location):
                            return _Answer(response.status_code, response.headers, b"", location or target)
                        target = location
                        continue
                    if response.status_code in passthrough:
                        _drain(response)
                        return _Answer(response.status_code, response.headers, b"", response.url)
                    response.raise_for_status()
                    body = _read_body(response, limit)
                    if need_body and not body:
                        raise EmptyBody()
                    return _Answer(response.status_code, response.headers, body, response.url)
            raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")

        return with_retries(attempt, self.policy)

    def _follows(self, url: str) -> bool:
        """A page's redirect is followed on this site, where robots.txt allows."""
        return origin_of(url) == self.scope.origin and self.allows(url)


class _Pace:
    """Crawl-delay: at least ``delay`` seconds between the starts of two requests, across threads."""

    def __init__(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.delay = 0.0
        self._clock, self._sleep, self._lock, self._next = clock, sleep, threading.Lock(), 0.0

    def wait(self) -> None:
        if not self.delay:
            return
        with self._lock:
            now = self._clock()
            if now < self._next:
                self._sleep(self._next - now)
                now = self._clock()
            self._next = now + self.delay


def links_in(body: bytes, base: str, scope: Scope) -> list[str]:
    """The wanted pages an HTML page links to, each once, in the page's order (``<base href>`` honoured)."""
    import lxml.etree
    import lxml.html

    try:
        document = lxml.html.document_fromstring(body)
    except (lxml.etree.LxmlError, ValueError):
        return []
    for element in document.iter("base"):
        base = page_key(element.get("href") or "", base) or base
        break
    links: dict[str, None] = {}
    for element in document.iter("a", "area"):
        key = page_key(element.get("href") or "", base)
        if key and scope.wants(key) and PurePosixPath(urlsplit(key).path).suffix.lower() not in NOT_PAGES:
            links[key] = None
    return list(links)


def _read_body(response: requests.Response, limit: int) -> bytes:
    parts, size = [], 0
    for part in response.iter_content(64 * 1024):
        size += len(part)
        if size > limit:
            raise FetchFailed(f"too large (more than {limit // 2**20} MB); leave it out with exclude")
        parts.append(part)
    return b"".join(parts)


def _drain(response: requests.Response) -> None:
    """Read a short error page to its end, so its keep-alive connection goes back to the pool (a long one is
    left unread: its connection closes)."""
    for number, _ in enumerate(response.iter_content(64 * 1024)):
        if number >= 16:
            break


def _conditions(stored: Stored | None) -> dict[str, str] | None:
    """If-None-Match for a stored ETag, If-Modified-Since for a stored Last-Modified (the version keeps one)."""
    if stored is None or not stored.version:
        return None
    if stored.version.startswith(('"', 'W/"')):
        return {"If-None-Match": stored.version}
    return {"If-Modified-Since": stored.version}


def _version(headers: Mapping[str, str]) -> str | None:
    return headers.get("ETag") or headers.get("Last-Modified") or None


def _media_type(headers: Mapping[str, str], url: str, body: bytes) -> str:
    """The Content-Type; when the server gives none (or a generic one), what the address's extension says, else
    HTML when the body plainly is."""
    declared = headers.get("Content-Type", "")
    if declared and not declared.startswith("application/octet-stream"):
        return declared
    guessed = _SUFFIX_TYPES.get(PurePosixPath(urlsplit(url).path).suffix.lower())
    if guessed is None and body[:512].lstrip().lower().startswith((b"<!doctype html", b"<html")):
        guessed = "text/html"
    return guessed or declared


def _failure(error: FetchFailed) -> str:
    if error.status in (401, 403):
        return f"{error} (not allowed to read it: check the site's token_env)"
    return str(error)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return _aware(email.utils.parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError):
        return None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _sitemap_reason(sitemap) -> str:
    reason = sitemap.reason
    return reason.split(": ", 1)[1] if reason.startswith("Unable to fetch sitemap from ") else reason


def _sitemap_client(site: Site):
    """ultimate-sitemap-parser's web client on the site's own requests (retries, pacing, token, size cap)."""
    from usp.web_client.abstract_client import (AbstractWebClient, AbstractWebClientSuccessResponse,
                                                WebClientErrorResponse)

    class Response(AbstractWebClientSuccessResponse):
        def __init__(self, answer: _Answer) -> None:
            self._answer = answer

        def status_code(self) -> int:
            return self._answer.status

        def status_message(self) -> str:
            return "OK"

        def header(self, case_insensitive_name: str) -> str | None:
            return self._answer.headers.get(case_insensitive_name)

        def raw_data(self) -> bytes:
            return self._answer.body

        def url(self) -> str:
            return self._answer.url

    class Client(AbstractWebClient):
        def set_max_response_data_length(self, max_response_data_length: int | None) -> None:
            pass  # the site's own cap, MAX_SITEMAP_BYTES, applies

        def get(self, url: str):
            try:
                answer = site._get(url, passthrough=frozenset({404, 410}), limit=MAX_SITEMAP_BYTES)
            except FetchFailed as exc:
                return WebClientErrorResponse(str(exc), retryable=False)
            if answer.status in (404, 410):
                return WebClientErrorResponse(f"HTTP {answer.status}", retryable=False)
            return Response(answer)

    return Client()
