"""The Slack Web API client: configurable base URL (tests, other Slack clouds) and 429 handling."""
from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.errors import LorebotError

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


def check_token(client: WebClient) -> frozenset[str]:
    """Ask Slack whose token this is before serving: a revoked or mistyped token would otherwise start a bot
    that acknowledges every question and can answer none. Returns the token's workspace id (and its Enterprise
    Grid organisation's), the workspaces served unless lorebot.toml names others."""
    try:
        identity = client.auth_test()
    except SlackApiError as exc:
        reason = exc.response.get("error", "refused") if exc.response is not None else "refused"
        raise LorebotError(f"Slack refused SLACK_BOT_TOKEN ({reason}); check the bot token") from None
    except OSError as exc:
        raise LorebotError(f"cannot reach Slack to check SLACK_BOT_TOKEN ({exc.__class__.__name__})") from None
    return frozenset(value for value in (identity.get("team_id"), identity.get("enterprise_id"))
                     if isinstance(value, str) and value)
