"""A knowledge base running in a process of its own (spawned, so nothing is inherited), driven over a pipe.

Tests start several of these on one home or one database to check what a bot, a scheduler and an ingest running
side by side see. Each answers ``("search", query)``, ``("ingest", path)`` and ``("stats",)`` with plain data.
"""
from __future__ import annotations

import multiprocessing
import traceback
from multiprocessing.connection import Connection
from typing import Any


def serve(home: str, database_url: str, start, commands: Connection) -> None:
    """Load the model, wait for ``start`` (so several processes open the store at the same moment), open, serve."""
    try:
        from knowledge import Embedder, KnowledgeBase

        embedder = Embedder()
        embedder.encode(["warm up"])
        start.wait()
        kb = KnowledgeBase.open(home, database_url=database_url, embedder=embedder)
    except BaseException:  # noqa: BLE001 - the test reads the failure instead of a hang
        commands.send(("failed", traceback.format_exc()))
        return
    commands.send(("opened", None))
    while True:
        command, *args = commands.recv()
        if command == "stop":
            kb.close()
            commands.send(("stopped", None))
            return
        try:
            commands.send(("done", _run(kb, command, args)))
        except Exception:  # noqa: BLE001 - the test reads the failure instead of a dead pipe
            commands.send(("error", traceback.format_exc()))


def _run(kb, command: str, args: list) -> Any:
    if command == "search":
        return [(hit.document, hit.source, hit.text) for hit in kb.search(args[0], k=args[1])]
    if command == "ingest":
        report = kb.ingest([args[0]], collection="handbook")
        return report.documents_added + report.documents_changed + report.documents_removed
    if command == "stats":
        return dict(kb._live.counts)
    raise ValueError(command)


class KnowledgeProcess:
    """The test's side of one spawned knowledge base."""

    def __init__(self, home: str, database_url: str, start) -> None:
        context = multiprocessing.get_context("spawn")
        self._commands, theirs = context.Pipe()
        self.process = context.Process(target=serve, args=(home, database_url, start, theirs), daemon=True)
        self.process.start()

    def opened(self, timeout: float = 180) -> tuple[str, Any]:
        """("opened", None) once the store is open, or ("failed", traceback)."""
        if not self._commands.poll(timeout):
            return "failed", "no answer within the timeout"
        return self._commands.recv()

    def ask(self, command: str, *args, timeout: float = 120) -> Any:
        self.send(command, *args)
        if not self._commands.poll(timeout):
            raise TimeoutError(command)
        status, value = self._commands.recv()
        assert status == "done", value
        return value

    def send(self, command: str, *args) -> None:
        """Start a command without waiting for its answer (to kill the process while it runs)."""
        self._commands.send((command, *args))

    def kill(self) -> None:
        """SIGKILL: what a crash, an out-of-memory kill or a pulled plug leaves, with no cleanup at all."""
        self.process.kill()
        self.process.join(30)

    def stop(self) -> None:
        if self.process.is_alive():
            try:
                self._commands.send(("stop",))
                self._commands.poll(30)
            except (BrokenPipeError, OSError):
                pass
        self.process.join(30)
        if self.process.is_alive():
            self.process.kill()
