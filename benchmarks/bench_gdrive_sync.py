"""A Google Drive of 2,000 files synced on the real engine through the real google-api-python-client: the first
sync, an unchanged re-sync and a re-sync after ten edits, with the fake's requests counted by kind (listings,
change-feed pages, content downloads and exports) and the passages embedded.

The Drive is the tests' loopback fake (`tests/knowledge/sources/fake_gdrive.py`): 1,500 Markdown files and 500
Google Docs of about 50 words each, in a root folder with 4 subfolders of 4 subfolders each (21 folders). The
claim it checks: an unchanged re-sync downloads no content and embeds nothing.

    python benchmarks/bench_gdrive_sync.py          # prints one JSON line
"""
from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe_machine, peak_rss_mb, today  # noqa: E402
from benchmarks.synthetic import WORDS  # noqa: E402

FILES = 2_000
DOCS = 500  # of them Google Docs (exported); the rest Markdown files (downloaded)
WORDS_PER_FILE = 50


def corpus(fake) -> tuple[str, list[str]]:
    """Fill ``fake`` with the tree and its files; the root folder's id and every file's id."""
    from tests.knowledge.sources.fake_gdrive import ACCOUNT, DOC

    rng = random.Random(17)
    root = fake.folder("Handbook", people=("alice@example.com", ACCOUNT))
    folders = [root]
    for first in range(4):
        middle = fake.folder(f"Part {first}", root)
        folders.append(middle)
        folders += [fake.folder(f"Part {first}.{second}", middle) for second in range(4)]
    files = []
    for number in range(FILES):
        words = [rng.choice(WORDS) for _ in range(WORDS_PER_FILE)]
        text = f"# Policy {number}\n\n" + " ".join(words).capitalize() + ".\n"
        folder = folders[number % len(folders)]
        if number < DOCS:
            files.append(fake.file(f"Policy {number}", text.encode(), DOC, folder))
        else:
            files.append(fake.file(f"policy-{number:05}.md", text.encode(), "text/markdown", folder))
    return root, files


def main() -> dict:
    from knowledge import Embedder, KnowledgeBase
    from knowledge.sources.gdrive import GoogleDriveOptions
    from knowledge.sources.syncing import SyncOptions
    from tests.embedders import CountingEmbedder
    from tests.knowledge.sources.fake_gdrive import FakeDrive

    base = Embedder()
    base.encode(["warm up"])
    embedder = CountingEmbedder(base)
    fake = FakeDrive()
    root, files = corpus(fake)
    options = GoogleDriveOptions(type="gdrive", credentials_env="KEY", folders=[root], api_url=fake.url)
    secrets = {"KEY": fake.key_json()}.get
    runs = {}
    with tempfile.TemporaryDirectory() as home:
        kb = KnowledgeBase.open(home, embedder=embedder)

        def run(label: str) -> None:
            fake.forget()
            before = embedder.texts_embedded
            source = options.open("drive", home=kb.home, secrets=secrets)
            started = time.perf_counter()
            report = kb.sync("drive", source, SyncOptions(collection="drive", type="gdrive"))
            seconds = time.perf_counter() - started
            source.close()
            assert report.error is None and report.failed == 0, report.to_json()
            kinds = fake.counts()
            runs[label] = {
                "seconds": round(seconds, 2), "added": report.added, "changed": report.changed,
                "unchanged": report.unchanged, "passages_embedded": embedder.texts_embedded - before,
                "requests": sum(kinds.values()),
                "listing_requests": kinds.get("list", 0) + kinds.get("get", 0),
                "change_feed_requests": kinds.get("start", 0) + kinds.get("changes", 0),
                "content_downloads": kinds.get("download", 0) + kinds.get("export", 0),
                "other_requests": kinds.get("token", 0) + kinds.get("permissions", 0)}

        run("first_sync")
        run("unchanged_resync")
        for ident in files[::200]:
            fake.edit(ident, fake.items[ident].data + b"Edited once.\n")
        run("ten_edits_resync")
        kb.close()
    fake.close()
    unchanged = runs["unchanged_resync"]
    assert unchanged["content_downloads"] == 0 and unchanged["passages_embedded"] == 0, unchanged
    assert runs["ten_edits_resync"]["content_downloads"] == 10
    return {"benchmark": "gdrive_sync", "date": today(), "machine": describe_machine(), "files": FILES,
            "google_docs": DOCS, "folders": 21, **runs, "peak_rss_mb": round(peak_rss_mb())}


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
