"""The time limit on parsing: a file that keeps its parser busy, or kills it, costs that file only, and the
worker process that parses never outlives its ingest."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from knowledge.loaders import UnreadableFile
from knowledge.parse_isolation import IsolatedLoader
from tests.knowledge.pdfs import pdf_with_text, slow_pdf
from tests.knowledge.workers import parsers

BENEFITS = pdf_with_text(["Pension matching is 5 percent."])


def test_a_parse_over_the_limit_is_stopped_and_the_next_file_still_reads() -> None:
    with IsolatedLoader(timeout=1) as loader:
        started = time.monotonic()
        with pytest.raises(UnreadableFile) as failure:
            loader.load(Path("crafted.pdf"), slow_pdf())
        assert str(failure.value) == "took longer than 1 s to read"
        assert time.monotonic() - started < 30  # the parse alone takes minutes
        assert not parsers()  # the busy worker was killed, not left running
        assert "Pension matching" in loader.load(Path("benefits.pdf"), BENEFITS).text  # a new worker reads on


def test_one_worker_serves_every_file_and_is_gone_after_the_block() -> None:
    with IsolatedLoader() as loader:
        assert not parsers()  # started only when a file needs it
        loader.load(Path("a.pdf"), BENEFITS)
        first = parsers()
        loader.load(Path("b.html"), b"<h1>IT guide</h1><p>Use WireGuard.</p>")
        assert parsers() == first and len(first) == 1
        assert loader.load(Path("c.md"), b"# Leave\n\n25 days.").title == "Leave"  # read here, no worker needed
    assert not parsers()


def test_the_worker_is_gone_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError):
        with IsolatedLoader() as loader:
            loader.load(Path("a.pdf"), BENEFITS)
            assert parsers()
            raise RuntimeError("the ingest failed")
    assert not parsers()


def test_a_parser_that_dies_costs_its_file_a_reason_and_a_new_worker_reads_on() -> None:
    with IsolatedLoader() as loader:
        loader.load(Path("a.pdf"), BENEFITS)
        [worker] = parsers()
        killer = threading.Timer(0.5, os.kill, (worker, signal.SIGKILL))
        killer.start()
        try:
            with pytest.raises(UnreadableFile) as failure:
                loader.load(Path("crafted.pdf"), slow_pdf())
        finally:
            killer.cancel()
        assert str(failure.value) == f"the reader stopped unexpectedly (exit code -{int(signal.SIGKILL)})"
        assert "Pension matching" in loader.load(Path("benefits.pdf"), BENEFITS).text


def test_a_script_without_a_main_guard_can_use_it(tmp_path: Path) -> None:
    """The worker is a fresh interpreter that never runs the caller's script again (as multiprocessing's spawn
    would, ingesting a second time inside the worker)."""
    import subprocess
    import sys

    (tmp_path / "benefits.pdf").write_bytes(BENEFITS)
    script = tmp_path / "read.py"
    script.write_text("from pathlib import Path\n"
                      "from knowledge.parse_isolation import IsolatedLoader\n"
                      "print('started')\n"
                      "with IsolatedLoader() as loader:\n"
                      f"    print(loader.load(Path('b.pdf'), Path({str(tmp_path / 'benefits.pdf')!r}).read_bytes()).text)\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    assert result.stdout.split("\n")[:2] == ["started", "Pension matching is 5 percent."], result.stderr
