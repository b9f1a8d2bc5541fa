"""A website on loopback for the web source: pages the test edits, their sitemap (or a sitemap index), robots.txt,
conditional GETs answered with 304, scripted faults per path, and a log of every request it served.

Pages look like real intranet pages: the main content sits between a cookie banner, a header with navigation,
a sidebar and a footer, whose words (``BOILERPLATE``) must never reach the index.
"""
from __future__ import annotations

import email.utils
import hashlib
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterable

BOILERPLATE = ("cookies", "Canteen menu", "Harbour Road", "Benefits portal")  # one word of each wrapper part
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def page_html(title: str, *paragraphs: str, links: Iterable[str] = ()) -> str:
    """A page with ``paragraphs`` as its main content and ``links`` (paths) in it, wrapped in the usual chrome."""
    body = "\n".join(f"<p>{text}</p>" for text in paragraphs)
    related = "".join(f'<li><a href="{link}">{link}</a></li>' for link in links)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Northwind Intranet</title>
<link rel="stylesheet" href="/static/site.css"><script src="/static/site.js"></script></head>
<body>
<div id="cookie-banner" class="cookie-consent">We use cookies to personalise your visit and measure traffic.
<button>Accept all cookies</button> <a href="/privacy.html">Manage preferences</a></div>
<header class="site-header"><a href="/" class="logo">Northwind</a>
<nav class="main-nav"><ul><li><a href="/handbook/">Handbook</a></li><li><a href="/news/">Company news</a></li>
<li><a href="/canteen/">Canteen menu</a></li><li><a href="/static/logo.png">Logo</a></li></ul></nav></header>
<div class="layout"><aside class="sidebar"><h3>Quick links</h3><ul><li><a href="/it/">IT helpdesk</a></li>
<li><a href="/benefits/">Benefits portal</a></li></ul></aside>
<main id="content"><article><h1>{title}</h1>
{body}
{f'<h2>Related pages</h2><ul>{related}</ul>' if related else ''}
</article></main></div>
<footer class="site-footer"><p>Copyright 2026 Northwind Traders. Registered office: 12 Harbour Road, Bristol.</p>
<p><a href="/accessibility.html">Accessibility statement</a> | <a href="/contact.html">Contact us</a></p></footer>
</body></html>"""


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"  # "": no Content-Type header at all
    modified: datetime = EPOCH  # Last-Modified, and the sitemap's lastmod
    etag: bool = True  # send an ETag
    last_modified: bool = True  # send Last-Modified
    lastmod: bool = True  # give the page a <lastmod> in the sitemap
    in_sitemap: bool = True

    @property
    def tag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class Fault:
    status: int = 500
    retry_after: str | None = None
    location: str | None = None  # where a 3xx sends the client
    body: bytes = b""
    times: int | None = None  # None: every request until cleared


@dataclass(frozen=True)
class Request:
    path: str
    status: int
    body_bytes: int
    at: float  # time.monotonic() when it arrived
    headers: dict[str, str] = field(compare=False)


class FakeSite:
    """``with FakeSite() as site:`` serves on 127.0.0.1 at a free port. ``sitemap_parts`` > 1 makes
    ``/sitemap.xml`` an index of that many child sitemaps (``/sitemap-1.xml`` ...)."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.robots: str | None = None  # None: /robots.txt answers 404
        self.sitemap_parts = 1
        self.faults: dict[str, list[Fault]] = {}
        self.log: list[Request] = []
        self.delay = 0.0  # seconds every page request takes
        self.gate: threading.Event | None = None  # page requests wait until it is set
        self._lock = threading.Lock()
        self._clock = EPOCH
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeSite":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.gate is not None:
            self.gate.set()
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    # -- the corpus ---------------------------------------------------------------------------------------------
    def put(self, path: str, body: str | bytes, **settings) -> Page:
        """Add or replace the page at ``path``; a changed body gets a later modification time (and lastmod)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._clock += timedelta(hours=1)
            old = self.pages.get(path)
            page = Page(data, modified=self._clock, **settings)
            if old is not None and old.body == data:
                page.modified = old.modified
            self.pages[path] = page
            return page

    def touch(self, path: str) -> None:
        """A later modification time (Last-Modified, lastmod) for the same body and ETag."""
        with self._lock:
            self._clock += timedelta(hours=1)
            self.pages[path].modified = self._clock

    def remove(self, path: str) -> None:
        with self._lock:
            del self.pages[path]

    def fail(self, path: str, status: int = 500, *, retry_after: str | None = None, location: str | None = None,
             body: bytes = b"", times: int | None = None) -> None:
        """Answer ``path`` with ``status`` (``times`` times, or until ``clear``), before any page or sitemap."""
        with self._lock:
            self.faults.setdefault(path, []).append(Fault(status, retry_after, location, body, times))

    def clear(self, path: str) -> None:
        with self._lock:
            self.faults.pop(path, None)

    # -- what was asked ------------------------------------------------------------------------------------------
    def requests_for(self, path: str) -> list[Request]:
        return [request for request in self.log if request.path == path]

    def page_requests(self) -> list[Request]:
        """Every request but those for robots.txt and the sitemaps."""
        return [request for request in self.log
                if request.path != "/robots.txt" and not request.path.startswith("/sitemap")]

    def bodies_sent(self) -> list[str]:
        """The pages whose body went out (a 200 with content), in order."""
        return [request.path for request in self.log
                if request.status == 200 and request.body_bytes and request.path in self.pages]

    # -- serving ---------------------------------------------------------------------------------------------------
    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            faults = self.faults.get(path)
            if faults:
                fault = faults[0]
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        faults.pop(0)
                extra = {name: value for name, value in (("Retry-After", fault.retry_after),
                                                         ("Location", fault.location)) if value}
                return fault.status, {"Content-Type": "text/html", **extra}, fault.body
            if path == "/robots.txt":
                if self.robots is None:
                    return 404, {"Content-Type": "text/plain"}, b"not found"
                return 200, {"Content-Type": "text/plain"}, self.robots.encode()
            if path == "/sitemap.xml" or (path.startswith("/sitemap-") and path.endswith(".xml")):
                return self._sitemap(path)
            page = self.pages.get(path)
        if page is None:
            return 404, {"Content-Type": "text/html"}, b"<html><body><h1>Not found</h1></body></html>"
        stamp = email.utils.format_datetime(page.modified, usegmt=True)
        sent = {"Content-Type": page.content_type} if page.content_type else {}
        if page.etag:
            sent["ETag"] = page.tag
        if page.last_modified:
            sent["Last-Modified"] = stamp
        if page.etag and headers.get("If-None-Match") == page.tag:
            return 304, sent, b""
        since = headers.get("If-None-Match") is None and headers.get("If-Modified-Since")
        if page.last_modified and since and email.utils.parsedate_to_datetime(since) >= page.modified:
            return 304, sent, b""
        return 200, sent, page.body

    def sitemap_part(self, path: str) -> int:
        """Which child sitemap lists ``path`` (0 for the first), however the other pages change."""
        return zlib.crc32(path.encode()) % self.sitemap_parts

    def _sitemap(self, path: str) -> tuple[int, dict[str, str], bytes]:
        listed = sorted(p for p, page in self.pages.items() if page.in_sitemap)
        parts = [[p for p in listed if self.sitemap_part(p) == number] for number in range(self.sitemap_parts)]
        xml = {"Content-Type": "application/xml"}
        if path == "/sitemap.xml" and self.sitemap_parts > 1:
            children = "".join(f"<sitemap><loc>{self.url(f'/sitemap-{n + 1}.xml')}</loc></sitemap>"
                               for n in range(self.sitemap_parts))
            return 200, xml, (f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns='
                              f'"http://www.sitemaps.org/schemas/sitemap/0.9">{children}</sitemapindex>').encode()
        if path == "/sitemap.xml":
            chosen = listed
        else:
            number = int(path.removeprefix("/sitemap-").removesuffix(".xml")) - 1
            if not 0 <= number < len(parts) or self.sitemap_parts == 1:
                return 404, {"Content-Type": "text/html"}, b"not found"
            chosen = parts[number]
        entries = []
        for page_path in chosen:
            page = self.pages[page_path]
            lastmod = f"<lastmod>{page.modified.isoformat()}</lastmod>" if page.lastmod else ""
            entries.append(f"<url><loc>{self.url(page_path)}#top</loc>{lastmod}</url>")
        return 200, xml, (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
                          f'"http://www.sitemaps.org/schemas/sitemap/0.9">{"".join(entries)}</urlset>').encode()

    def served(self, request: Request) -> None:
        with self._lock:
            self.log.append(request)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that hangs up (a sync stopped, a connection dropped after an error page) is not news."""
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def _handler(site: FakeSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real sites do
        disable_nagle_algorithm = True  # headers and body go out at once, as from a real server

        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            arrived = time.monotonic()
            path = self.path.split("?", 1)[0]
            if path in site.pages:
                if site.gate is not None:
                    site.gate.wait(60)
                if site.delay:
                    time.sleep(site.delay)
            status, headers, body = site.answer(path, dict(self.headers.items()))
            site.served(Request(path, status, len(body), arrived, dict(self.headers.items())))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the standard library's name
            pass

    return Handler
