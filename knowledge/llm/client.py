"""A chat call to any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp, LM Studio, OpenAI, Azure OpenAI).

It promises three things the callers build on:
- Bounded time: the reply, or ``LlmUnavailable``, comes within ``timeout_s`` (plus half a second). openai's
  retries are off, because each retry would wait a full timeout again while the asker waits; the fallback
  (today's extract answer) is better than a late answer. The one deliberate second request, the parameter retry
  below, gets only what is left of the same deadline. httpx's timeouts bound each read, not the whole reply, so a
  server that trickles bytes could hold a call longer: the request runs on a daemon thread that the caller stops
  waiting for at the deadline (the thread ends at the next read timeout).
- One failure type: every transport error, status, or empty/unreadable reply becomes ``LlmUnavailable`` with a
  short reason that holds no key, no prompt and no reply text (server error bodies may echo the prompt).
- Quiet logs: model, latency, token counts and passage ids; prompts and replies only with ``log_prompts``.
  openai's own DEBUG log holds the whole request body, so its logger is kept at INFO unless ``log_prompts``.

Servers disagree on the name of the reply-length limit: newer OpenAI models refuse ``max_tokens`` and want
``max_completion_tokens``, while older servers know only ``max_tokens``. A 400 that names either is retried once
with the other, and the name that worked is kept for later calls.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import openai

from knowledge.llm.errors import LlmUnavailable
from knowledge.llm.options import LlmOptions

log = logging.getLogger(__name__)

Message = dict[str, str]  # {"role": "system" | "user", "content": ...}
_LENGTH_PARAMETERS = ("max_tokens", "max_completion_tokens")
_NO_KEY = "not-needed"  # local servers want no key, but the openai client insists on one
_GRACE_S = 0.5  # beyond the deadline, for a reply already arriving


@dataclass(frozen=True)
class Reply:
    text: str
    model: str
    latency_ms: int
    prompt_tokens: int
    completion_tokens: int


class ChatClient:
    def __init__(self, options: LlmOptions, api_key: str | None) -> None:
        """``api_key``: the key itself, looked up by the caller (``LlmOptions.api_key``); None for local servers."""
        self.options = options
        self._length_parameter = "max_tokens"
        self._lock = threading.Lock()
        common: dict[str, Any] = {"api_key": api_key or _NO_KEY, "timeout": options.timeout_s, "max_retries": 0}
        if options.azure:
            self._client: openai.OpenAI = openai.AzureOpenAI(azure_endpoint=options.base_url,
                                                             api_version=options.api_version, **common)
        else:
            self._client = openai.OpenAI(base_url=options.base_url, **common)
        if not options.log_prompts:
            quiet = logging.getLogger("openai")
            if quiet.level == logging.NOTSET or quiet.level < logging.INFO:
                quiet.setLevel(logging.INFO)

    def chat(self, messages: Sequence[Message], purpose: str, passage_ids: Sequence[str] = ()) -> Reply:
        """The model's reply to ``messages``; ``purpose`` ("answer", "judge") and ``passage_ids`` go to the log."""
        started = time.monotonic()
        deadline = started + self.options.timeout_s
        if self.options.log_prompts:
            log.debug("llm %s prompt: %r", purpose, list(messages))
        with self._lock:
            parameter = self._length_parameter
        try:
            try:
                response = self._create(messages, parameter, deadline)
            except openai.BadRequestError as refused:
                other = _other_length_parameter(parameter, refused)
                if other is None:
                    raise
                log.info("llm %s: the server refused %s; retrying with %s", purpose, parameter, other)
                response = self._create(messages, other, deadline)
                with self._lock:
                    self._length_parameter = other
            text = response.choices[0].message.content
        except LlmUnavailable as late:
            raise self._failed(purpose, started, late.reason) from None
        except openai.APITimeoutError:
            raise self._failed(purpose, started, f"no reply within {self.options.timeout_s:g} s") from None
        except openai.APIConnectionError:
            raise self._failed(purpose, started, "cannot connect") from None
        except openai.APIStatusError as status:
            raise self._failed(purpose, started, f"HTTP {status.status_code}") from None
        except (openai.OpenAIError, AttributeError, IndexError, TypeError, ValueError) as error:
            raise self._failed(purpose, started, f"unreadable reply ({type(error).__name__})") from None
        latency_ms = round((time.monotonic() - started) * 1000)
        if not isinstance(text, str) or not text.strip():
            raise self._failed(purpose, started, "empty reply")
        usage = getattr(response, "usage", None)
        reply = Reply(text=text, model=self.options.model, latency_ms=latency_ms,
                      prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                      completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0))
        log.info("llm %s: model=%s latency_ms=%d prompt_tokens=%d completion_tokens=%d passages=%s", purpose,
                 reply.model, latency_ms, reply.prompt_tokens, reply.completion_tokens, list(passage_ids))
        if self.options.log_prompts:
            log.debug("llm %s reply: %r", purpose, text)
        return reply

    def _create(self, messages: Sequence[Message], parameter: str, deadline: float) -> Any:
        left = deadline - time.monotonic()
        if left <= 0:
            raise LlmUnavailable(f"no reply within {self.options.timeout_s:g} s")
        return _within(left + _GRACE_S, lambda: self._client.chat.completions.create(
            model=self.options.model, messages=list(messages), temperature=0, timeout=left,
            extra_body={parameter: self.options.max_tokens}), f"no reply within {self.options.timeout_s:g} s")

    def _failed(self, purpose: str, started: float, reason: str) -> LlmUnavailable:
        log.warning("llm %s failed after %d ms: model=%s %s", purpose, round((time.monotonic() - started) * 1000),
                    self.options.model, reason)
        return LlmUnavailable(reason)


def _other_length_parameter(sent: str, refused: openai.BadRequestError) -> str | None:
    """The other name for the reply-length limit, when the server's 400 names one of them; else None."""
    message = str(getattr(refused, "message", "") or "") + " " + str(getattr(refused, "body", "") or "")
    if not any(name in message for name in _LENGTH_PARAMETERS):
        return None
    return _LENGTH_PARAMETERS[1] if sent == _LENGTH_PARAMETERS[0] else _LENGTH_PARAMETERS[0]


def _within(seconds: float, call: Callable[[], Any], reason: str) -> Any:
    """``call()``'s result or exception, or ``LlmUnavailable(reason)`` once ``seconds`` have passed without one."""
    outcome: list[tuple[bool, Any]] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as error:  # handed to the caller's thread as it is
            outcome.append((False, error))
        done.set()

    threading.Thread(target=run, name="llm-call", daemon=True).start()
    if not done.wait(seconds):
        raise LlmUnavailable(reason)
    ok, value = outcome[0]
    if ok:
        return value
    raise value
