"""The time limit on parsing: a file that keeps its parser busy, or kills it, costs that file only, and the
worker process that parses never outlives its ingest."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from knowledge.loaders import UnreadableFile
from knowledge.parse_isolation import IsolatedLoader
from tests.knowledge.pdfs import pdf_with_text, slow_pdf

BENEFITS = pdf_with_text(["Pension matching is 5 percent."])


def _parsers() -> list[multiprocessing.Process]:
    return [child for child in multiprocessing.active_children() if child.name == "lorebot-parser"]


def test_a_parse_over_the_limit_is_stopped_and_the_next_file_still_reads() -> None:
    with IsolatedLoader(timeout=1) as loader:
        started = time.monotonic()
        with pytest.raises(UnreadableFile) as failure:
            loader.load(Path("crafted.pdf"), slow_pdf())
        assert str(failure.value) == "took longer than 1 s to read"
        assert time.monotonic() - started < 30  # the parse alone takes minutes
        assert not _parsers()  # the busy worker was killed, not left running
        assert "Pension matching" in loader.load(Path("benefits.pdf"), BENEFITS).text  # a new worker reads on


def test_one_worker_serves_every_file_and_is_gone_after_the_block() -> None:
    with IsolatedLoader() as loader:
        assert not _parsers()  # started only when a file needs it
        loader.load(Path("a.pdf"), BENEFITS)
        first = _parsers()
        loader.load(Path("b.html"), b"<h1>IT guide</h1><p>Use WireGuard.</p>")
        assert _parsers() == first and len(first) == 1
        assert loader.load(Path("c.md"), b"# Leave\n\n25 days.").title == "Leave"  # read here, no worker needed
    assert not _parsers()


def test_the_worker_is_gone_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError):
        with IsolatedLoader() as loader:
            loader.load(Path("a.pdf"), BENEFITS)
            assert _parsers()
            raise RuntimeError("the ingest failed")
    assert not _parsers()


def test_a_parser_that_dies_costs_its_file_a_reason_and_a_new_worker_reads_on() -> None:
    with IsolatedLoader() as loader:
        loader.load(Path("a.pdf"), BENEFITS)
        [worker] = _parsers()
        killer = threading.Timer(0.5, os.kill, (worker.pid, signal.SIGKILL))
        killer.start()
        try:
            with pytest.raises(UnreadableFile) as failure:
                loader.load(Path("crafted.pdf"), slow_pdf())
        finally:
            killer.cancel()
        assert str(failure.value) == f"the reader stopped unexpectedly (exit code -{int(signal.SIGKILL)})"
        assert "Pension matching" in loader.load(Path("benefits.pdf"), BENEFITS).text
