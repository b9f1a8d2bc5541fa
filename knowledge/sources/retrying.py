"""Patience with busy servers, shared by every source that speaks HTTP.

A 429 or 503 says when to come back (``Retry-After``, in seconds or as a date): that wait is obeyed, up to
``RetryPolicy.max_wait``. Other server errors, dropped connections, timeouts and an empty body where a body
was due are retried with exponential backoff and jitter. When the attempts run out the caller gets
``FetchFailed`` with a reason a person can act on, and turns it into a named failure: a rate limit never turns
into a page silently skipped.
"""
from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, TypeVar

import requests

from knowledge.errors import KnowledgeError

T = TypeVar("T")

RATE_LIMITED = {429, 503}  # the server says when to come back
TRANSIENT = {500, 502, 504}  # worth another try after a pause
USER_AGENT = "Lorebot (+https://github.com/lorebot/lorebot)"


class FetchFailed(KnowledgeError):
    """A request failed for good; the message says why in a few words ("HTTP 500 after 5 attempts")."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


class EmptyBody(Exception):
    """A 2xx answer without the body it should have carried: a half-finished response, worth retrying."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5  # the first backoff; doubled each time, plus jitter
    max_wait: float = 120.0  # the longest single wait, Retry-After included; a longer demand fails the request
    timeout: float = 30.0  # per request: connect and read
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def backoff(self, attempt: int) -> float:
        return min(self.max_wait, self.base_delay * 2 ** attempt * (1 + random.random() / 2))


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def with_retries(call: Callable[[], T], policy: RetryPolicy) -> T:
    """``call()``, retried as the module says; ``call`` raises ``requests.HTTPError`` (with its response),
    ``requests.RequestException`` or ``EmptyBody`` to ask for a retry. Raises ``FetchFailed`` at the end."""
    reason, status = "no attempt made", None
    for attempt in range(policy.attempts):
        try:
            return call()
        except requests.HTTPError as exc:
            response = exc.response
            status = response.status_code if response is not None else None
            if status not in RATE_LIMITED | TRANSIENT:
                raise FetchFailed(f"HTTP {status}", status) from None
            wait = retry_after(response.headers.get("Retry-After")) if status in RATE_LIMITED else None
            if wait is not None and wait > policy.max_wait:
                raise FetchFailed(f"rate limited (HTTP {status}): asked to wait {wait:.0f} s, more than "
                                  f"{policy.max_wait:.0f} s", status) from None
            reason = (f"rate limited (HTTP {status})" if status in RATE_LIMITED else f"HTTP {status}")
            delay = wait if wait is not None else policy.backoff(attempt)
        except EmptyBody:
            reason, status, delay = "empty response", None, policy.backoff(attempt)
        except requests.Timeout:
            reason, status, delay = f"no answer within {policy.timeout:g} s", None, policy.backoff(attempt)
        except requests.RequestException as exc:
            reason, status, delay = f"connection failed ({exc.__class__.__name__})", None, policy.backoff(attempt)
        if attempt + 1 < policy.attempts:
            policy.sleep(delay)
    raise FetchFailed(f"{reason} after {policy.attempts} attempts", status)


def http_session(user_agent: str = USER_AGENT) -> requests.Session:
    """A session with keep-alive connections for one sync run, and an honest user agent."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def get(session: requests.Session, url: str, policy: RetryPolicy, *, headers: dict[str, str] | None = None,
        passthrough: frozenset[int] = frozenset({304, 404, 410}), need_body: bool = True) -> requests.Response:
    """GET with retries. Statuses in ``passthrough`` come back to the caller as they are (the caller decides what a
    304 or a 404 means); other failures are retried or raise ``FetchFailed``."""

    def attempt() -> requests.Response:
        response = session.get(url, headers=headers, timeout=policy.timeout, allow_redirects=True)
        if response.status_code in passthrough:
            return response
        response.raise_for_status()
        if need_body and not response.content:
            raise EmptyBody()
        return response

    return with_retries(attempt, policy)
