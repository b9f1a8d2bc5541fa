"""The Teams messaging endpoint, ``POST /api/messages``, on aiohttp.

Requests are checked before botbuilder sees them, because its aiohttp integration answers 500 to malformed
JSON and to a garbage bearer token: a body that is not JSON gets 415, malformed JSON or a non-activity 400, a
missing or invalid token 401 (authentication happens here, and its result is handed to the CloudAdapter).
Nothing is stored for a request that fails these checks, and no exception reaches Teams as a 5xx.

A message or reaction is acknowledged as soon as it is accepted, and its turn runs after the response: the
answer goes out through the Bot Connector anyway, and a sender kept waiting for the answer delivers the
activity again. Invokes, whose sender waits for their result, are answered in the request.
"""
from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.schema import Activity

from adapters.teams import messages
from adapters.teams.deliveries import RecentDeliveries
from adapters.teams.handler import DEFAULT_WORKERS, LorebotTeamsBot
from adapters.teams.messenger import TeamsMessenger
from adapters.web_server import TIMEOUTS, finish_on_shutdown, new_application, read_body

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
BOT_KEY = web.AppKey("lorebot_teams_bot", LorebotTeamsBot)
MESSENGER_KEY = web.AppKey("lorebot_teams_messenger", TeamsMessenger)
DELIVERIES_KEY = web.AppKey("lorebot_teams_deliveries", RecentDeliveries)
TURNS_KEY = web.AppKey("lorebot_teams_turns", set)
# Activities the bot acts on must say where they come from and who sent them.
_NEEDS_ROUTING = {"message", "messageUpdate", "messageReaction", "conversationUpdate", "installationUpdate"}


def build_teams_app(*, core, messenger: TeamsMessenger, workers: int = DEFAULT_WORKERS) -> web.Application:
    """An application serving Teams alone (``add_teams_routes`` on a new shared application)."""
    app = new_application()
    add_teams_routes(app, core=core, messenger=messenger, workers=workers)
    return app


def add_teams_routes(app: web.Application, *, core, messenger: TeamsMessenger,
                     workers: int = DEFAULT_WORKERS) -> None:
    """Serve Teams at ``/api/messages`` on ``app`` (see adapters.web_server.new_application).
    ``messenger.connection`` decides whether authentication is on (see ``connect_teams``; without
    credentials it was refused unless started with allow_anonymous). ``workers`` is how many events the core
    handles at once. The messenger sends through this application's event loop while it runs."""
    bot = LorebotTeamsBot(core, messenger, workers=workers)
    app[BOT_KEY] = bot
    app[MESSENGER_KEY] = messenger
    app[DELIVERIES_KEY] = RecentDeliveries()
    app[TURNS_KEY] = set()
    app.router.add_post(MESSAGES_PATH, _messages)
    app.on_startup.append(_bind_loop)
    app.on_shutdown.append(_finish_turns)  # before the worker pool below stops taking work
    finish_on_shutdown(app, bot.close)  # core work still running finishes while the loop can send its replies
    app.on_cleanup.append(_unbind_loop)


async def _bind_loop(app: web.Application) -> None:
    app[MESSENGER_KEY].bind_loop(asyncio.get_running_loop())


async def _unbind_loop(app: web.Application) -> None:
    app[MESSENGER_KEY].bind_loop(None)


async def turns_finished(app: web.Application, timeout: float | None = None) -> bool:
    """Wait until every turn already acknowledged has run (False when ``timeout`` passed first)."""
    pending = set(app[TURNS_KEY])
    if not pending:
        return True
    _, unfinished = await asyncio.wait(pending, timeout=timeout)
    return not unfinished


async def _finish_turns(app: web.Application) -> None:
    if not await turns_finished(app, app[TIMEOUTS].shutdown):
        log.warning("teams turns still running at shutdown; stopping without them")


async def _take_turn(connection, auth, activity: Activity, bot: LorebotTeamsBot) -> None:
    try:
        await connection.adapter.process_activity(auth, activity, bot.on_turn)
    except Exception as exc:  # noqa: BLE001 - the core has told the person already; the log says what failed
        log.error("teams activity %s failed: %s", activity.id, type(exc).__name__)
        log.debug("failure details for %s", activity.id, exc_info=True)


async def _messages(request: web.Request) -> web.Response:
    if request.content_type != "application/json":
        return _error(415, messages.NOT_JSON)
    try:
        body = json.loads(await read_body(request))
    except web.HTTPException:  # too large (413) or too slow (408)
        raise
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deeper than Python parses
        return _error(400, messages.BAD_JSON)
    activity = _activity(body)
    if activity is None:
        return _error(400, messages.BAD_JSON)

    bot: LorebotTeamsBot = request.app[BOT_KEY]
    connection = request.app[MESSENGER_KEY].connection
    header = request.headers.get("Authorization", "")
    if connection.auth_enabled and not _looks_like_bearer(header):
        return _error(401, messages.UNAUTHORIZED)
    try:
        auth = await connection.adapter.bot_framework_authentication.authenticate_request(activity, header or None)
    except Exception as exc:  # noqa: BLE001 - botbuilder signals a bad token with assorted exceptions
        log.info("teams request %s rejected: %s", activity.id, type(exc).__name__)
        return _error(401, messages.UNAUTHORIZED)
    key = _delivery_key(activity)
    if key is not None and not request.app[DELIVERIES_KEY].first_time(key):
        log.info("teams activity %s delivered again; already taken in", activity.id)
        return web.Response(status=200)
    if activity.type != "invoke":
        turn = asyncio.create_task(_take_turn(connection, auth, activity, bot))
        turns = request.app[TURNS_KEY]
        turns.add(turn)
        turn.add_done_callback(turns.discard)
        return web.Response(status=200)
    try:
        invoke = await connection.adapter.process_activity(auth, activity, bot.on_turn)
    except Exception as exc:  # noqa: BLE001 - never a 5xx to Teams; the core has told the person already
        log.error("teams activity %s failed: %s", activity.id, type(exc).__name__)
        log.debug("failure details for %s", activity.id, exc_info=True)
        return web.Response(status=200)
    if invoke is not None:
        status = invoke.status if invoke.status and invoke.status < 500 else 200
        return web.json_response(serializer_helper(invoke.body), status=status)
    return web.Response(status=200)


def _activity(body) -> Activity | None:
    """The activity, or None when the body is not one botbuilder and the bot can work with."""
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return None
    try:
        activity = Activity().deserialize(body)
    except Exception:  # noqa: BLE001 - msrest raises several kinds for wrong shapes
        return None
    if not isinstance(activity.type, str) or not activity.type:
        return None
    if activity.type in _NEEDS_ROUTING:
        conversation, sender = activity.conversation, activity.from_property
        if not (activity.service_url and conversation and conversation.id and sender and sender.id):
            return None
    return activity


def _delivery_key(activity: Activity) -> tuple[str, ...] | None:
    """What makes two deliveries the same activity; None for invokes, whose sender waits for their answer."""
    if activity.type == "invoke" or not activity.id:
        return None
    key = (activity.service_url or "", activity.conversation.id if activity.conversation else "", activity.type,
           activity.id)
    if activity.type == "messageUpdate":  # its id is the edited message's: each edit differs in time and text
        key += (activity.timestamp.isoformat() if activity.timestamp else "", activity.text or "")
    return key


def _looks_like_bearer(header: str) -> bool:
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and token.count(".") == 2 and all(token.split("."))


def _error(status: int, text: str) -> web.Response:
    return web.json_response({"error": text}, status=status)
