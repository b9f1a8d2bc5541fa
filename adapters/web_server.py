"""The one HTTP server every platform is served by: one aiohttp application on one event loop in the main
thread (Slack at ``/slack/events``, Teams at ``/api/messages``, ``/healthz`` for load balancers).

Why one: Slack used to have a hand-written stdlib server in one thread and Teams aiohttp's ``run_app`` in
another, where it died at start (signal handlers only work in the main thread) while Slack kept running, so
a half-dead process looked healthy. Now both platforms share one application: limits, timeouts and shutdown
come from aiohttp, and a failure to start stops the whole process.

Limits (adapters/web_limits.py): bodies over 1 MiB get 413, a body sent too slowly 408 (``read_body``), a
body that does not decode (a bad ``Content-Encoding``) 400, malformed HTTP aiohttp's 400; connections that
never finish their headers or sit idle are closed, and the number open at once is capped.

Shutdown on SIGTERM or Ctrl-C: stop listening, let requests in flight finish (``Timeouts.shutdown``), then run
the finishers registered with ``finish_on_shutdown`` (drain the worker pools that answer questions after the
ack, stop the scheduler) while the loop still runs, because their work may still send through it (Teams),
and only then let the platforms clean up. A second signal during that wait stops at once.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import threading
from dataclasses import dataclass
from typing import Callable

from aiohttp import web

from adapters.web_limits import KEEPALIVE_TIMEOUT, MAX_BODY_BYTES, MAX_CONNECTIONS, CappedSite, ClientErrorLog, \
    Timeouts, track_requests
from bot.errors import LorebotError

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
DEFAULT_PORT = 3000

Finisher = Callable[[], None]


FINISHERS = web.AppKey("lorebot_finishers", list)
TIMEOUTS = web.AppKey("lorebot_timeouts", Timeouts)


def new_application(timeouts: Timeouts = Timeouts()) -> web.Application:
    """An empty application with the shared limits; platforms add their routes (``add_*_routes``)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[track_requests])
    app[FINISHERS] = []
    app[TIMEOUTS] = timeouts
    # Registered first, so it runs before any platform's own clean-up (e.g. Teams unbinding its loop).
    app.on_cleanup.append(_run_finishers)
    app.router.add_get(HEALTH_PATH, _health)
    return app


def finish_on_shutdown(app: web.Application, finisher: Finisher) -> None:
    """Run ``finisher`` (blocking; e.g. ``executor.shutdown``) after the last request, within the deadline."""
    app[FINISHERS].append(finisher)


async def read_body(request: web.Request) -> bytes:
    """The request body, or 408 when the client is slower than the read timeout to send it, 413 when too big,
    400 when it does not decode as its ``Content-Encoding`` says (aiohttp raises, which would be a 500)."""
    try:
        async with asyncio.timeout(request.app[TIMEOUTS].read):
            return await request.read()
    except TimeoutError:
        raise web.HTTPRequestTimeout() from None
    except web.RequestPayloadError:
        raise web.HTTPBadRequest() from None


@dataclass
class Listening:
    """A started application: its runner, and the base URL when it listens on a port."""

    runner: web.AppRunner
    url: str | None

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start(app: web.Application, host: str, port: int | None, *,
                connections: int = MAX_CONNECTIONS) -> Listening:
    """Start ``app`` (its startup hooks run) and, unless ``port`` is None, listen on host:port (0: any free),
    with at most ``connections`` open at once."""
    handler_args = {"keepalive_timeout": KEEPALIVE_TIMEOUT, "access_log": None, "logger": ClientErrorLog()}
    runner = web.AppRunner(app, shutdown_timeout=app[TIMEOUTS].shutdown, handle_signals=False, **handler_args)
    await runner.setup()
    if port is None:
        return Listening(runner, None)
    site = CappedSite(runner, host, port, cap=connections, timeouts=app[TIMEOUTS], handler_args=handler_args)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise LorebotError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound_host, bound_port = runner.addresses[0][:2]
    return Listening(runner, f"http://{bound_host}:{bound_port}")


def run_until_signalled(app: web.Application, *, host: str, port: int | None,
                        ready: Callable[[str | None], None]) -> None:
    """Serve ``app`` in this (main) thread until SIGTERM or SIGINT, then shut down gracefully (see above).

    ``ready`` is told the base URL (None when not listening) once the server accepts requests."""
    asyncio.run(_serve(app, host, port, ready))


async def _serve(app: web.Application, host: str, port: int | None, ready: Callable[[str | None], None]) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()

    def on_signal(signum: int) -> None:
        log.info("received %s: finishing requests in flight, then stopping", signal.Signals(signum).name)
        for each in (signal.SIGINT, signal.SIGTERM):  # a second signal stops at once
            loop.remove_signal_handler(each)
        stopping.set()

    for each in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(each, on_signal, each)
    listening = await start(app, host, port)
    try:
        ready(listening.url)
        await stopping.wait()
    finally:
        await listening.stop()


async def _run_finishers(app: web.Application) -> None:
    finishers: list[Finisher] = app[FINISHERS]
    if not finishers:
        return
    done = [_in_thread(finisher) for finisher in finishers]
    deadline = app[TIMEOUTS].shutdown
    _, unfinished = await asyncio.wait(done, timeout=deadline)
    if unfinished:
        log.warning("%d piece(s) of background work still running after %.0f s; stopping without them",
                    len(unfinished), deadline)


def _in_thread(finisher: Finisher) -> asyncio.Future:
    """Run a blocking finisher in its own daemon thread, not the loop's default executor: botbuilder sends
    through that one, and a finisher may be waiting for exactly such a send."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if not future.done():
            future.set_result(error)

    def work() -> None:
        try:
            finisher()
            error = None
        except Exception as exc:  # noqa: BLE001 - one failing finisher must not keep the others from running
            log.error("shutdown step failed: %s", exc.__class__.__name__)
            error = exc
        try:
            loop.call_soon_threadsafe(settle, error)
        except RuntimeError:  # the loop is gone: shutdown stopped waiting for this finisher long ago
            pass

    threading.Thread(target=work, name="lorebot-shutdown", daemon=True).start()
    return future


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})
