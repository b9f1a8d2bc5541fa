"""HTTP mode: ``POST /slack/events`` for events, slash commands and interactivity, on the shared aiohttp
application (adapters/web_server.py), which replaced a hand-written stdlib server.

The Bolt app is the synchronous ``slack_bolt.App``, so each request that passes ``check_request`` is turned
into a ``BoltRequest`` and ``App.dispatch`` runs in this endpoint's small thread pool, off the event loop.
Dispatch is quick: listeners only ack and queue the core's work (app.py), so Slack hears 200 within its 3 s.
Bolt's own response is sent back with its aiohttp adapter's converter. A failure after the request was
verified is answered 200, never 5xx, so Slack does not retry the same failure.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

from aiohttp import web
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.aiohttp import to_aiohttp_response

from adapters.slack.verification import RejectedRequest, check_request
from adapters.web_server import finish_on_shutdown, read_body

log = logging.getLogger(__name__)

PATH = "/slack/events"
DISPATCH_WORKERS = 8


@dataclass(frozen=True)
class _Endpoint:
    bolt: App
    signing_secret: str
    pool: ThreadPoolExecutor


ENDPOINT = web.AppKey("lorebot_slack_endpoint", _Endpoint)


def add_slack_routes(web_app: web.Application, bolt: App, signing_secret: str, *, work: Executor | None = None,
                     workers: int = DISPATCH_WORKERS) -> None:
    """Serve ``bolt`` at ``/slack/events`` on ``web_app`` (see adapters.web_server.new_application).
    ``work`` is the pool the listeners queue the core's work on: on shutdown it finishes what it holds."""
    if not signing_secret:
        raise ValueError("HTTP mode needs the signing secret")
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lorebot-slack-dispatch")
    web_app[ENDPOINT] = _Endpoint(bolt, signing_secret, pool)
    web_app.router.add_post(PATH, _events)
    finish_on_shutdown(web_app, pool.shutdown)
    if work is not None:
        finish_on_shutdown(web_app, work.shutdown)


async def _events(request: web.Request) -> web.StreamResponse:
    endpoint = request.app[ENDPOINT]
    raw = await read_body(request)
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        body = check_request(headers, raw, endpoint.signing_secret)
    except RejectedRequest as rejected:
        log.info("slack request rejected: %s", rejected)
        return web.Response(status=rejected.status)
    bolt_request = BoltRequest(body=body, query=request.query_string,
                               headers={key: request.headers.getall(key) for key in request.headers.keys()})
    try:
        response = await asyncio.get_running_loop().run_in_executor(endpoint.pool, endpoint.bolt.dispatch,
                                                                    bolt_request)
    except Exception as exc:  # noqa: BLE001 - signed and well formed, but we failed: see the module docstring
        log.error("slack request failed after verification: %s", exc.__class__.__name__)
        return web.Response(status=200)
    if response.status >= 500:
        response.status = 200
    return await to_aiohttp_response(response)
