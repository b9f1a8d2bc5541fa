"""Runs every benchmark and rewrites BENCHMARKS.md with the results, the machine and the date.

The 1M-chunk benchmark takes 15-30 minutes, so it runs only with ``--million`` (``make bench-million``);
otherwise its last result, kept in ``benchmarks/million.json``, is rendered again.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import describe_machine, today  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MILLION = HERE / "million.json"


def _json_lines(*args: str) -> list[dict]:
    out = subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main() -> None:
    ingest = _json_lines(str(HERE / "bench_ingest.py"))[0]
    search = [_json_lines(str(HERE / "bench_search.py"), str(size))[0] for size in (10_000, 100_000)]
    dense = _json_lines(str(HERE / "bench_dense.py"), "10000", "100000", "300000")
    cold = _json_lines(str(HERE / "bench_cold_start.py"))[0]
    delta = _json_lines(str(HERE / "bench_delta.py"), "10000", "100000")
    load = [_json_lines(str(HERE / "bench_load.py"), "--questions", "200", "--rate", "20", "--platform", platform,
                        "--store", store)[0]
            for platform in ("slack", "teams") for store in ("sqlite", "postgresql")]
    llm_load = [_json_lines(str(HERE / "bench_load.py"), "--questions", "200", "--rate", "20", "--platform", platform,
                            "--store", "sqlite", "--llm-delay-ms", "800")[0]
                for platform in ("slack", "teams")]
    kill = [_json_lines(str(HERE / "bench_kill.py"), "--questions", "120", "--rate", "20", "--store", store)[0]
            for store in ("sqlite", "postgresql")]
    fuzz = _json_lines(str(HERE / "bench_fuzz.py"), "--requests", "10000")[0]
    sync = _json_lines(str(HERE / "bench_sync.py"))[0]
    connectors = _json_lines(str(HERE / "bench_connectors_sync.py"))[0]
    feedback = _json_lines(str(HERE / "bench_feedback.py"), "1000")[0]
    if "--million" in sys.argv:
        million = {**_json_lines(str(HERE / "bench_million.py"))[0], "machine": describe_machine(), "date": today()}
        MILLION.write_text(json.dumps(million, indent=1) + "\n", encoding="utf-8")
    million = json.loads(MILLION.read_text(encoding="utf-8")) if MILLION.exists() else None
    (ROOT / "BENCHMARKS.md").write_text(render(ingest, search, dense, cold, delta, load, kill, fuzz, sync, connectors,
                                               million, llm_load, feedback),
                                        encoding="utf-8")
    print((ROOT / "BENCHMARKS.md").read_text(encoding="utf-8"))


def render(ingest: dict, search: list[dict], dense: list[dict], cold: dict, delta: list[dict], load: list[dict],
           kill: list[dict], fuzz: dict, sync: dict, connectors: dict, million: dict | None = None,
           llm_load: list[dict] | None = None, feedback: dict | None = None) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Measured on {today()}: {describe_machine()}. Produced by `make bench` (`benchmarks/run_all.py`).",
        "",
        "## Ingest",
        "",
        f"{ingest['chunks']} chunks ({ingest['tokens']} model tokens) from {ingest['chunks'] and 'the sample handbook, three copies'}.",
        "",
        "| path | seconds | chunks/s | tokens/s |",
        "|---|---|---|---|",
        f"| `lorebot ingest` (load, chunk, embed, store, index), ONNX Runtime | {ingest['ingest_s']} | {ingest['ingest_chunks_per_s']} | {ingest['ingest_tokens_per_s']} |",
        f"| its encoder alone (`Embedder.encode`, ONNX Runtime), same texts | {ingest['encoder_s']} | {ingest['encoder_chunks_per_s']} | {ingest['encoder_tokens_per_s']} |",
        f"| plain `SentenceTransformer.encode` loop, same texts | {ingest['plain_encode_s']} | {ingest['plain_chunks_per_s']} | {ingest['plain_tokens_per_s']} |",
        "",
        f"The ONNX path embeds **{ingest['plain_encode_s'] / ingest['encoder_s']:.1f}x** as fast as the plain sentence-transformers loop (target >= 2x).",
        "",
        f"Re-ingest of an unchanged {ingest['documents']}-document corpus: **{ingest['reingest_unchanged_s']} s** (target <= 5 s).",
        "",
        f"A bot inserting a row every 50 ms into the same SQLite file while {ingest['writer_ingest_chunks']} chunks were ingested ({ingest['writer_ingest_s']} s, {ingest['writer_writes']} inserts) waited at most **{ingest['writer_wait_max_ms']} ms** for the ingest's write lock (p95 {ingest['writer_wait_p95_ms']} ms; target < 1 s).",
        "",
        "## Search (hybrid, model loaded, k=5)",
        "",
        "Synthetic corpora: random unit vectors for the chunks, the real model for the queries.",
        "",
        "| chunks | dense index | p50 ms | p95 ms | p95 ms, one collection | peak RSS serving MB | peak RSS building MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in search:
        lines.append(f"| {row['chunks']} | {row['index']} | {row['p50_ms']} | {row['p95_ms']} | {row['filtered_p95_ms']} | {row['serve_peak_rss_mb']} | {row['build_peak_rss_mb']} |")
    lines += [
        "",
        "Targets: p95 <= 50 ms and peak RSS <= 1,500 MB at 100k chunks.",
        "",
        "## Exact or approximate vector index",
        "",
        "Random unit vectors, the worst case for an approximate index (no vector has near neighbours).",
        "",
        "| chunks | flat p95 ms | IVF p95 ms | IVF build s | IVF recall@10 vs exact |",
        "|---|---|---|---|---|",
    ]
    for row in dense:
        lines.append(f"| {row['chunks']} | {row['flat_p95_ms']} | {row['ivf_p95_ms']} | {row['ivf_build_s']} | {row['ivf_recall@10']} |")
    lines += [
        "",
        "Exact search is always right, but its time grows with the corpus and above ~100k chunks leaves the rest of",
        "a hybrid search no room in 50 ms; on vectors shaped like real ones IVF keeps recall@10 above 0.95 (next",
        "section). The knowledge base switches to IVF above `APPROXIMATE_ABOVE` chunks (`knowledge/dense.py`).",
        "",
    ]
    if million:
        lines += million_section(million)
    lines += [
        "## Cold start",
        "",
        "`lorebot ask` in a new process on the ingested handbook (`benchmarks/bench_cold_start.py`):",
        "",
        "| model runtime | median s | worst s | median CPU s |",
        "|---|---|---|---|",
        f"| ONNX Runtime (torch and transformers never imported) | **{cold['cold_start_median_s']}** | {cold['cold_start_max_s']} | {cold['cold_start_cpu_median_s']} |",
        "",
    ] + render_feedback(feedback) + render_delta(delta) + render_load(load) + render_llm_load(load, llm_load or []) + render_kill(kill) + render_fuzz(fuzz) + render_sync(sync) \
        + render_connectors(connectors)
    return "\n".join(lines)


def render_load(load: list[dict]) -> list[str]:
    """``lorebot serve`` under load (``benchmarks/bench_load.py``): what askers wait and what the platforms see."""
    lines = [
        "## Serving under load",
        "",
        "`lorebot serve` in its own process, questions at a steady rate, each delivered four times (Slack: as",
        "`app_mention`, as `message` and two retries; Teams: the same activity four times), against loopback",
        "stand-ins for the Slack Web API and the Bot Connector (`benchmarks/bench_load.py`). Answer: from the first",
        "delivery to the reply reaching the platform. Ack: each delivery's HTTP response.",
        "",
        "| platform | store | questions | per s | answer p50 ms | answer p95 ms | ack p99 ms | replies per question | CPU ms per question |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in load:
        replies = (str(row["replies_min"]) if row["replies_min"] == row["replies_max"]
                   else f"{row['replies_min']}-{row['replies_max']}")
        lines.append(f"| {row['platform']} | {row['store']} | {row['questions']} | {row['rate_per_s']:g} | "
                     f"{row['answer_p50_ms']} | {row['answer_p95_ms']} | {row['ack_p99_ms']} | {replies} | "
                     f"{row['cpu_ms_per_question']} |")
    return lines + ["", "Targets: at 20 questions/s, answer p95 <= 250 ms, ack p99 <= 100 ms, exactly one reply.", ""]


def render_feedback(feedback: dict | None) -> list[str]:
    """What learned preferences cost the bot's decision (``bench_feedback.py``); search itself is untouched."""
    if not feedback:
        return []
    return [
        "## Feedback carried to rewordings",
        "",
        "The bot's whole decision (search, rejections, preferences, answer) on the sample handbook, with no learned",
        f"preferences and with {feedback['preferences']:,}, every one about a document the questions find, judged by",
        "a different person (the worst case: none is set aside before the same-question check).",
        "",
        "| preferences | decision p50 ms | decision p95 ms |",
        "|---|---|---|",
        f"| 0 | {feedback['none_p50_ms']} | {feedback['none_p95_ms']} |",
        f"| {feedback['preferences']:,} | {feedback['learned_p50_ms']} | {feedback['learned_p95_ms']} |",
        "",
    ]


def render_llm_load(load: list[dict], llm_load: list[dict]) -> list[str]:
    """The same load with ``[llm]`` configured (``bench_load.py --llm-delay-ms``), next to the SQLite runs without
    it: the acknowledgement must not change, the answer waits for the model. Nothing without LLM runs."""
    if not llm_load:
        return []
    lines = [
        "## Serving with the company's LLM configured",
        "",
        "As in the previous section, with an `[llm]` section pointing at a loopback OpenAI-compatible stand-in that",
        "answers every chat completion after a fixed delay with a sentence of passage [1], cited (`bench_load.py",
        "--llm-delay-ms`). Written: answers posted as written by the model; fell back: the extract shown instead.",
        "",
        "| platform | store | llm delay ms | questions | per s | answer p50 ms | answer p95 ms | ack p99 ms | written / fell back |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    platforms = {row["platform"] for row in llm_load}
    rows = [row for row in load if row["store"] == "sqlite" and row["platform"] in platforms] + llm_load
    for row in sorted(rows, key=lambda row: (row["platform"], row.get("llm_delay_ms") or 0)):
        delay = row.get("llm_delay_ms")
        written = f"{row['written']} / {row['fell_back']}" if delay is not None else "no LLM"
        lines.append(f"| {row['platform']} | {row['store']} | {delay if delay is not None else 'none'} | "
                     f"{row['questions']} | {row['rate_per_s']:g} | {row['answer_p50_ms']} | {row['answer_p95_ms']} | "
                     f"{row['ack_p99_ms']} | {written} |")
    return lines + [
        "",
        "The acknowledgement does not wait for the model: the delivery is answered before the answer is written.",
        "The answer waits for the model; questions routed to the champions (weak retrieval) make no call. Each",
        "platform answers in 8 workers, so with a model of latency L about 8 / L written answers per second are",
        "served as they come; above that, questions queue and the answer time grows by more than L.",
        "",
        "Search p95 does not depend on `[llm]`: `KnowledgeBase.search` (`benchmarks/bench_search.py`) never calls the",
        "model, which only refines the bot's answer decision after the search (`bot/asking/generating.py`).",
        "",
    ]


def render_kill(kill: list[dict]) -> list[str]:
    """``lorebot serve --slack --no-jobs`` killed with SIGKILL under load and started again on the same store
    (``benchmarks/bench_kill.py``): whether every question still gets exactly one reply, and how late."""
    lines = [
        "## Killed under load and restarted",
        "",
        "`lorebot serve --slack --no-jobs` as in the previous section, sent SIGKILL when half the questions had been",
        "sent and started again on the same store (`benchmarks/bench_kill.py`). Deliveries that got no 200 (refused",
        "or cut off by the kill) are delivered once more to the new process, as Slack retries; what Slack had its",
        "200 for is up to the store. Example configuration: recovery lease 60 s, a pass every 30 s.",
        "",
        "| store | questions | per s | unanswered at the kill | deliveries retried | restart s | last answer after restart s | lost | answered twice |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in kill:
        lines.append(f"| {row['store']} | {row['questions']} | {row['rate_per_s']:g} | {row['unanswered_at_kill']} | "
                     f"{row['retried_deliveries']} | {row['restart_s']} | {row['last_answer_after_restart_s']} | "
                     f"{row['lost']} | {row['repeated']} |")
    return lines + ["", "Target: nothing lost, nothing answered twice.", ""]


def render_fuzz(fuzz: dict) -> list[str]:
    """Hostile input on the real server (``benchmarks/bench_fuzz.py``): what malformed and forged requests get,
    and whether a valid request still gets through while connections hang."""
    statuses = ", ".join(f"{status}: {count:,}" for status, count in fuzz["statuses"].items())
    crowd = fuzz["valid_ack_ms_with_crowd"]
    return [
        "## Hostile input",
        "",
        f"Measured on {today()}: {describe_machine()}.",
        "",
        "One application serving Slack and Teams (Teams authentication on) on loopback, with production limits, takes",
        f"{fuzz['requests']:,} seeded malformed and forged requests ({fuzz['slack_requests']:,} to each endpoint, "
        f"{fuzz['store']} store), eight at a time, each",
        "on its own connection (`benchmarks/bench_fuzz.py`; the generator, `tests/adapters/hostile.py`, also feeds the",
        "tests 2,000): random bytes; truncated, huge and deeply nested JSON; wrong content types and encodings;",
        "missing, forged and odd signatures, timestamps and tokens; broken framing and chunking; bad methods, paths",
        "and versions; oversized bodies and headers.",
        "",
        "| requests | 4xx | 5xx | resets | hangs | rows written | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
        f"| {fuzz['requests']:,} | {fuzz['4xx']:,} | {fuzz['5xx']} | {fuzz['resets']} | {fuzz['hangs']} | "
        f"{fuzz['rows_written']} | {fuzz['p50_ms']} | {fuzz['p99_ms']} |",
        "",
        f"By status: {statuses}.",
        "The 408s are bodies that never arrive, answered after the 10 s read timeout.",
        "",
        "| a signed Slack `url_verification`, acknowledged in | ms |",
        "|---|---|",
        f"| on a quiet server | {fuzz['valid_ack_ms']} |",
        f"| while {fuzz['slow_connections']} connections trickle unfinished headers and bodies | "
        f"{fuzz['valid_ack_ms_with_slow']} |",
        f"| while {fuzz['crowd']:,} such connections try to stay open (cap {fuzz['connection_cap']}; "
        f"{fuzz['crowd_still_open']} still open) | {crowd} |",
        "",
        "Target: every malformed request a 4xx, nothing stored, a valid request acknowledged within 3 s.",
        "",
    ]


def render_sync(sync: dict) -> list[str]:
    """A website on the sync engine against the same pages ingested as files (``benchmarks/bench_sync.py``)."""
    small, large = sorted(sync["sync_peak_rss_mb"], key=int)
    return [
        "## Syncing a website",
        "",
        f"Measured on {today()}: {describe_machine()}.",
        "",
        f"A loopback website of {sync['pages']:,} intranet pages (navigation, cookie banner and footer around one",
        "paragraph of main content; a sitemap with `<lastmod>`, ETags and Last-Modified), served by the tests'",
        "fake site in a process of its own, synced by the web source on the sync engine; against",
        "`KnowledgeBase.ingest` of the same pages written as `.html` files (`benchmarks/bench_sync.py`; the bundled",
        "model, each run in a fresh process).",
        "",
        "| run | seconds | pages/s |",
        "|---|---|---|",
        f"| `lorebot ingest` of the pages as files | {sync['ingest_s']} | {sync['ingest_pages_per_s']} |",
        f"| first sync of the site | {sync['sync_s']} | {sync['sync_pages_per_s']} |",
        f"| re-sync, nothing changed (the sitemap as it was: no page requested) | {sync['resync_s']} | - |",
        f"| re-sync after the sitemap changed (here: its `<lastmod>`s dropped), a 304 per page | "
        f"{sync['resync_conditional_s']} | - |",
        "",
        f"First sync throughput: **{sync['sync_vs_ingest']}x** that of the ingest (target >= 0.8x). Unchanged "
        f"re-sync: **{sync['resync_share']:.1%}** of the first sync's time (target < 5 %); it embeds nothing. Once a "
        f"sitemap differs from the last run's, every stored page is asked for again conditionally, so a page that "
        f"started failing is named: {sync['resync_conditional_share']:.1%} of the first sync, still embedding "
        "nothing. The ingest is the folder source on the same engine.",
        "",
        f"Peak RSS of the first sync itself (engine and source, before the index is built): "
        f"**{sync['sync_peak_rss_mb'][small]:,} MB** at {int(small):,} pages, "
        f"**{sync['sync_peak_rss_mb'][large]:,} MB** at {int(large):,}, with the model loaded and warmed up at "
        f"{sync['model_loaded_rss_mb']:,} MB. With the index built after it: "
        f"{sync['indexed_peak_rss_mb'][small]:,} and {sync['indexed_peak_rss_mb'][large]:,} MB; the index grows "
        f"with the chunks, as after any ingest (the ingest of the {sync['pages']:,} files peaked at "
        f"{sync['ingest_peak_rss_mb']:,} MB).",
        "",
    ]


def render_connectors(bench: dict) -> list[str]:
    """``lorebot sync`` of a Notion workspace and a Google Drive (``benchmarks/bench_connectors_sync.py``)."""
    rows = []
    for run, label in (("first_sync", "first sync"), ("unchanged_resync", "re-sync, nothing changed")):
        figures = bench[run]
        notion, drive = figures["notion"]["requests"], figures["drive"]["requests"]
        rows.append(f"| {label} | {figures['seconds']} | {sum(notion.values()):,} ({notion.get('content', 0):,}) "
                    f"| {sum(drive.values()):,} ({figures['drive']['content_downloads']:,}) "
                    f"| {figures['chunks_embedded']:,} |")
    return [
        "## Syncing Notion and Google Drive",
        "",
        f"Measured on {bench['date']}: {bench['machine']}.",
        "",
        f"`lorebot sync` on one configuration with a Notion workspace of {bench['notion_pages']:,} pages and a Google",
        f"Drive of {bench['drive_files']:,} files (500 Google Docs, the rest Markdown, in 21 folders), served by the",
        "tests' loopback fakes and read through notion-client and google-api-python-client",
        "(`benchmarks/bench_connectors_sync.py`; the bundled model). Requests are counted by the fakes; in brackets,",
        "those that download content (Notion block children; Drive downloads and exports). Notion's pace of about 3",
        "requests a second is lifted here, so the seconds are work, not waiting.",
        "",
        "| run | seconds | Notion requests (content) | Drive requests (content) | chunks embedded |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "An unchanged re-sync downloads no content and embeds nothing. What it still asks: Notion's search down to "
        "the cursor plus the full page listing that guards removals (one request per 100 pages); Drive's changes "
        "feed plus the folder walk that finds files whose folder moved out (one request per folder).",
        "",
    ]


def render_delta(delta: list[dict]) -> list[str]:
    lines = [
        "## One changed document, seen by another running process",
        "",
        "Synthetic corpora (random vectors). A second knowledge base on the same home refreshes after the first",
        "re-ingests one changed document (`benchmarks/bench_delta.py`).",
        "",
        "| chunks | apply the delta s | full rebuild s | search p95 ms | search p95 ms with the delta |",
        "|---|---|---|---|---|",
    ]
    for row in delta:
        lines.append(f"| {row['chunks']} | {row['delta_apply_s']} | {row['full_rebuild_s']} | {row['search_p95_ms']} | {row['search_p95_ms_with_delta']} |")
    return lines + [""]


def million_section(result: dict) -> list[str]:
    """The 1M-chunk section: hybrid search on vectors shaped like real ones (``benchmarks/bench_million.py``)."""
    lines = [
        "## Search at 1M chunks",
        "",
        f"Measured on {result['date']}: {result['machine']}. `make bench-million` (`benchmarks/bench_million.py`,",
        "15-30 minutes; last result in `benchmarks/million.json`).",
        "",
        f"{result['chunks']:,} chunks made from the {result['source_chunks']:,} chunks of the Sourcegraph handbook "
        "evaluation corpus, embedded once by the",
        "bundled model: each row is a real chunk's embedding plus Gaussian noise, renormalised. The noise "
        f"({result['noise_per_dimension']} per",
        "dimension, times 0.5-1.5 per row) puts a row about as far from its source as a real chunk is from its nearest",
        "real neighbour (median nearest-neighbour cosine), so each source becomes a plausible topic of a few hundred",
        "passages and the topics lie where the handbook's lie (random unit vectors have no neighbours at all). A row's",
        "text is its source chunk's text plus twelve synthetic words, so keyword search sees a real vocabulary. Rows are",
        "written straight into the database (8 chunks per document, four collections); the index is then built by the",
        "product's own rebuild (`KnowledgeBase.open`), and searched by `KnowledgeBase.search`. Queries: the evaluation",
        "set's real questions, three times each, embedded by the real model.",
        "",
        "| dense index | recall@10 vs exact | recall@10, one collection | build s | peak RSS building MB | index load s |",
        "|---|---|---|---|---|---|",
        f"| {result['index']} ({result.get('nlist', '-')} lists, {result.get('nprobe', '-')} probed) | "
        f"{result['recall@10']} | {result['filtered_recall@10']} | {result['build_s']} | "
        f"{result['build_peak_rss_mb']} | {result['load_s']} |",
        "",
        "| `KnowledgeBase.search`, k=5 | p50 ms | p95 ms |",
        "|---|---|---|",
        f"| hybrid, whole corpus (question embedded beforehand) | {result['p50_ms']} | {result['p95_ms']} |",
        f"| hybrid, one collection of four (same) | {result['filtered_p50_ms']} | {result['filtered_p95_ms']} |",
        f"| embedding the question alone | {result['embed_p50_ms']} | {result['embed_p95_ms']} |",
        f"| hybrid, whole corpus, question embedded inside | {result['with_embedding_p50_ms']} | "
        f"{result['with_embedding_p95_ms']} |",
        "",
        f"Peak RSS serving: **{result['serve_peak_rss_mb']:,} MB** (target 3 GB). Targets: hybrid p95 <= 50 ms, "
        "recall@10 >= 0.95.",
        "",
        "The model's forward pass is timed apart: it is the same cost at any corpus size, and on a loaded machine it",
        "swings far more than the index does. What the index adds at 1M is the first two rows.",
        "",
    ]
    sweep = result.get("nprobe_sweep", {})
    if sweep:
        lines += ["| lists probed | recall@10 | dense search p95 ms |", "|---|---|---|"]
        lines += [f"| {probes} | {row['recall@10']} | {row['p95_ms']} |" for probes, row in sweep.items()]
        lines.append("")
    return lines


if __name__ == "__main__":
    main()
