"""Forged, stale and malformed requests are refused with 4xx before anything is stored or sent."""
from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
import sqlalchemy

from tests.adapters.slack.conftest import sign
from tests.bot.support import LEAVE_QUESTION

EVENT = json.dumps({"type": "event_callback", "event_id": "EvForged", "team_id": "T1",
                    "event": {"type": "message", "channel_type": "im", "channel": "DUERIN", "user": "UERIN",
                              "text": LEAVE_QUESTION, "ts": "1.1"}})


def _stored(rig) -> int:
    with rig.kb.engine.connect() as connection:
        return sum(connection.execute(sqlalchemy.text(f"select count(*) from {table}")).scalar_one()
                   for table in ("questions", "processed_events", "feedback"))


@pytest.mark.parametrize("case", ["unsigned", "forged", "stale", "non_numeric_timestamp", "superscript_timestamp",
                                  "huge_timestamp", "bad_json", "bad_form", "bad_payload", "wrong_content_type",
                                  "not_utf8", "non_ascii_signature", "deeply_nested_json"])
def test_bad_requests_get_4xx_and_store_nothing(rig, case: str) -> None:
    body, content_type, headers = EVENT, "application/json", sign(EVENT)
    if case == "unsigned":
        headers = {}
    elif case == "forged":
        headers = sign(EVENT, secret="not-the-secret")
    elif case == "stale":
        headers = sign(EVENT, timestamp=str(int(time.time()) - 3600))
    elif case == "non_numeric_timestamp":
        headers = {**sign(EVENT), "X-Slack-Request-Timestamp": "soon"}
    elif case == "superscript_timestamp":  # a digit to str.isdigit, not to int()
        headers = {**sign(EVENT), "X-Slack-Request-Timestamp": "\u00b2"}
    elif case == "huge_timestamp":  # more digits than int() converts
        headers = {**sign(EVENT), "X-Slack-Request-Timestamp": "9" * 5000}
    elif case == "bad_json":
        body = '{"type": "event_callback", '
        headers = sign(body)
    elif case == "bad_form":
        body, content_type = "command=/ask&&text=%ZZ=&=", "application/x-www-form-urlencoded"
        headers = sign(body)
    elif case == "bad_payload":
        body, content_type = urlencode({"payload": "{not json"}), "application/x-www-form-urlencoded"
        headers = sign(body)
    elif case == "wrong_content_type":
        content_type = "text/plain"
    elif case == "non_ascii_signature":  # the verifier's hmac.compare_digest raises on it
        headers = {**sign(EVENT), "X-Slack-Signature": "v0=" + "\u00e9" * 64}
    elif case == "deeply_nested_json":  # deeper than json.loads recurses
        body = "[" * 100_000 + "]" * 100_000
        headers = sign(body)
    status, _ = rig.post(body, content_type, headers, sign_it=False) if case != "not_utf8" else _latin(rig)
    assert 400 <= status < 500
    rig.settle()
    assert _stored(rig) == 0
    assert rig.api.calls == []


def _latin(rig):
    import urllib.error
    import urllib.request

    raw = '{"type": "event_callback", "x": "caf\xe9"}'.encode("latin-1")
    headers = {"Content-Type": "application/json", **sign(raw.decode("latin-1"))}
    # sign() encodes as UTF-8; re-sign over the raw latin-1 bytes so only the encoding is wrong
    import hashlib
    import hmac

    timestamp = headers["X-Slack-Request-Timestamp"]
    digest = hmac.new(b"test-signing-secret", f"v0:{timestamp}:".encode() + raw, hashlib.sha256).hexdigest()
    headers["X-Slack-Signature"] = f"v0={digest}"
    request = urllib.request.Request(rig.url, data=raw, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_url_verification_echoes_the_challenge(rig) -> None:
    status, body = rig.post(json.dumps({"type": "url_verification", "challenge": "abc123", "token": "t"}),
                            "application/json")
    assert status == 200 and "abc123" in body


def test_empty_slash_command_explains_how_to_ask(rig) -> None:
    status, body, _ = rig.command("UERIN", "   ")
    assert status == 200 and "/ask How many days" in body
    rig.settle()
    assert rig.api.named("chat.postMessage") == []


def test_a_burst_of_connections_is_answered_not_reset(rig) -> None:
    """Slack delivers in bursts: every connection of a burst gets an HTTP answer (here 401), none a reset."""
    from concurrent.futures import ThreadPoolExecutor

    def post_unsigned(_: int) -> int | str:
        try:
            return rig.post(EVENT, "application/json", sign_it=False)[0]
        except OSError as error:
            return type(error).__name__

    with ThreadPoolExecutor(max_workers=300) as senders:
        outcomes = list(senders.map(post_unsigned, range(300)))
    assert outcomes == [401] * 300
    assert _stored(rig) == 0


def test_oversized_bodies_get_413_before_anything_reads_them(rig) -> None:
    body = json.dumps({"type": "event_callback", "padding": "x" * 2_000_000})
    status, _ = rig.post(body, "application/json")
    assert status == 413
    assert _stored(rig) == 0 and rig.api.calls == []


@pytest.mark.parametrize("request_line, headers, expected", [
    ("GET /slack/events HTTP/1.1", "", 405),
    ("POST /elsewhere HTTP/1.1", "Content-Length: 0\r\n", 404),
    ("POST /slack/events HTTP/1.1", "Content-Length: banana\r\n", 400),
    ("POST /slack/events HTTP/1.1", "Content-Length: -5\r\n", 400),
    ("NOT-HTTP-AT-ALL", "", 400),
])
def test_malformed_http_gets_4xx(rig, request_line: str, headers: str, expected: int) -> None:
    """Raw bytes on a socket, so nothing between the test and the server tidies them up first."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(rig.url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as connection:
        connection.sendall(f"{request_line}\r\nHost: x\r\n{headers}Connection: close\r\n\r\n".encode())
        status_line = connection.makefile("rb").readline().decode()
    assert int(status_line.split()[1]) == expected
    assert _stored(rig) == 0
