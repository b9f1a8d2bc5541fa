"""A Notion workspace of 2,000 pages synced through the real engine and notion-client against the tests' loopback
fake (`tests/knowledge/sources/fake_notion.py`): a first sync, then an unchanged re-sync, counting the fake's
requests by kind (listing: search; content: block children; lookup: a page, database or block by id) and the
passages embedded. The unchanged re-sync must download no content and embed nothing.

Requests are not paced here (Notion's ~3 a second would make the first sync take minutes of waiting, not work);
`paced_s` says how long each run's requests take at 3 a second.

    python benchmarks/bench_notion_sync.py          # prints one JSON line
    python benchmarks/bench_notion_sync.py 500      # another size
"""
from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe_machine, peak_rss_mb, today  # noqa: E402
from benchmarks.synthetic import WORDS  # noqa: E402

PAGES = 2_000
WORDS_PER_PAGE = 50  # one passage per page, as a short handbook page has


def run(count: int) -> dict:
    from knowledge import Embedder, KnowledgeBase
    from knowledge.sources.notion import NotionOptions
    from knowledge.sources.syncing import SyncOptions
    from tests.embedders import CountingEmbedder
    from tests.knowledge.sources.fake_notion import TOKEN, FakeNotion, block, minutes_ago, paragraph

    rng = random.Random(17)
    fake = FakeNotion()
    for number in range(count):
        words = [rng.choice(WORDS) for _ in range(WORDS_PER_PAGE)]
        fake.page(f"Policy {number}", [block("heading_2", f"Policy {number}"), paragraph(" ".join(words) + ".")],
                  when=minutes_ago(60 * 24 * 7) + timedelta(minutes=number))  # settled edits
    embedder = CountingEmbedder(Embedder())
    embedder.encode(["warm up"])
    options = NotionOptions(type="notion", token_env="NOTION_TOKEN", api_url=fake.url, requests_per_second=10_000)
    runs = {}
    try:
        with tempfile.TemporaryDirectory() as home:
            kb = KnowledgeBase.open(home, embedder=embedder)
            for name in ("first", "unchanged"):
                fake.forget()
                embedded = embedder.texts_embedded
                source = options.open("notion", home=kb.home, secrets={"NOTION_TOKEN": TOKEN}.get)
                started = time.perf_counter()
                report = kb.sync("notion", source, SyncOptions(collection="notion", type="notion"))
                seconds = time.perf_counter() - started
                source.close()
                requests = fake.count()
                runs[name] = {"seconds": round(seconds, 2), "requests": requests,
                              "paced_s": round(sum(requests.values()) / 3), "added": report.added,
                              "unchanged": report.unchanged, "chunks_embedded": embedder.texts_embedded - embedded}
                assert report.error is None and report.failed == 0, report.to_json()
            kb.close()
    finally:
        fake.close()
    result = {"benchmark": "notion_sync", "date": today(), "machine": describe_machine(), "pages": count, **runs,
            "peak_rss_mb": round(peak_rss_mb())}
    assert runs["first"]["added"] == count, result
    assert runs["unchanged"]["requests"].get("content", 0) == 0 and runs["unchanged"]["chunks_embedded"] == 0, result
    return result


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else PAGES)))
