"""Ingest throughput (chunks/s, tokens/s) of `KnowledgeBase.ingest` (the bundled model on ONNX Runtime) and of
its encoder alone, against a plain `SentenceTransformer.encode` loop over the very same chunk texts, re-ingest
time of an unchanged corpus, and how long a bot's writes to the same SQLite file wait while an ingest runs.

Prints one JSON line.
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy  # noqa: E402

from benchmarks.synthetic import RandomVectorEmbedder, synthetic_items  # noqa: E402
from knowledge import Embedder, KnowledgeBase, store  # noqa: E402
from knowledge.chunking import chunk_document  # noqa: E402
from knowledge.loaders import load  # noqa: E402

HANDBOOK = Path(__file__).resolve().parents[1] / "examples" / "handbook"
COPIES = 3
WRITER_COPIES = 10  # about 1100 chunks: an ingest of several seconds
WRITER_PAUSE_S = 0.05  # between the bot's writes
PLAIN_BATCH = 32  # sentence-transformers' own default batch size


def _corpus(folder: Path, copies: int = COPIES) -> list[Path]:
    files = []
    for copy in range(copies):
        for source in sorted(HANDBOOK.glob("*.md")):
            target = folder / f"{copy}-{source.name}"
            shutil.copy(source, target)
            files.append(target)
    return files


def ingest_throughput(embedder: Embedder, reference: Embedder) -> dict:
    """``embedder`` is measured inside `lorebot ingest` and alone; ``reference`` wraps the SentenceTransformer
    whose plain encode loop is the baseline."""
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "docs"
        folder.mkdir()
        files = _corpus(folder)
        texts = [c.embedding_text() for f in files for c in chunk_document(load(f).text, load(f).title)]
        tokens = sum(min(embedder.count_tokens(t), embedder.max_tokens) for t in texts)
        kb = KnowledgeBase.open(Path(work) / "home", embedder=embedder)
        started = time.perf_counter()
        report = kb.ingest([folder])
        ingest_s = time.perf_counter() - started
        kb.close()
        started = time.perf_counter()
        embedder.encode(texts)
        encoder_s = time.perf_counter() - started
        plain = reference.model.model  # the SentenceTransformer itself
        started = time.perf_counter()
        for start in range(0, len(texts), PLAIN_BATCH):
            plain.encode(texts[start:start + PLAIN_BATCH], normalize_embeddings=True)
        plain_s = time.perf_counter() - started
    assert report.chunks_added == len(texts)
    return {
        "chunks": len(texts),
        "tokens": tokens,
        "ingest_s": round(ingest_s, 2),
        "ingest_chunks_per_s": round(len(texts) / ingest_s, 1),
        "ingest_tokens_per_s": round(tokens / ingest_s),
        "encoder_s": round(encoder_s, 2),
        "encoder_chunks_per_s": round(len(texts) / encoder_s, 1),
        "encoder_tokens_per_s": round(tokens / encoder_s),
        "plain_encode_s": round(plain_s, 2),
        "plain_chunks_per_s": round(len(texts) / plain_s, 1),
        "plain_tokens_per_s": round(tokens / plain_s),
    }


def unchanged_reingest(documents: int = 1000) -> dict:
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "docs"
        folder.mkdir()
        for item in synthetic_items(documents):
            (folder / f"{Path(item.document).stem}.md").write_text(f"# {item.title}\n\n{item.text}\n", "utf-8")
        kb = KnowledgeBase.open(Path(work) / "home", embedder=RandomVectorEmbedder())
        kb.ingest([folder])
        kb.close()
        started = time.perf_counter()
        kb = KnowledgeBase.open(Path(work) / "home", embedder=RandomVectorEmbedder())
        report = kb.ingest([folder])
        seconds = time.perf_counter() - started
        kb.close()
    assert report.documents_unchanged == documents and report.chunks_added == 0
    return {"documents": documents, "reingest_unchanged_s": round(seconds, 2)}


def writer_waits(embedder: Embedder) -> dict:
    """A fresh ingest of the handbook ten times over into a SQLite home, while a bot's engine on the same file
    inserts a row every 50 ms: how long those inserts wait for the ingest's write lock."""
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "docs"
        folder.mkdir()
        _corpus(folder, WRITER_COPIES)
        kb = KnowledgeBase.open(Path(work) / "home", embedder=embedder)
        bot = store.make_engine(None, Path(work) / "home")
        table = sqlalchemy.Table("bot_writes", sqlalchemy.MetaData(),
                                 sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True))
        table.metadata.create_all(bot)
        reports = []
        ingest = threading.Thread(target=lambda: reports.append(kb.ingest([folder])))
        waits = []
        started = time.perf_counter()
        ingest.start()
        while ingest.is_alive():
            before = time.perf_counter()
            with bot.begin() as connection:
                connection.execute(table.insert())
            waits.append(time.perf_counter() - before)
            time.sleep(WRITER_PAUSE_S)
        ingest.join()
        ingest_s = time.perf_counter() - started
        bot.dispose()
        kb.close()
    waits.sort()
    return {
        "writer_ingest_chunks": reports[0].chunks_added,
        "writer_ingest_s": round(ingest_s, 2),
        "writer_writes": len(waits),
        "writer_wait_p95_ms": round(1000 * waits[int(0.95 * (len(waits) - 1))], 1),
        "writer_wait_max_ms": round(1000 * waits[-1], 1),
    }


if __name__ == "__main__":
    embedder, reference = Embedder(), Embedder(runtime="sentence-transformers")
    embedder.encode(["warm up"])
    reference.encode(["warm up"])
    print(json.dumps({**ingest_throughput(embedder, reference), **unchanged_reingest(), **writer_waits(embedder)}))
