"""What the shared HTTP server (adapters/web_server.py) allows a client, and how it holds clients to it.

Both endpoints face the internet, so every limit answers a way one client could hurt the others:

- ``MAX_BODY_BYTES``: a larger body gets 413 (aiohttp's ``client_max_size``).
- ``Timeouts.read``: a body not sent within it gets 408 (``web_server.read_body``).
- ``Timeouts.headers``: a connection that has not sent a whole request line and headers this long after it
  opened is closed (aiohttp itself only closes it after the keep-alive timeout).
- ``KEEPALIVE_TIMEOUT``: an idle connection between requests is closed after it. Longer than the idle timeout
  of the load balancers in front (60 s on AWS and Azure), so they never send on a connection we just closed.
- ``MAX_CONNECTIONS``: at most this many connections are open at once, well under the process's file limit.
  A new connection beyond it closes the connection that matters least: the oldest one waiting for a request,
  else the one that has taken longest with its request. So connections that never finish (slowloris) cannot
  keep out a real request: Slack's and Teams' requests arrive whole and are answered in milliseconds.

aiohttp has no connection cap or header timeout of its own: ``CappedSite`` listens with a request handler
(aiohttp's, subclassed) that counts itself in, and ``track_requests`` (a middleware) tells the cap which
connections are inside a request. Malformed HTTP that aiohttp answers with 400 is logged in one line without
the request's bytes (aiohttp's own log quotes them, bodies included).
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
READ_TIMEOUT = 10.0  # seconds to send a request body; Slack and Teams send theirs at once
HEADERS_TIMEOUT = 10.0  # seconds from connecting to the end of the first request's headers
KEEPALIVE_TIMEOUT = 75.0  # an idle connection between requests is closed after this
SHUTDOWN_TIMEOUT = 10.0  # requests in flight, then background work, each get this long after a stop signal
MAX_CONNECTIONS = 512
LISTEN_BACKLOG = 256  # Slack delivers events in bursts; a short backlog resets connections under load


@dataclass(frozen=True)
class Timeouts:
    """How long a client may take to send its headers and body, and each stage of shutdown may take (tests
    shorten them)."""

    read: float = READ_TIMEOUT
    headers: float = HEADERS_TIMEOUT
    shutdown: float = SHUTDOWN_TIMEOUT


class _Connection(RequestHandler):
    """aiohttp's handler for one connection, which knows when it opened and whether it is inside a request."""

    def __init__(self, server: web.Server, *, cap: int, headers_timeout: float, **kwargs: Any) -> None:
        super().__init__(server, **kwargs)
        self.server = server
        self.cap = cap
        self.headers_timeout = headers_timeout
        self.opened = time.monotonic()
        self.busy_since: float | None = None  # inside a request since then
        self.requests = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        open_now = [each for each in self.server.connections if each.transport is not None]  # closing ones linger
        if len(open_now) > self.cap:
            others = [each for each in open_now if each is not self]
            if others:
                min(others, key=_least_needed).force_close()
        asyncio.get_running_loop().call_later(self.headers_timeout, self._close_if_no_request)

    def _close_if_no_request(self) -> None:
        if self.requests == 0 and self.transport is not None:
            self.force_close()


def _least_needed(connection: RequestHandler) -> tuple:
    """Idle connections first, oldest first; then those inside a request, the longest-running first."""
    if not isinstance(connection, _Connection):
        return (2, 0.0)
    if connection.busy_since is None:
        return (0, connection.opened)
    return (1, connection.busy_since)


@web.middleware
async def track_requests(request: web.Request, handler) -> web.StreamResponse:
    connection = request.protocol
    if not isinstance(connection, _Connection):
        return await handler(request)
    connection.requests += 1
    connection.busy_since = time.monotonic()
    try:
        return await handler(request)
    finally:
        connection.busy_since = None


class CappedSite(web.BaseSite):
    """A TCP site whose connections count themselves against ``cap`` (see the module docstring)."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, *, cap: int, timeouts: Timeouts,
                 handler_args: dict[str, Any], backlog: int = LISTEN_BACKLOG) -> None:
        super().__init__(runner, backlog=backlog)
        self._host, self._port = host, port
        self._cap, self._timeouts, self._handler_args = cap, timeouts, handler_args

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        server = self._runner.server

        def connection() -> _Connection:
            return _Connection(server, loop=loop, cap=self._cap, headers_timeout=self._timeouts.headers,
                               **self._handler_args)

        self._server = await loop.create_server(connection, self._host, self._port, backlog=self._backlog)


class ClientErrorLog(logging.LoggerAdapter):
    """aiohttp's server log, except that malformed HTTP (the client's fault, answered 400) is one INFO line
    naming the error, instead of an ERROR with a traceback that quotes the request's bytes."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("aiohttp.server"), {})

    def log(self, level: int, msg: object, *args: object, exc_info: Any = None, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError):
            log.info("malformed HTTP request refused (%s %s)", exc_info.code, type(exc_info).__name__)
            return
        super().log(level, msg, *args, exc_info=exc_info, **kwargs)
