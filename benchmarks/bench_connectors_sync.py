"""`lorebot sync` itself, on one configuration with a Notion workspace of 2,000 pages and a Google Drive of 2,000
files (the tests' loopback fakes, spoken to by notion-client and google-api-python-client): a first sync, then an
unchanged re-sync. Each fake counts its requests by kind, and the chunks the store gained say what was embedded.
The claim it checks: an unchanged re-sync downloads no unchanged content and embeds nothing.

Notion's ~3 requests a second are not waited for here (`requests_per_second` is raised): the first sync would be
minutes of waiting, not work. The per-source engine benchmarks are `bench_notion_sync.py` and
`bench_gdrive_sync.py`.

    python benchmarks/bench_connectors_sync.py      # prints one JSON line
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_gdrive_sync import corpus as drive_corpus  # noqa: E402
from benchmarks.machine import describe_machine, peak_rss_mb, today  # noqa: E402
from benchmarks.synthetic import WORDS  # noqa: E402

PAGES = 2_000  # Notion pages; the Drive holds bench_gdrive_sync.FILES files
WORDS_PER_PAGE = 50


def notion_corpus(fake) -> None:
    from tests.knowledge.sources.fake_notion import block, minutes_ago, paragraph

    rng = random.Random(19)
    for number in range(PAGES):
        words = " ".join(rng.choice(WORDS) for _ in range(WORDS_PER_PAGE))
        fake.page(f"Guide {number}", [block("heading_2", f"Guide {number}"), paragraph(words.capitalize() + ".")],
                  when=minutes_ago(60 * 24 * 7) + timedelta(minutes=number))  # edited a week ago, settled


def newest_chunk(home: Path) -> int:
    """The highest chunk id in the store: every chunk embedded gets a new one."""
    if not (home / "lorebot.db").exists():
        return 0
    with contextlib.closing(sqlite3.connect(home / "lorebot.db")) as db:
        return db.execute("select coalesce(max(id), 0) from kb_chunks").fetchone()[0]


def main() -> dict:
    from adapters.cli import main as lorebot
    from tests.knowledge.sources.fake_gdrive import FakeDrive
    from tests.knowledge.sources.fake_notion import TOKEN, FakeNotion

    notion, drive = FakeNotion(), FakeDrive()
    notion_corpus(notion)
    root, files = drive_corpus(drive)
    os.environ["BENCH_NOTION_TOKEN"] = TOKEN
    os.environ["BENCH_DRIVE_KEY"] = drive.key_json()
    runs = {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            home = Path(folder)
            config = home / "lorebot.toml"
            config.write_text(
                f'[sources.notion]\ntype = "notion"\ntoken_env = "BENCH_NOTION_TOKEN"\napi_url = "{notion.url}"\n'
                f'requests_per_second = 10000\n\n'
                f'[sources.drive]\ntype = "gdrive"\ncredentials_env = "BENCH_DRIVE_KEY"\nfolders = ["{root}"]\n'
                f'api_url = "{drive.url}"\n', encoding="utf-8")
            for label in ("first_sync", "unchanged_resync"):
                notion.forget()
                drive.forget()
                newest = newest_chunk(home)
                out = io.StringIO()
                started = time.perf_counter()
                with contextlib.redirect_stdout(out):
                    code = lorebot(["--home", str(home), "--config", str(config), "sync", "--json", "--no-progress"])
                seconds = time.perf_counter() - started
                reports = {report["source"]: report for report in json.loads(out.getvalue())}
                assert code == 0, reports
                drive_kinds, notion_kinds = drive.counts(), notion.count()
                runs[label] = {
                    "seconds": round(seconds, 2),
                    "chunks_embedded": newest_chunk(home) - newest,
                    "notion": {**{key: reports["notion"][key] for key in ("added", "changed", "unchanged")},
                               "requests": notion_kinds},
                    "drive": {**{key: reports["drive"][key] for key in ("added", "changed", "unchanged")},
                              "requests": drive_kinds,
                              "content_downloads": drive_kinds.get("download", 0) + drive_kinds.get("export", 0)}}
    finally:
        notion.close()
        drive.close()
    result = {"benchmark": "connectors_sync", "date": today(), "machine": describe_machine(),
              "notion_pages": PAGES, "drive_files": len(files), **runs, "peak_rss_mb": round(peak_rss_mb())}
    again = runs["unchanged_resync"]
    assert again["chunks_embedded"] == 0, result
    assert again["notion"]["requests"].get("content", 0) == 0 and again["drive"]["content_downloads"] == 0, result
    assert runs["first_sync"]["notion"]["added"] == PAGES and runs["first_sync"]["drive"]["added"] == len(files)
    return result


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
