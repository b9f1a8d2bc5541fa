"""HTTP mode: `/slack/events` for events, slash commands and interactivity.

The signature is checked on the raw body before anything else looks at it, and malformed input is answered
with 4xx here: handing it to Bolt first can end in a 500 for bad form encoding or a non-numeric timestamp.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

PATH = "/slack/events"
MAX_BODY = 1_000_000
MAX_CLOCK_SKEW = 300  # seconds; Slack's own recommendation for replay protection
LISTEN_BACKLOG = 256  # Slack delivers events in bursts; the stdlib's backlog of 5 resets connections under load


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
    if not timestamp.isdigit():
        raise RejectedRequest(HTTPStatus.UNAUTHORIZED, "non-numeric timestamp")
    if abs((now or time.time()) - int(timestamp)) > MAX_CLOCK_SKEW:
        raise RejectedRequest(HTTPStatus.UNAUTHORIZED, "stale timestamp")
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
        except json.JSONDecodeError:
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
            except json.JSONDecodeError:
                raise RejectedRequest(HTTPStatus.BAD_REQUEST, "bad JSON payload") from None
            if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
                raise RejectedRequest(HTTPStatus.BAD_REQUEST, "not a Slack interaction")
        elif "command" not in form:
            raise RejectedRequest(HTTPStatus.BAD_REQUEST, "neither a command nor an interaction")
    else:
        raise RejectedRequest(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported content type")
    return body


class _BurstTolerantServer(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG


def make_server(app: App, signing_secret: str, port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    if not signing_secret:
        raise ValueError("HTTP mode needs the signing secret")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path.split("?")[0] != PATH:
                self._reply(HTTPStatus.NOT_FOUND, b"")
                return
            try:
                length = int(self.headers.get("content-length", "0"))
            except ValueError:
                self._reply(HTTPStatus.BAD_REQUEST, b"")
                return
            if length < 0 or length > MAX_BODY:
                self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"")
                return
            raw = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                body = check_request(headers, raw, signing_secret)
            except RejectedRequest as rejected:
                log.info("slack request rejected: %s", rejected)
                self._reply(rejected.status, b"")
                return
            try:
                response = app.dispatch(BoltRequest(body=body, headers={k: [v] for k, v in headers.items()}))
            except Exception as exc:  # noqa: BLE001 - see below
                # Signed and well formed, but we failed: answer 200 so Slack does not retry the same failure
                # (the core has already told the person, or will on the next message).
                log.error("slack request failed after verification: %s", exc.__class__.__name__)
                self._reply(HTTPStatus.OK, b"")
                return
            status = response.status if response.status < 500 else HTTPStatus.OK
            self._reply(status, (response.body or "").encode("utf-8"),
                        {k: v[0] for k, v in response.headers.items() if v and k.lower() != "content-length"})

        def do_GET(self) -> None:  # noqa: N802
            self._reply(HTTPStatus.METHOD_NOT_ALLOWED if self.path.startswith(PATH) else HTTPStatus.NOT_FOUND, b"")

        def _reply(self, status: int, body: bytes, headers: dict | None = None) -> None:
            self.send_response(int(status))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - keep request lines out of stderr
            log.debug("slack http: " + format, *args)

    server = _BurstTolerantServer((host, port), Handler)
    server.daemon_threads = True
    return server



def serve_http(app: App, port: int, signing_secret: str, host: str = "0.0.0.0") -> None:
    """Serve until interrupted."""
    server = make_server(app, signing_secret, port, host)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def start_in_background(app: App, signing_secret: str, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve on a free port in a daemon thread (``server.server_address`` tells where); for local runs and tests."""
    server = make_server(app, signing_secret, 0, host)
    threading.Thread(target=server.serve_forever, daemon=True, name="lorebot-slack-http").start()
    return server
