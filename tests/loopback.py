"""A stdlib HTTP server on a free loopback port (port 0, so tests can run side by side), serving from a daemon
thread: the transport under every stand-in for a remote API. The stand-in only decides the answers."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Mapping


@dataclass(frozen=True)
class Incoming:
    method: str
    target: str  # the path with its query string, as sent
    headers: Mapping[str, str]
    body: bytes


Answer = tuple[int, bytes, dict[str, str]]  # status, body, headers


class LoopbackServer:
    def __init__(self, answer: Callable[[Incoming], Answer]) -> None:
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
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class StandIn:
    """What every stand-in for a remote API shares: the requests it recorded (``forget`` clears them), a lock
    for its corpus, and pacing: answers wait while ``gate`` is clear (a test holds a run mid-way), then ``delay``
    seconds (a test slows a run down to stop it part-way). Call ``pace()`` first thing in each answer."""

    def __init__(self) -> None:
        self.requests: list = []
        self._lock = threading.RLock()  # tests edit the corpus while a request holds it
        self.gate = threading.Event()
        self.gate.set()
        self.delay = 0.0

    def pace(self) -> None:
        self.gate.wait(timeout=60)
        if self.delay:
            time.sleep(self.delay)

    def forget(self) -> None:
        with self._lock:
            self.requests.clear()

    def recorded(self, request, respond: Callable[[object], Answer]) -> Answer:
        """Record ``request`` (anything with a ``status``), answer it with ``respond`` under the lock, and keep the
        status it got."""
        with self._lock:
            self.requests.append(request)
            status, body, headers = respond(request)
        request.status = status
        return status, body, headers


def take_fault(faults: list, request) -> object | None:
    """The first scripted fault whose ``matches(request)`` holds, used up once (``times``; None: never used up)."""
    for fault in list(faults):
        if fault.matches(request):
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    faults.remove(fault)
            return fault
    return None
