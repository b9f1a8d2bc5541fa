"""Hostile HTTP for the one server `lorebot serve` runs: a seeded generator of malformed and forged requests for
the Slack and Teams endpoints, a raw-socket client that records what each got back, connections that stay open
without finishing a request, and the server itself (both platforms, Teams authentication on) on loopback.

Shared by tests/adapters/test_hostile_requests.py and benchmarks/bench_fuzz.py, so both send the same requests.
Requests are raw bytes, so they can be what no HTTP library would send: broken framing, odd chunking, header
bytes that are not ASCII.
"""
from __future__ import annotations

import base64
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote, urlencode

import sqlalchemy

from tests.adapters.slack.conftest import SECRET, sign

SLACK = "/slack/events"
TEAMS = "/api/messages"
TEAMS_APP_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Probe:
    """One request: which endpoint it aims at, what kind of damage it carries, and its bytes on the wire."""

    endpoint: str
    kind: str
    raw: bytes


# -- building requests ------------------------------------------------------------------------------------------

def http_request(method: bytes, path: bytes, headers: list[tuple[bytes, bytes]], body: bytes = b"", *,
                 length: bytes | None = None, version: bytes = b"HTTP/1.1") -> bytes:
    """A request with ``Content-Length`` set from the body unless ``length`` says otherwise (b"" leaves it out)."""
    lines = [method + b" " + path + b" " + version, b"Host: 127.0.0.1", b"Connection: close"]
    lines += [name + b": " + value for name, value in headers]
    if length is None:
        length = str(len(body)).encode()
    if length:
        lines.append(b"Content-Length: " + length)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def chunked(method: bytes, path: bytes, headers: list[tuple[bytes, bytes]], chunks: bytes) -> bytes:
    """A request whose body is ``chunks`` as written (possibly malformed chunked framing)."""
    return http_request(method, path, headers + [(b"Transfer-Encoding", b"chunked")], chunks, length=b"")


def slack_headers(body: str, content_type: str = "application/json", timestamp: str | None = None) -> list:
    signed = sign(body, timestamp)
    return [(b"Content-Type", content_type.encode()),
            (b"X-Slack-Request-Timestamp", signed["X-Slack-Request-Timestamp"].encode()),
            (b"X-Slack-Signature", signed["X-Slack-Signature"].encode())]


def url_verification() -> bytes:
    """A correctly signed Slack url_verification: the request a healthy server must always acknowledge."""
    body = json.dumps({"type": "url_verification", "token": "t", "challenge": "still-here"})
    return http_request(b"POST", SLACK.encode(), slack_headers(body), body.encode())


def _event(rng: random.Random) -> dict:
    return {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"EvF{rng.randrange(10**9)}",
            "event_time": int(time.time()),
            "event": {"type": "message", "channel_type": "im", "channel": "DUALICE", "user": "UALICE",
                      "text": "How many days of annual leave do I get?", "ts": "1700000001.000100"}}


def _activity(rng: random.Random) -> dict:
    return {"type": "message", "id": str(rng.randrange(10**12)), "timestamp": "2026-11-26T10:00:00.000Z",
            "serviceUrl": "http://127.0.0.1:9/", "channelId": "msteams",
            "from": {"id": "29:1alice", "name": "Alice", "aadObjectId": "aad-alice"},
            "conversation": {"conversationType": "personal", "tenantId": "t", "id": "a:1alice-personal"},
            "recipient": {"id": "28:bot", "name": "Lorebot"}, "text": "How many days of annual leave do I get?",
            "channelData": {"tenant": {"id": "t"}}}


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _jwt(header: dict, claims: dict, signature: bytes = b"sig") -> bytes:
    return b".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(signature)])


# Values a header can carry that no sane client sends: unicode digits, 5,000 digits, control bytes, not UTF-8.
def _odd_values(rng: random.Random) -> list[bytes]:
    return [b"", b" ", b"0", b"-1", b"1e10", b"12.5", b"9" * 5000, "١٧٠٠٠٠٠٠٠٠".encode(), "²³".encode(),
            "１７００".encode(), b"\xff\xfe\xfd", b"v0=" + b"a" * 5000, b"v0=" + "é".encode() * 32,
            b"v1=" + b"0" * 64, b"v0=" + b"g" * 64, b"\tv0=abc ", bytes(rng.randrange(32, 127) for _ in range(40)),
            str(int(time.time()) - 10_000).encode(), str(int(time.time()) + 10_000).encode(), b"0x10", b"+1700000000"]


def _nested(depth: int, rng: random.Random) -> bytes:
    opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
    return opener * depth + b"1" + closer * depth


def _junk_json(rng: random.Random, good: dict) -> bytes:
    text = json.dumps(good).encode()
    choice = rng.randrange(9)
    if choice == 0:
        return text[:rng.randrange(len(text))]
    if choice == 1:
        return _nested(rng.choice([64, 1_000, 20_000, 200_000]), rng)
    if choice == 2:
        return json.dumps({**good, "type": None, "text": "x" * rng.choice([1000, 500_000, 1_100_000])}).encode()
    if choice == 3:
        return rng.randbytes(rng.randrange(1, 2000))
    if choice == 4:
        return rng.choice([b"[]", b"null", b"1", b'"type"', b"{}", b'{"type": null}', b'{"type": 7}',
                           b'{"type": ["message"]}', b'{"type": ""}', b"\xef\xbb\xbf{}", b"NaN", b"{" * 3])
    if choice == 5:
        return json.dumps({key: rng.choice([None, 5, [], {}, -1.5, True]) for key in good}).encode()
    if choice == 6:
        return text.replace(b'"', b"'")
    if choice == 7:
        return text + b"\x00" + rng.randbytes(20)
    return text.decode().encode("utf-16")


_METHODS = [b"GET", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"HEAD", b"TRACE", b"CONNECT", b"FOO", b"G\x00ET",
            b"P0ST", b"POST POST", b"", b"\xff"]
_CONTENT_TYPES = [b"", b"text/plain", b"application/xml", b"multipart/form-data; boundary=x",
                  b"application/json; charset=ebcdic", b"APPLICATION/JSON", b"application/x-www-form-urlencoded",
                  b"application/json, text/plain", b"\xff\xfe", b"application/" + b"j" * 5000]


def _http_damage(rng: random.Random, path: bytes, body: bytes, headers: list) -> tuple[str, bytes]:
    """Damage at the HTTP layer, the same for either endpoint."""
    choice = rng.randrange(16)
    if choice == 0:
        return "method", http_request(rng.choice(_METHODS), path, headers, body)
    if choice == 1:
        bad = rng.choice([path + b"/x", path + b"%00", path + b"/../../etc/passwd", b"/" + b"a" * 20_000, b"*",
                          b"//" + path, path + b"?" + b"q=" * 3000, b"/%ZZ", path.upper(), b"http://evil" + path,
                          b"/healthz/" + b"x" * 10, b"/\xff\xfe", path + b"#frag", b""])
        return "path", http_request(b"POST", bad, headers, body)
    if choice == 2:
        length = rng.choice([b"-1", b"abc", b"1e3", b"99999999999999999999999", b" 5", b"0x10", b"1, 2",
                             str(len(body) + 1).encode() + b"0"])
        return "content-length", http_request(b"POST", path, headers, body, length=length)
    if choice == 3:
        return "duplicate-length", http_request(b"POST", path, headers + [(b"Content-Length", b"1")], body)
    if choice == 4:
        return "length-and-chunked", http_request(b"POST", path, headers + [(b"Transfer-Encoding", b"chunked")],
                                                  body)
    if choice == 5:
        framing = rng.choice([b"zz\r\nabc\r\n0\r\n\r\n", b"5;ext=\xff\r\nhello\r\n0\r\n\r\n",
                              b"ffffffffffffffffffff\r\nx\r\n0\r\n\r\n", b"-5\r\nhello\r\n0\r\n\r\n",
                              b"5\r\nhelloEXTRA\r\n0\r\n\r\n", b"0\r\nTrailer: \xff\r\n\r\n", b"3\nabc\n0\n\n",
                              b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if len(body) < MIB else b"0\r\n\r\n"])
        return "chunked", chunked(b"POST", path, headers, framing)
    if choice == 6:
        size = rng.choice([MIB + 1, 2 * MIB])
        pieces = b"".join(b"%x\r\n%s\r\n" % (64 * 1024, b"a" * 64 * 1024) for _ in range(size // (64 * 1024) + 1))
        return "chunked-oversize", chunked(b"POST", path, headers, pieces + b"0\r\n\r\n")
    if choice == 7:
        return "oversize", http_request(b"POST", path, headers, b"{" + b"a" * rng.choice([MIB, 3 * MIB]))
    if choice == 8:
        encoding = rng.choice([b"gzip", b"deflate", b"br", b"zstd", b"compress", b"gzip, gzip", b"\xff"])
        return "content-encoding", http_request(b"POST", path, headers + [(b"Content-Encoding", encoding)],
                                                rng.randbytes(rng.randrange(1, 500)))
    if choice == 9:
        return "huge-header", http_request(b"POST", path, headers + [(b"X-Junk", b"a" * rng.choice([9000, 70_000]))],
                                           body)
    if choice == 10:
        many = [(b"X-H%d" % number, b"v") for number in range(rng.choice([129, 500]))]
        return "many-headers", http_request(b"POST", path, headers + many, body)
    if choice == 11:
        line = rng.choice([b"NoColonHere", b": empty-name", b"Bad Name: v", b"X-\xff: v", b"X-A: \x00\x01",
                           b" folded: line", b"X-A:\r\n continued"])
        raw = http_request(b"POST", path, headers, body)
        return "header-line", raw.replace(b"\r\n", b"\r\n" + line + b"\r\n", 1)
    if choice == 12:
        version = rng.choice([b"HTTP/1.0", b"HTTP/9.9", b"HTTP/2.0", b"HTTP/1", b"FTP/1.1", b"HTTP/1.1 extra"])
        return "version", http_request(b"POST", path, headers, body, version=version)
    if choice == 13:
        return "random-bytes", rng.randbytes(rng.randrange(1, 4000))
    if choice == 14:
        return "expect", http_request(b"POST", path, headers + [(b"Expect", rng.choice([b"100-continue",
                                                                                         b"teapot"]))], body)
    raw = http_request(b"POST", path, headers, body)
    return "bare-lf", raw.replace(b"\r\n", b"\n")


def _slack_probe(rng: random.Random) -> tuple[str, bytes]:
    event = _event(rng)
    body = json.dumps(event)
    path = SLACK.encode()
    choice = rng.randrange(8)
    if choice == 0:  # unsigned, or signed wrongly
        headers = [(b"Content-Type", b"application/json")]
        for name in rng.sample([b"X-Slack-Request-Timestamp", b"X-Slack-Signature"], rng.randrange(3)):
            headers.append((name, rng.choice(_odd_values(rng))))
        return "unsigned", http_request(b"POST", path, headers, body.encode())
    if choice == 1:  # a real timestamp, a forged signature
        headers = slack_headers(body)
        headers[2] = (b"X-Slack-Signature", rng.choice(_odd_values(rng)))
        return "bad-signature", http_request(b"POST", path, headers, body.encode())
    if choice == 2:  # an odd timestamp, signed over that timestamp
        timestamp = rng.choice(_odd_values(rng))
        try:
            headers = slack_headers(body, timestamp=timestamp.decode("utf-8") or None)
            headers[1] = (b"X-Slack-Request-Timestamp", timestamp)
        except UnicodeDecodeError:
            headers = slack_headers(body)
            headers[1] = (b"X-Slack-Request-Timestamp", timestamp)
        return "bad-timestamp", http_request(b"POST", path, headers, body.encode())
    if choice == 3:  # signed with another secret
        signed = sign(body, secret="not-" + SECRET)
        headers = [(b"Content-Type", b"application/json")] + [(k.encode(), v.encode()) for k, v in signed.items()]
        return "wrong-secret", http_request(b"POST", path, headers, body.encode())
    if choice == 4:  # correctly signed, but the body is junk
        junk = _junk_json(rng, event)
        try:
            text = junk.decode("utf-8")
        except UnicodeDecodeError:
            return "signed-junk", http_request(b"POST", path, slack_headers(body), junk)
        return "signed-junk", http_request(b"POST", path, slack_headers(text), junk)
    if choice == 5:  # correctly signed form bodies that are not commands or interactions
        form = rng.choice(["payload=%ZZ", "payload={bad", "a&&b=", "payload=[]", "payload=" + quote('{"type": 5}'),
                           "=", "&", "payload=" + quote(json.dumps({"type": "block_actions"}))[:30], "%" * 50,
                           urlencode({"payload": "x" * 5000}), "command", "payload=null&payload=1",
                           urlencode({"payload": json.dumps({"no": "type"})}), "\u00e9=\u00e9"])
        return "signed-form", http_request(b"POST", path, slack_headers(form, "application/x-www-form-urlencoded"),
                                           form.encode())
    if choice == 6:  # correctly signed, wrong content type
        content_type = rng.choice([kind for kind in _CONTENT_TYPES if b"json" not in kind.lower()])
        headers = slack_headers(body)
        headers[0] = (b"Content-Type", content_type)
        return "content-type", http_request(b"POST", path, headers, body.encode())
    forged = [(b"Content-Type", b"application/json")] + [(k.encode(), v.encode()) for k, v in
                                                         sign(body, secret="not-" + SECRET).items()]
    return _http_damage(rng, path, body.encode(), forged)


def _teams_probe(rng: random.Random) -> tuple[str, bytes]:
    activity = _activity(rng)
    body = json.dumps(activity).encode()
    path = TEAMS.encode()
    now = int(time.time())
    claims = {"iss": "https://api.botframework.com", "aud": TEAMS_APP_ID, "serviceurl": activity["serviceUrl"],
              "nbf": now - 10, "exp": now + 600}
    tokens = [b"", b"Bearer", b"Bearer ", b"bearer a.b.c", b"Bearer a.b.c", b"Bearer ...", b"Basic dXNlcjpwYXNz",
              b"Bearer " + b"x" * 5000, b"Bearer \xff\xfe.\xff.\xff", "Bearer é.é.é".encode(),
              b"Bearer " + _jwt({"alg": "HS256", "kid": "forged"}, claims),
              b"Bearer " + _jwt({"alg": "none"}, claims, b""),
              b"Bearer " + _jwt({"alg": "RS256", "kid": "x" * 3000}, claims),
              b"Bearer " + _jwt({"alg": "RS256"}, {"exp": "9" * 5000}),
              b"Bearer " + _b64(b"{") + b"." + _b64(b"[") + b"." + _b64(b"x"),
              b"Bearer " + b".".join(_b64(rng.randbytes(30)) for _ in range(3)),
              b"Bearer a.b.c, Bearer d.e.f", b"Negotiate abc"]
    choice = rng.randrange(5)
    if choice == 0:  # a good activity, a missing or forged token
        token = rng.choice(tokens)
        headers = [(b"Content-Type", b"application/json")] + ([(b"Authorization", token)] if token else [])
        return "forged-token", http_request(b"POST", path, headers, body)
    bearer = [(b"Content-Type", b"application/json"), (b"Authorization", rng.choice(tokens[4:] or [b"Bearer a.b.c"]))]
    if choice == 1:  # junk JSON
        return "junk-json", http_request(b"POST", path, bearer, _junk_json(rng, activity))
    if choice == 2:  # an activity with odd fields
        odd = dict(activity)
        for key in rng.sample(sorted(odd), rng.randrange(1, 4)):
            odd[key] = rng.choice([None, 5, [], {}, "", "x" * 5000, {"id": None}, [{"id": 1}], -1e308, "\ud800",
                                   "2026-13-45T99:99:99Z", {"a": {"b": {"c": []}}}])
        odd.setdefault("type", "message")
        try:
            data = json.dumps(odd).encode()
        except UnicodeEncodeError:
            data = json.dumps(odd, ensure_ascii=True).encode()
        return "odd-activity", http_request(b"POST", path, bearer, data)
    if choice == 3:  # a wrong content type
        headers = [(b"Content-Type", rng.choice(_CONTENT_TYPES)), bearer[1]]
        return "content-type", http_request(b"POST", path, headers, body)
    return _http_damage(rng, path, body, bearer)


def generate(count: int, seed: int = 20261126) -> list[Probe]:
    """``count`` hostile requests, half for each endpoint, the same for the same seed."""
    rng = random.Random(seed)
    probes = []
    for number in range(count):
        endpoint = SLACK if number % 2 == 0 else TEAMS
        kind, raw = (_slack_probe if endpoint == SLACK else _teams_probe)(rng)
        probes.append(Probe(endpoint, kind, raw))
    return probes


# -- sending them ------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    probe: Probe
    status: int | None  # None: no HTTP response (see error)
    error: str | None
    seconds: float


def send(host: str, port: int, raw: bytes, timeout: float = 30) -> tuple[int | None, str | None]:
    """Send ``raw`` on a new connection and read until the server closes it: (status, None), or (None, what went
    wrong) when no response came. Every request says ``Connection: close``, so a response ends the connection."""
    received = b""
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            try:
                connection.sendall(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered early (e.g. 413) and stopped reading: its answer may still be there
            while chunk := connection.recv(65536):
                received += chunk
    except TimeoutError:
        return None, "hang"
    except ConnectionResetError:
        if not _STATUS.match(_final(received)):
            return None, "reset"
    except OSError as exc:
        return None, type(exc).__name__
    status = _STATUS.match(_final(received))
    return (int(status.group(1)), None) if status else (None, "no response")


_STATUS = re.compile(rb"HTTP/\S+ (\d{3}) ")


def _final(response: bytes) -> bytes:
    """The response after any interim ones (``100 Continue``)."""
    while re.match(rb"HTTP/\S+ 1\d\d ", response) and b"\r\n\r\n" in response:
        response = response.split(b"\r\n\r\n", 1)[1]
    return response


def fire(host: str, port: int, probes: list[Probe], workers: int = 8) -> list[Outcome]:
    def one(probe: Probe) -> Outcome:
        started = time.perf_counter()
        status, error = send(host, port, probe.raw)
        return Outcome(probe, status, error, time.perf_counter() - started)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, probes))


@dataclass
class Tally:
    """What a batch of outcomes adds up to."""

    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    failures: list[Outcome] = field(default_factory=list)  # 5xx, or no HTTP answer at all

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> "Tally":
        tally = cls()
        for outcome in outcomes:
            if outcome.status is not None:
                tally.statuses[outcome.status] += 1
            else:
                tally.errors[outcome.error] += 1
            if outcome.status is None or outcome.status >= 500:
                tally.failures.append(outcome)
        return tally

    def describe_failures(self, limit: int = 10) -> str:
        return "\n".join(f"{f.probe.endpoint} {f.probe.kind}: {f.status or f.error} <- {f.probe.raw[:200]!r}"
                         for f in self.failures[:limit])


def rows(engine: sqlalchemy.Engine) -> dict[str, int]:
    """The number of rows in every table."""
    names = sqlalchemy.inspect(engine).get_table_names()
    with engine.connect() as connection:
        return {name: connection.execute(sqlalchemy.text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
                for name in names}


# -- connections that never finish --------------------------------------------------------------------------------

class SlowConnections:
    """``count`` connections that each send part of a request and then trickle a byte now and then: headers never
    finished, a body never finished, or nothing at all after connecting."""

    def __init__(self, host: str, port: int, count: int, trickle_every: float = 0.5) -> None:
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self.closed_by_server = 0
        starts = [b"POST " + SLACK.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Slow: ",
                  b"POST " + TEAMS.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000\r\n\r\n{",
                  b""]
        for number in range(count):
            connection = socket.create_connection((host, port), timeout=10)
            try:
                connection.sendall(starts[number % len(starts)])
            except OSError:  # already closed to make room for a newer one
                connection.close()
                self.closed_by_server += 1
                continue
            self._sockets.append(connection)
        self._trickler = threading.Thread(target=self._trickle, args=(trickle_every,), daemon=True)
        self._trickler.start()

    def _trickle(self, every: float) -> None:
        while not self._stop.wait(every):
            for connection in list(self._sockets):
                try:
                    connection.sendall(b"a")
                except OSError:
                    self._sockets.remove(connection)
                    connection.close()
                    self.closed_by_server += 1

    @property
    def open(self) -> list[socket.socket]:
        """The connections the server has not closed, as far as the trickle has found out."""
        return list(self._sockets)

    def close(self) -> None:
        self._stop.set()
        self._trickler.join(timeout=5)
        for connection in self._sockets:
            connection.close()


def timed(host: str, port: int, raw: bytes) -> tuple[int | None, float]:
    """The status a request got and how long it took."""
    started = time.perf_counter()
    status, _ = send(host, port, raw, timeout=10)
    return status, time.perf_counter() - started


# -- the server under attack --------------------------------------------------------------------------------------

@dataclass
class Target:
    """Both platforms on one application, as `lorebot serve --slack --teams` runs them, listening on loopback."""

    host: str
    port: int
    engine: sqlalchemy.Engine
    close: Callable[[], None]


def serve_both(kb, *, timeouts=None, connections: int | None = None) -> Target:
    """The real Bolt app and the real Teams endpoint (authentication on, with credentials Microsoft never issued)
    on one shared application over ``kb``'s database, with loopback stand-ins for the Slack Web API and the
    Bot Connector."""
    from concurrent.futures import ThreadPoolExecutor as Pool
    from urllib.parse import urlsplit

    from adapters import web_server
    from adapters.slack import SlackMessenger, add_slack_routes, build_app, make_web_client
    from adapters.teams import TeamsMessenger, add_teams_routes, connect_teams
    from bot.config import parse_config
    from bot.core import Lorebot
    from bot.messengers import MessengerRouter
    from tests.adapters.loopback import LoopThread
    from tests.adapters.slack.conftest import CONFIG
    from tests.adapters.slack.fake_slack import FakeSlackApi
    from tests.adapters.teams.support import TENANT

    api = FakeSlackApi()
    client = make_web_client("xoxb-test-token", api.base_url)
    teams = TeamsMessenger(connect_teams(app_id=TEAMS_APP_ID, app_password="not-a-real-secret"), kb.engine)
    core = Lorebot(config=parse_config(CONFIG), knowledge=kb,
                   messenger=MessengerRouter({"slack": SlackMessenger(client), "teams": teams}))
    work = Pool(max_workers=4)
    app = web_server.new_application(timeouts or web_server.Timeouts())
    add_slack_routes(app, build_app(core=core, client=client, signing_secret=SECRET, executor=work,
                                    workspaces=["T1"]), SECRET, work=work)
    add_teams_routes(app, core=core, messenger=teams, tenants=[TENANT])
    loop = LoopThread()
    options = {} if connections is None else {"connections": connections}
    listening = loop.run(web_server.start(app, "127.0.0.1", 0, **options))
    where = urlsplit(listening.url)

    def close() -> None:
        loop.run(listening.stop())
        loop.stop()
        teams.close()
        api.close()

    return Target(where.hostname, where.port, kb.engine, close)
