"""The Bolt app: Slack events, commands and clicks translated into core events.

Listeners only let the core take the event in (``core.accept``: for a question, one insert that claims its
message and keeps it) and hand the rest to ``executor``: the core's work (search, Web API calls) never runs on
Bolt's small listener pool, where five slow listeners would starve every ack. Because a listener does nothing
slow, it runs before the HTTP response (``process_before_response``), so by the time Slack hears 200 a question
is stored: Slack will not send it again, and if this process dies the recovery pass answers it.
"""
from __future__ import annotations

import logging
import re
from concurrent.futures import Executor
from typing import Iterable

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack import messages, translate
from adapters.slack.assistant import build_assistant
from adapters.slack.home import home_view
from bot.messages import source_health_line
from adapters.slack.workspaces import only_served_workspaces
from bot.curation import champion_commands
from bot.addresses import Person

log = logging.getLogger(__name__)


def build_app(*, core, client: WebClient, signing_secret: str | None, executor: Executor,
              workspaces: Iterable[str]) -> App:
    """``workspaces``: the workspace (and Grid organisation) ids served, see workspaces.py; requests naming any
    other reach no listener."""
    app = App(client=client, signing_secret=signing_secret or "", request_verification_enabled=bool(signing_secret),
              token_verification_enabled=False, process_before_response=True,
              ignoring_self_events_enabled=True)
    app.use(only_served_workspaces(frozenset(workspaces), client, executor))
    app.assistant(build_assistant(core=core, client=client,
                                  run_later=lambda function, *args: executor.submit(_safely, function, *args)))

    def submit(event) -> None:
        if event is None:
            return
        work = core.accept(event)
        if work is not None:
            executor.submit(_safely, work)

    @app.event("app_mention")
    def on_mention(body: dict, event: dict) -> None:
        submit(translate.from_mention(event, body["event_id"]))

    @app.event("message")
    def on_message(body: dict, event: dict, context) -> None:
        submit(translate.from_message(event, body["event_id"], context.get("bot_user_id")))

    @app.event("reaction_added")
    def on_reaction_added(body: dict, event: dict) -> None:
        executor.submit(_safely, _reaction, core, client, event, body["event_id"], True)

    @app.event("reaction_removed")
    def on_reaction_removed(body: dict, event: dict) -> None:
        executor.submit(_safely, _reaction, core, client, event, body["event_id"], False)

    @app.command("/ask")
    def on_ask(ack, command: dict) -> None:
        if not command.get("text", "").strip():
            ack(text=messages.ASK_USAGE)
            return
        ack(text=messages.ASK_RECEIVED)
        submit(translate.from_command(command))

    @app.command("/lorebot")
    def on_champion_command(ack, command: dict) -> None:
        parsed = champion_commands.parse(command.get("text", ""))
        if parsed is None:
            ack(text=messages.LOREBOT_USAGE)
            return
        ack()
        submit(translate.from_champion_command(command, *parsed))

    @app.action(re.compile(r"^lorebot:"))
    def on_action(ack, body: dict, action: dict) -> None:
        ack()
        submit(translate.from_action(body, action))

    @app.event("app_home_opened")
    def on_home(event: dict) -> None:
        if event.get("tab") == "home":
            executor.submit(_safely, _publish_home, core, client, event["user"])

    return app


def _reaction(core, client: WebClient, event: dict, event_id: str, added: bool) -> None:
    """Slack does not say which thread a reacted message is in; the core needs it to find the question."""
    item = event.get("item") or {}
    thread = None
    if item.get("type") == "message":
        try:
            found = client.conversations_replies(channel=item["channel"], ts=item["ts"], limit=1)
            first = (found.get("messages") or [{}])[0]
            thread = first.get("thread_ts")
        except SlackApiError as exc:
            log.info("thread of reacted message %s unknown: %s", item.get("ts"), exc.response.get("error"))
    reaction = translate.from_reaction(event, event_id, added, thread)
    if reaction is not None:
        core.handle(reaction)


def _publish_home(core, client: WebClient, user_id: str) -> None:
    person = Person("slack", user_id)
    champion = bool(core.champion_topics(person))
    sources = [source_health_line(health, core.context.config.tz) for health in core.source_health(person)]
    impact = core.own_impact(person) if champion else None
    view = home_view(core.waiting_for(person) if champion else [], core.recent_questions(person),
                     is_champion=champion, sources=sources, impact=impact)
    client.views_publish(user_id=user_id, view=view)


def _safely(function, *args) -> None:
    """Background work must not die silently; log by type only (never message text)."""
    try:
        function(*args)
    except Exception as exc:  # noqa: BLE001 - one failed event must not stop the worker
        log.error("slack background work failed: %s", exc.__class__.__name__)
