"""Which Slack workspaces the bot serves, and the polite refusal for everyone else.

A valid signature says a request comes from Slack for this app, not from whose workspace: in a Slack Connect
channel or DM people from other organisations can mention the bot, message it, click its buttons and use
``/ask``. A request is served only when every workspace it names is allowed: the workspace it happened in
(``team_id``, ``team``) and the person's own (``user.team_id``, ``event.user_team``, ``event.team``,
``event.source_team``). On Enterprise Grid, Slack may name the organisation (``E…``) instead of a workspace.
"""
from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Callable, Iterable

from slack_bolt import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack import messages
from bot.errors import ConfigError

log = logging.getLogger(__name__)


def allowed_workspaces(configured: Iterable[str], own: Iterable[str]) -> frozenset[str]:
    """lorebot.toml's ``[slack] workspaces`` when given (they replace the default), else the bot token's own
    workspace and organisation (``check_token``); raises ConfigError when that leaves none."""
    served = frozenset(configured) or frozenset(own)
    if not served:
        raise ConfigError(messages.NO_WORKSPACE)
    return served


def workspaces_named(body: dict) -> frozenset[str]:
    """Every workspace or organisation id the request names, for where it happened and for who sent it."""
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    team = body.get("team")
    found = [body.get("team_id"), body.get("user_team"), team.get("id") if isinstance(team, dict) else team,
             user.get("team_id"), event.get("team"), event.get("user_team"), event.get("source_team")]
    return frozenset(value for value in found if isinstance(value, str) and value)


def only_served_workspaces(workspaces: frozenset[str], client: WebClient,
                           executor: Executor) -> Callable[..., BoltResponse | None]:
    """A Bolt global middleware: requests from elsewhere reach no listener, so nothing is recorded or routed;
    a person who addressed the bot gets a short refusal only they can see."""

    def middleware(body: dict, next) -> BoltResponse | None:  # noqa: A002 - Bolt passes it by this name
        named = workspaces_named(body)
        if named and named <= workspaces:
            next()
            return None
        log.warning("slack request refused: from a workspace not served (%s)", _kind(body))
        if body.get("command"):
            return BoltResponse(status=200, body=messages.WORKSPACE_NOT_SERVED)
        target = _who_asked(body)
        if target is not None:
            executor.submit(_tell, client, *target)
        return BoltResponse(status=200, body="")

    return middleware


def _who_asked(body: dict) -> tuple[str, str, str | None] | None:
    """(channel, user, thread) of a person who addressed the bot: a mention, a direct message or a click."""
    if body.get("type") == "block_actions":
        channel = (body.get("channel") or body.get("container") or {}).get("id") or \
            (body.get("container") or {}).get("channel_id")
        user = (body.get("user") or {}).get("id")
        message = body.get("message") or {}
        return (channel, user, message.get("thread_ts")) if channel and user else None
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    addressed = event.get("type") == "app_mention" or (
        event.get("type") == "message" and event.get("channel_type") == "im"
        and event.get("subtype") in (None, "file_share") and not event.get("bot_id"))
    if not addressed or not event.get("channel") or not isinstance(event.get("user"), str):
        return None
    return event["channel"], event["user"], event.get("thread_ts")


def _tell(client: WebClient, channel: str, user: str, thread: str | None) -> None:
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=messages.WORKSPACE_NOT_SERVED,
                                  **({"thread_ts": thread} if thread else {}))
    except SlackApiError as exc:
        log.info("could not tell a person from another workspace: %s", exc.response.get("error"))
    except OSError as exc:
        log.info("could not tell a person from another workspace: %s", exc.__class__.__name__)


def _kind(body: dict) -> str:
    if body.get("command"):
        return "command"
    event = body.get("event")
    return event.get("type", "event") if isinstance(event, dict) else str(body.get("type", "request"))
