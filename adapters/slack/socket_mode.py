"""Socket Mode: Slack pushes events over a websocket the app opens, so no public URL is needed."""
from __future__ import annotations

import asyncio
from concurrent.futures import Executor

from aiohttp import web
from slack_bolt import App

from adapters.web_server import finish_on_shutdown


def add_socket_mode(web_app: web.Application, bolt: App, app_token: str, *, work: Executor) -> None:
    """Run ``bolt`` over Socket Mode for as long as ``web_app`` runs (the websocket lives in the handler's own
    threads, beside the event loop). ``work`` is the pool the listeners queue the core's work on: on shutdown
    the websocket closes first, so nothing new arrives, then that pool finishes what it holds."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(bolt, app_token)

    async def connect(_: web.Application) -> None:
        await asyncio.to_thread(handler.connect)

    def close_then_finish() -> None:
        handler.close()
        work.shutdown()

    web_app.on_startup.append(connect)
    finish_on_shutdown(web_app, close_then_finish)
