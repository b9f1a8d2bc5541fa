"""What learned feedback costs the answer decision: p50/p95 of the bot's decision (search, rejections,
preferences, answer) on the sample handbook, with no preferences and with many, all about documents the
questions find (the worst case: none is skipped before the same-question check).

`python benchmarks/bench_feedback.py [PREFERENCES]` prints one JSON line.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import describe_machine, percentile, today  # noqa: E402
from benchmarks.bench_search import QUERIES  # noqa: E402

HANDBOOK = Path(__file__).resolve().parents[1] / "examples" / "handbook"
REPEATS = 10


def measure(preferences: int) -> dict:
    from adapters.wiring import create_schema
    from bot.asking.flow import decide
    from bot.asking.preferences import to_blob
    from bot.config import parse_config
    from bot.context import LorebotContext
    from bot.people.audiences import Reader
    from bot.tables.preferences import LearnedPreference
    from bot.tables.questions import Question, text_key
    from knowledge import Embedder, KnowledgeBase

    with tempfile.TemporaryDirectory() as home:
        kb = KnowledgeBase.open(home, embedder=Embedder())
        create_schema(kb.engine)
        kb.ingest([HANDBOOK], progress=False)
        ctx = LorebotContext(config=parse_config({"timezone": "UTC"}), knowledge=kb, engine=kb.engine)
        reader = Reader.in_channel("console", "bench")
        latencies = {"none": [], "learned": []}
        _timed(ctx, reader, decide, latencies["none"])
        now = datetime.now(timezone.utc)
        with ctx.session() as session:
            found = [hit for query in QUERIES for hit in kb.search(query, k=10) if hit.kind == "chunk"]
            wordings = [f"{query} ({number})" for number in range(preferences // len(QUERIES) + 1) for query in QUERIES]
            vectors = kb.embedder.encode(wordings)
            for number in range(preferences):
                question = Question(platform="console", asker_id=f"u{number}", channel="bench", message_id=f"m{number}",
                                    text=wordings[number], text_key=text_key(wordings[number]), status="answered",
                                    asked_at=now)
                session.add(question)
                session.flush()
                hit = found[number % len(found)]
                session.add(LearnedPreference(
                    question_id=question.id, question_text=wordings[number], question_vector=to_blob(vectors[number]),
                    person_id=f"console:u{number}", kind="helpful" if number % 3 else "not_helpful",
                    document=hit.document, title=hit.title, passage_key=hit.key, at=now))
            session.commit()
        _timed(ctx, reader, decide, latencies["learned"])
        kb.close()
    return {"date": today(), "machine": describe_machine(), "preferences": preferences,
            **{f"{name}_{p}_ms": round(percentile(values, fraction), 1) for name, values in latencies.items()
               for p, fraction in (("p50", 0.5), ("p95", 0.95))}}


def _timed(ctx, reader, decide, into: list[float]) -> None:
    with ctx.session() as session:
        decide(ctx, session, reader, "warm up the model")
        for _ in range(REPEATS):
            for query in QUERIES:
                started = time.perf_counter()
                decide(ctx, session, reader, query)
                into.append((time.perf_counter() - started) * 1000)


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)))
