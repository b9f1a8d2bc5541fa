"""Cold start of `lorebot ask`: a new process answering one question from an already ingested handbook.

Prints one JSON line with the median and worst of several runs, and the median CPU time (user + system) of
the process, which reads the same on a quiet machine and on one shared with other work.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOREBOT = Path(sys.executable).with_name("lorebot")


def main(runs: int = 7) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with tempfile.TemporaryDirectory() as home:
        subprocess.run([str(LOREBOT), "--home", home, "ingest", "--no-progress", str(ROOT / "examples" / "handbook")],
                       check=True, env=env, capture_output=True)
        times, cpu = [], []
        for _ in range(runs):
            started, used = time.perf_counter(), _children_cpu()
            subprocess.run([str(LOREBOT), "--home", home, "ask", "How many days of annual leave do I get?"],
                           check=True, env=env, capture_output=True)
            times.append(time.perf_counter() - started)
            cpu.append(_children_cpu() - used)
    return {"cold_start_median_s": round(statistics.median(times), 2), "cold_start_max_s": round(max(times), 2),
            "cold_start_cpu_median_s": round(statistics.median(cpu), 2)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    print(json.dumps(main()))
