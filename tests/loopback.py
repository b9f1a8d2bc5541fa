"""A stdlib HTTP server on a free loopback port (port 0, so tests can run side by side), serving from a daemon
thread: the transport under every stand-in for a remote API. The stand-in only decides the answers."""
from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class Incoming:
    method: str
    target: str  # the path with its query string, as sent
    headers: Mapping[str, str]
    body: bytes


Answer = tuple[int, bytes, dict[str, str]]  # status, body, headers


@dataclass
class Fault:
    """Answer requests that ``matches`` with ``status`` (and ``headers``, ``body``) ``times`` times (None: always)."""

    matches: Callable[[Any], bool]
    status: int = 500
    times: int | None = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # None: the stand-in's own JSON error message


class LoopbackServer:
    def __init__(self, answer: Callable[[Incoming], Answer], tls: ssl.SSLContext | None = None) -> None:
        """``tls``: serve https with this server-side context (a stand-in whose real client insists on https)."""
        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0") or 0))
                status, data, headers = answer(Incoming(self.command, self.path, self.headers, body))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.scheme = "https" if tls else "http"
        if tls:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def scripted(hooks: list[tuple[Callable[[Any], bool], Callable[[], None]]], faults: list, request: Any):
    """Run the hooks ``request`` matches (each once), then take the first fault it matches, counting down its
    ``times`` (None: always); a stand-in answers with the fault returned, if any."""
    for hook in list(hooks):
        if hook[0](request):
            hooks.remove(hook)
            hook[1]()
    for fault in list(faults):
        if fault.matches(request):
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    faults.remove(fault)
            return fault
    return None


class StandIn:
    """What every stand-in for a remote API shares: the requests it was asked, in order (``forget`` clears them),
    scripted ``faults`` and ``hooks`` (see ``scripted``), a ``gate`` that holds every answer while it is clear, and
    a ``delay`` before each. A subclass turns ``Incoming`` into its own request record and answers it."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list = []
        self.faults: list = []
        self.hooks: list[tuple[Callable[[Any], bool], Callable[[], None]]] = []  # run once, when matched
        self.delay = 0.0  # seconds before each answer
        self.gate = threading.Event()  # answers wait while it is clear
        self.gate.set()
        self._lock = threading.RLock()  # hooks edit the corpus while a request holds it
        self.server = LoopbackServer(self._answer, tls=tls)

    def close(self) -> None:
        self.gate.set()
        self.server.close()

    def forget(self) -> None:
        with self._lock:
            self.requests.clear()

    def _answer(self, incoming: Incoming) -> Answer:
        raise NotImplementedError

    def _held(self) -> None:
        self.gate.wait(timeout=60)
        if self.delay:
            time.sleep(self.delay)

    def _recorded(self, request: Any, respond: Callable[[Any], Answer]) -> Answer:
        """Record ``request``, answer it under the lock, and keep the status it got."""
        with self._lock:
            self.requests.append(request)
            status, body, headers = respond(request)
        request.status = status
        return status, body, headers
