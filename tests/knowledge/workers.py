"""The parsing workers this test process has running, found the way ``ps`` would, not through the code under
test."""
from __future__ import annotations

import os
from pathlib import Path


def parsers() -> list[int]:
    """The process ids of this process's parsing workers (read from /proc: Linux only)."""
    pids = []
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue  # gone meanwhile
            if b"knowledge.parse_isolation" in command:
                pids.append(int(pid))
    return pids
