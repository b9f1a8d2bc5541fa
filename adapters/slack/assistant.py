"""Slack's Agents & AI Apps surface (Bolt's ``Assistant`` middleware): a chat beside whatever the person is
reading in Slack, with or without an LLM behind the answers.

A new assistant thread greets the person with suggested prompts: the most asked verified questions they may
read (``bot.asking.suggestions``). A message in it is a question asked in private and goes through the very path
a direct message takes (``core.accept`` before the acknowledgement, then the answer, buttons, claims and
recovery); meanwhile the thread shows "is searching…" and gets the question as its title.

Bolt's ``Assistant`` takes every message in any DM thread, but Lorebot's DM threads also carry routed questions,
champions' answers and lesson prompts. So a message counts as an assistant question only in a thread known to be
one: started here (remembered in memory), or, after a restart, one whose root Slack marks ``assistant_app_thread``
(looked up in the background, where that question is then claimed). Anything else goes on as today's thread reply,
and edits in DM threads reach the message listener instead of being dropped by Bolt.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Callable

from slack_bolt import Assistant
from slack_bolt.request.payload_utils import is_other_message_sub_event_in_assistant_thread
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack import messages, translate
from bot.asking.suggestions import prompts_for
from bot.people.audiences import Reader

log = logging.getLogger(__name__)

ROOT_SUBTYPE = "assistant_app_thread"  # Slack's subtype of an assistant thread's root message
TITLE_LIMIT = 60
PROMPT_LIMIT = 4  # Slack shows at most four suggested prompts
REMEMBERED = 10_000  # assistant threads kept in memory; older ones are looked up again

RunLater = Callable[..., None]  # run(function, *args) on the worker pool, never on Bolt's listener threads


class KnownThreads:
    """Assistant threads seen in this process, oldest forgotten first."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._threads: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, channel: str, thread: str) -> None:
        with self._lock:
            self._threads[(channel, thread)] = None
            while len(self._threads) > self._size:
                self._threads.popitem(last=False)

    def __contains__(self, key: tuple[str, str]) -> bool:
        with self._lock:
            return key in self._threads


class LorebotAssistant(Assistant):
    """Bolt's Assistant, except that edits and deletions in DM threads go on to the other listeners (a
    champion's edited answer in a DM-routed thread is still an edit)."""

    def process(self, *, req, resp, next):  # noqa: A002 - Bolt's keyword
        if is_other_message_sub_event_in_assistant_thread(req.body):
            return next()
        return super().process(req=req, resp=resp, next=next)


def build_assistant(*, core, client: WebClient, run_later: RunLater) -> Assistant:
    threads = KnownThreads()
    assistant = LorebotAssistant()

    @assistant.thread_started
    def on_thread_started(event: dict, say, set_suggested_prompts) -> None:
        thread = event.get("assistant_thread") or {}
        if thread.get("channel_id") and thread.get("thread_ts"):
            threads.add(thread["channel_id"], thread["thread_ts"])
        if thread.get("user_id"):
            run_later(_greet, core, thread["user_id"], say, set_suggested_prompts)

    @assistant.user_message
    def on_user_message(body: dict, event: dict, context, set_status, set_title) -> None:
        if (event.get("channel"), event.get("thread_ts")) in threads:
            ask = translate.from_assistant_message(event, body["event_id"])
            work = core.accept(ask) if ask is not None else None
            if work is not None:
                run_later(_answer, ask.text, work, set_status, set_title)
            return
        run_later(_unknown_thread, core, client, threads, dict(event), body["event_id"], context.get("bot_user_id"),
                  set_status, set_title)

    return assistant


def _greet(core, user_id: str, say, set_suggested_prompts) -> None:
    say(text=messages.ASSISTANT_GREETING)
    reader = Reader.person(core.context.config, "slack", user_id)
    prompts = prompts_for(core.context, reader, PROMPT_LIMIT)
    set_suggested_prompts(prompts=prompts, title=messages.ASSISTANT_PROMPTS_TITLE)


def _answer(question: str, work: Callable[[], None], set_status, set_title) -> None:
    """Title and status first (both cheap, and Slack clears the status when the answer is posted)."""
    try:
        set_title(_title(question))
        set_status(messages.ASSISTANT_SEARCHING)
    except SlackApiError as exc:
        log.info("assistant thread status not set: %s", exc.response.get("error"))
    except Exception as exc:  # noqa: BLE001 - a status is no reason to leave a question unanswered
        log.info("assistant thread status not set: %s", exc.__class__.__name__)
    work()


def _unknown_thread(core, client: WebClient, threads: KnownThreads, event: dict, event_id: str,
                    bot_user_id: str | None, set_status, set_title) -> None:
    """A DM thread this process has not seen start: an assistant thread (by its root) or one of Lorebot's own."""
    if _is_assistant_root(client, event["channel"], event["thread_ts"]):
        threads.add(event["channel"], event["thread_ts"])
        ask = translate.from_assistant_message(event, event_id)
        work = core.accept(ask) if ask is not None else None
        if work is not None:
            _answer(ask.text, work, set_status, set_title)
        return
    other = translate.from_message(event, event_id, bot_user_id)
    work = core.accept(other) if other is not None else None
    if work is not None:
        work()


def _is_assistant_root(client: WebClient, channel: str, thread: str) -> bool:
    try:
        found = client.conversations_replies(channel=channel, ts=thread, limit=1)
    except SlackApiError as exc:
        log.info("root of thread %s unknown: %s", thread, exc.response.get("error"))
        return False
    return ((found.get("messages") or [{}])[0]).get("subtype") == ROOT_SUBTYPE


def _title(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= TITLE_LIMIT else text[:TITLE_LIMIT - 1].rstrip() + "…"
