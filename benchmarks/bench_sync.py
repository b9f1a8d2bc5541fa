"""A website synced on the sync engine against the same pages ingested as files: first-sync throughput, an
unchanged re-sync, and peak memory at two site sizes (the sync's own, and with the index built after it).

The site is the tests' loopback fake (`tests/knowledge/sources/fake_site.py`) in a process of its own, so its
pages are not counted in the sync's memory: realistic intranet pages (navigation, cookie banner, footer around
one paragraph of main content), a sitemap with `<lastmod>`, ETags and Last-Modified. Each measurement runs in a
fresh process with the bundled model loaded and warmed up first, so its peak RSS is its own:

    python benchmarks/bench_sync.py                      # everything; prints one JSON line
    python benchmarks/bench_sync.py --one sync 2000      # one measurement
    python benchmarks/bench_sync.py --one ingest 10000
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import peak_rss_mb  # noqa: E402
from benchmarks.synthetic import WORDS  # noqa: E402

SIZES = (2_000, 10_000)
WORDS_PER_PAGE = 50  # one passage per page, as a short handbook page has


def pages(count: int) -> list[tuple[str, str]]:
    """``count`` distinct pages as (path, HTML), the same for the site and for the files."""
    from tests.knowledge.sources.fake_site import page_html

    rng = random.Random(11)
    out = []
    for number in range(count):
        words = [rng.choice(WORDS) for _ in range(WORDS_PER_PAGE)]
        sentences = [" ".join(words[start:start + 10]).capitalize() + "." for start in range(0, len(words), 10)]
        out.append((f"/handbook/page-{number:05}.html", page_html(f"Policy {number}", " ".join(sentences))))
    return out


def serve(count: int) -> None:
    """The fake site with ``count`` pages; prints its address, then obeys stdin ("no-lastmod") until it closes."""
    from tests.knowledge.sources.fake_site import FakeSite

    with FakeSite() as site:
        for path, html in pages(count):
            site.put(path, html)
        print(site.url("/sitemap.xml"), flush=True)
        for line in sys.stdin:
            if line.strip() == "no-lastmod":
                for page in site.pages.values():
                    page.lastmod = False
            print("ok", flush=True)


def _embedder():
    from knowledge import Embedder

    embedder = Embedder()
    embedder.encode(["warm up"])
    return embedder


def measure_sync(count: int) -> dict:
    """The first sync as ``KnowledgeBase.sync`` does it (the engine, then the index built from the database), with
    the peak RSS taken between the two: the sync's own, apart from the index every ingest builds alike."""
    from knowledge import KnowledgeBase
    from knowledge.ingesting import Ingester
    from knowledge.sources.syncing import SyncOptions, sync_source
    from knowledge.sources.web import WebOptions

    embedder = _embedder()
    loaded_mb = peak_rss_mb()
    site = subprocess.Popen([sys.executable, __file__, "--serve", str(count)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        options = WebOptions(type="web", url=site.stdout.readline().strip())
        sync_options = SyncOptions(collection="site", type="web")
        with tempfile.TemporaryDirectory() as home:
            kb = KnowledgeBase.open(home, embedder=embedder)
            source = options.open("site", home=kb.home, secrets=lambda name: None)
            started = time.perf_counter()
            first = sync_source(kb.engine, Ingester(kb.engine, embedder), "site", source, sync_options)
            sync_peak_mb = peak_rss_mb()
            kb.rebuild_index()
            sync_s = time.perf_counter() - started
            source.close()

            def resync():
                source = options.open("site", home=kb.home, secrets=lambda name: None)
                started = time.perf_counter()
                report = kb.sync("site", source, sync_options)
                source.close()
                return report, time.perf_counter() - started

            again, resync_s = resync()
            site.stdin.write("no-lastmod\n")
            site.stdin.flush()
            site.stdout.readline()
            conditional, conditional_s = resync()
            kb.close()
    finally:
        site.stdin.close()
        site.wait(timeout=60)
    assert first.added == count and first.failed == 0, first.to_json()
    assert again.unchanged == count and conditional.unchanged == count
    assert again.chunks_added == conditional.chunks_added == 0
    return {"pages": count, "chunks": first.chunks_added, "sync_s": round(sync_s, 2),
            "sync_pages_per_s": round(count / sync_s, 1), "resync_s": round(resync_s, 2),
            "resync_conditional_s": round(conditional_s, 2), "model_loaded_rss_mb": round(loaded_mb),
            "sync_peak_rss_mb": round(sync_peak_mb), "peak_rss_mb": round(peak_rss_mb())}


def measure_ingest(count: int) -> dict:
    from knowledge import KnowledgeBase

    embedder = _embedder()
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "handbook"
        folder.mkdir()
        for path, html in pages(count):
            (folder / Path(path).name).write_text(html, encoding="utf-8")
        kb = KnowledgeBase.open(Path(work) / "home", embedder=embedder)
        started = time.perf_counter()
        report = kb.ingest([folder])
        ingest_s = time.perf_counter() - started
        kb.close()
    assert report.documents_added == count, report
    return {"pages": count, "chunks": report.chunks_added, "ingest_s": round(ingest_s, 2),
            "ingest_pages_per_s": round(count / ingest_s, 1), "peak_rss_mb": round(peak_rss_mb())}


def _one(kind: str, count: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", kind, str(count)], check=True, capture_output=True,
                         text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> dict:
    largest = max(SIZES)
    ingest = _one("ingest", largest)
    syncs = {count: _one("sync", count) for count in SIZES}
    big = syncs[largest]
    return {
        "pages": largest,
        "chunks": big["chunks"],
        "ingest_s": ingest["ingest_s"],
        "ingest_pages_per_s": ingest["ingest_pages_per_s"],
        "sync_s": big["sync_s"],
        "sync_pages_per_s": big["sync_pages_per_s"],
        "sync_vs_ingest": round(ingest["ingest_s"] / big["sync_s"], 2),
        "resync_s": big["resync_s"],
        "resync_share": round(big["resync_s"] / big["sync_s"], 4),
        "resync_conditional_s": big["resync_conditional_s"],
        "resync_conditional_share": round(big["resync_conditional_s"] / big["sync_s"], 4),
        "model_loaded_rss_mb": big["model_loaded_rss_mb"],
        "ingest_peak_rss_mb": ingest["peak_rss_mb"],
        "sync_peak_rss_mb": {str(count): syncs[count]["sync_peak_rss_mb"] for count in SIZES},
        "indexed_peak_rss_mb": {str(count): syncs[count]["peak_rss_mb"] for count in SIZES},
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]))
    elif sys.argv[1:2] == ["--one"]:
        kind, count = sys.argv[2], int(sys.argv[3])
        print(json.dumps(measure_sync(count) if kind == "sync" else measure_ingest(count)))
    else:
        print(json.dumps(main()))
