"""A time limit on parsing: a crafted PDF, Word or HTML file can keep its parser busy for minutes (a page of a
million drawing operators, a deeply nested document), and one such file must not hold up a whole ingest.

Those formats are parsed in a worker process that is killed when one file takes longer than the limit; the file
is skipped with the reason, a fresh worker takes over for the next file, and plain text and Markdown (whose
reading cannot blow up) stay in this process. The worker is a new interpreter, not a fork: forking a process
that already runs ONNX Runtime's threads is unsafe, and unlike ``multiprocessing``'s spawn it does not re-run
the caller's main script, so a script using the knowledge base needs no ``__main__`` guard. It starts on the
first file that needs it, serves every further file, and is gone when the ``with`` block ends, however it ends.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType

from knowledge import loaders
from knowledge.errors import KnowledgeError
from knowledge.loaders import LoadedDocument, UnreadableFile

PARSE_TIMEOUT_SECONDS = 60.0  # per file; a real document of any size parses in a few seconds
START_TIMEOUT_SECONDS = 120.0  # a worker imports the parsers before it reads anything; a slow disk is not a bad file
ISOLATED = loaders.PDF | loaders.DOCX | loaders.HTML  # the formats whose parsers a crafted file can keep busy
_READY = "ready"
_WORKER = "import sys; from knowledge.parse_isolation import serve; serve(int(sys.argv[1]), int(sys.argv[2]))"


class ParserUnavailable(KnowledgeError):
    """The parsing worker process cannot be started."""


class IsolatedLoader:
    """``loaders.load`` with a time limit per file; use it as a context manager so its worker never outlives it."""

    def __init__(self, timeout: float = PARSE_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._process: subprocess.Popen | None = None
        self._requests: Connection | None = None
        self._replies: Connection | None = None

    def __enter__(self) -> "IsolatedLoader":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def load(self, path: Path, data: bytes) -> LoadedDocument:
        """The document in ``data`` (the bytes the caller read and hashed); ``UnreadableFile`` with the reason
        when it cannot be read, takes too long, or its parser dies."""
        if path.suffix.lower() not in ISOLATED:
            return loaders.load(path, data)
        requests, replies = self._worker()
        try:
            requests.send((path, data))
            if not replies.poll(self.timeout):
                self.close()
                raise UnreadableFile(f"took longer than {self.timeout:g} s to read")
            outcome, value = replies.recv()
        except (EOFError, OSError):
            exit_code = self._stop()
            raise UnreadableFile(f"the reader stopped unexpectedly (exit code {exit_code})") from None
        if outcome == "unreadable":
            raise UnreadableFile(value)
        return value

    def close(self) -> None:
        """Stop the worker, if one runs; a later ``load`` starts a new one."""
        self._stop()

    def _worker(self) -> tuple[Connection, Connection]:
        if self._process is not None and self._process.poll() is None and self._requests and self._replies:
            return self._requests, self._replies
        self._stop()
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        self._requests = Connection(request_write, readable=False)
        self._replies = Connection(reply_read, writable=False)
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(entry for entry in sys.path if entry)}
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(request_read), str(reply_write)],
                pass_fds=(request_read, reply_write), stdin=subprocess.DEVNULL, env=environment)
        except OSError as exc:
            self._stop()
            raise ParserUnavailable(f"The document reader process cannot start ({exc.strerror or exc}).") from None
        finally:
            os.close(request_read)  # only the worker holds these ends, so its death reads as end-of-file here
            os.close(reply_write)
        try:
            ready = self._replies.poll(START_TIMEOUT_SECONDS) and self._replies.recv() == _READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            exit_code = self._stop()
            raise ParserUnavailable(f"The document reader process did not start (exit code {exit_code}).")
        return self._requests, self._replies

    def _stop(self) -> int | None:
        """Kill the worker (it may be mid-parse: there is nothing of it to save) and return its exit code."""
        process, requests, replies = self._process, self._requests, self._replies
        self._process = self._requests = self._replies = None
        for connection in (requests, replies):
            if connection is not None:
                connection.close()
        if process is None:
            return None
        process.kill()
        return process.wait()


def serve(requests_fd: int, replies_fd: int) -> None:
    """The worker: parse each file it is sent until the other end goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the ingest's to handle; it stops this worker
    requests, replies = Connection(requests_fd, writable=False), Connection(replies_fd, readable=False)
    _import_parsers()
    replies.send(_READY)
    while True:
        try:
            path, data = requests.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("loaded", loaders.load(path, data))
        except UnreadableFile as exc:
            reply = ("unreadable", str(exc))
        except Exception as exc:  # noqa: BLE001 - a parser failing in a new way still only costs this file
            reply = ("unreadable", f"could not be read ({exc.__class__.__name__})")
        replies.send(reply)


def _import_parsers() -> None:
    """Before the worker says it is ready, so their import time never counts against a file's limit."""
    import bs4  # noqa: F401
    import docx  # noqa: F401
    import pypdf  # noqa: F401
    import readability  # noqa: F401
