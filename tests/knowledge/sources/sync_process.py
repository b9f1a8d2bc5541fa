"""One sync in a process of its own, so tests can kill it part-way (SIGKILL) or run two at once.

    python -m tests.knowledge.sources.sync_process HOME DATABASE_URL NAME OPTIONS_JSON

OPTIONS_JSON is a ``[sources.NAME]`` section as JSON. The process prints the run's report as one JSON line.
``kill_after_checkpoint`` starts one and kills it (SIGKILL) as soon as its first checkpoint is in the database.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path



def run(home: str, database_url: str, name: str, options: dict) -> None:
    from pydantic import TypeAdapter

    from knowledge import Embedder, KnowledgeBase
    from knowledge.sources.registry import SourceConfig
    from knowledge.sources import syncing

    from knowledge.onnx_cache import default_cache_dir

    config = TypeAdapter(SourceConfig).validate_python(options)
    kb = KnowledgeBase.open(home, database_url=database_url, embedder=Embedder(cache_dir=default_cache_dir()))
    try:
        source = config.open(name, home=kb.home, secrets=os.environ.get)
        report = kb.sync(name, source, syncing.SyncOptions(collection=config.collection_for(name),
                                                           type=options["type"]))
        print(json.dumps(report.to_json()), flush=True)
    finally:
        kb.close()


def start(home: Path, database_url: str, name: str, options: dict) -> subprocess.Popen:
    """The sync running in a child process; its stdout carries the report's JSON line."""
    root = Path(__file__).resolve().parents[3]
    environment = {**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "tests.knowledge.sources.sync_process", str(home), database_url,
                             name, json.dumps(options)], stdout=subprocess.PIPE, text=True, env=environment,
                            cwd=root)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))


def kill_after_checkpoint(home: Path, database_url: str, name: str, options: dict, timeout: float = 120) -> bool:
    """Start a sync and SIGKILL it once its first checkpoint is saved; False when it finished first."""
    import sqlalchemy

    process = start(home, database_url, name, options)
    engine = sqlalchemy.create_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with engine.connect() as connection:
                    saved = connection.execute(sqlalchemy.text(
                        "select checkpoint from kb_source_state where name = :name"), {"name": name}).scalar()
            except sqlalchemy.exc.DBAPIError:
                saved = None  # the child has not created its tables yet
            if saved:
                process.kill()
                process.wait()
                return True
            time.sleep(0.01)
        process.wait(timeout=timeout)
        return False
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        engine.dispose()


def two_at_once(home: Path, database_url: str, name: str, options: dict, gate) -> tuple[dict | None, dict]:
    """Start two syncs of one source while ``gate`` (the stand-in's, cleared here) holds every answer; once one
    process has finished (the busy one, which never got to ask), open the gate. Returns the first process's report
    (None when neither finished while held) and the other's."""
    gate.clear()  # whoever asks first holds the lock and waits here
    processes = [start(home, database_url, name, options) for _ in range(2)]
    try:
        first = None
        for _ in range(600):
            first = next((process for process in processes if process.poll() is not None), None)
            if first is not None:
                break
            time.sleep(0.1)
        if first is None:
            return None, {}
        held = json.loads(first.stdout.read())
        gate.set()
        worker = next(process for process in processes if process is not first)
        worker.wait(timeout=120)
        return held, json.loads(worker.stdout.read())
    finally:
        gate.set()
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()
