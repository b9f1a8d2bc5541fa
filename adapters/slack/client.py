"""The Slack Web API client: configurable base URL (tests, other Slack clouds) and 429 handling."""
from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

RATE_LIMIT_RETRIES = 3
TIMEOUT_SECONDS = 10


def make_web_client(token: str, base_url: str = "https://slack.com/api/") -> WebClient:
    """A WebClient that waits ``Retry-After`` and retries when Slack answers 429."""
    if not base_url.endswith("/"):
        base_url += "/"
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
    )
