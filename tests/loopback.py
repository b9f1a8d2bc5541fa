"""A stdlib HTTP server on a free loopback port (port 0, so tests can run side by side), serving from a daemon
thread: the transport under every stand-in for a remote API. The stand-in only decides the answers."""
from __future__ import annotations

import ssl
import threading
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
