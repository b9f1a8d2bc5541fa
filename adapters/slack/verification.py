"""Slack's request checks: the signature and timestamp on the raw body, then the shape of what was signed.

They run before Bolt sees a request, because Bolt answers some malformed input (bad form encoding, a
non-numeric timestamp) with a 500; here it gets a 4xx, and nothing is stored or sent for it.
"""
from __future__ import annotations

import json
import re
import time
from http import HTTPStatus
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

MAX_CLOCK_SKEW = 300  # seconds; Slack's own recommendation for replay protection
MAX_TIMESTAMP_DIGITS = 12  # seconds since 1970: 10 digits until the year 2286
# Slack's signature: version 0, a hex SHA-256. Checked first, because the verifier's comparison raises on text
# that is not ASCII (hmac.compare_digest).
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class RejectedRequest(Exception):
    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def check_request(headers: dict[str, str], raw: bytes, signing_secret: str, now: float | None = None) -> str:
    """The body as text if the request is signed, fresh and well formed; else RejectedRequest (4xx)."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        raise RejectedRequest(HTTPStatus.UNAUTHORIZED, "unsigned request")
    # ASCII digits of a plausible length: str.isdigit also accepts "²", which int() refuses, and int() refuses
    # more than 4,300 digits.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
        raise RejectedRequest(HTTPStatus.UNAUTHORIZED, "non-numeric timestamp")
    if abs((now or time.time()) - int(timestamp)) > MAX_CLOCK_SKEW:
        raise RejectedRequest(HTTPStatus.UNAUTHORIZED, "stale timestamp")
    if not SIGNATURE.fullmatch(signature):
        raise RejectedRequest(HTTPStatus.UNAUTHORIZED, "malformed signature")
    try:
        body = raw.decode("utf-8")  # Slack always sends UTF-8; the verifier itself would crash on anything else
    except UnicodeDecodeError:
        raise RejectedRequest(HTTPStatus.BAD_REQUEST, "body is not UTF-8") from None
    if not SignatureVerifier(signing_secret).is_valid(body=body, timestamp=timestamp, signature=signature):
        raise RejectedRequest(HTTPStatus.UNAUTHORIZED, "bad signature")
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            parsed = json.loads(body)
        except (json.JSONDecodeError, RecursionError):  # RecursionError: nested deeper than Python parses
            raise RejectedRequest(HTTPStatus.BAD_REQUEST, "bad JSON") from None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
            raise RejectedRequest(HTTPStatus.BAD_REQUEST, "not a Slack event")
    elif content_type == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(body, strict_parsing=True, keep_blank_values=True)
        except ValueError:
            raise RejectedRequest(HTTPStatus.BAD_REQUEST, "bad form encoding") from None
        if "payload" in form:
            try:
                payload = json.loads(form["payload"][0])
            except (json.JSONDecodeError, RecursionError):
                raise RejectedRequest(HTTPStatus.BAD_REQUEST, "bad JSON payload") from None
            if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
                raise RejectedRequest(HTTPStatus.BAD_REQUEST, "not a Slack interaction")
        elif "command" not in form:
            raise RejectedRequest(HTTPStatus.BAD_REQUEST, "neither a command nor an interaction")
    else:
        raise RejectedRequest(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported content type")
    return body
