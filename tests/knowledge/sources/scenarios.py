"""What every source's tests check the same way, whichever fake stands in for its API: the best passage for a
question, and the failing-document scenario (kept at its last version, named, read again next run)."""
from __future__ import annotations

from typing import Callable

from knowledge import KnowledgeBase
from knowledge.sources.reports import SyncReport


def top(kb: KnowledgeBase, question: str):
    hits = kb.search(question, k=1)
    return hits[0] if hits else None


def failing_document_is_kept_and_retried(kb: KnowledgeBase, run: Callable[[], SyncReport], fake, *, key: str,
                                         reason: str, url: str, question: str, before: str, after: str,
                                         read: Callable[[], list[str]], ident: str) -> None:
    """``fake`` has an edited document whose reading fails every time (a fault with ``times=None``): the run
    names it and keeps its last version; once the fault is gone, the next run reads that one document alone."""
    report = run()
    assert report.error is None and report.changed == 0
    [problem] = report.failures
    assert (problem.key, problem.reason, problem.url) == (key, reason, url)
    assert before in top(kb, question).text

    fake.faults.clear()
    fake.forget()
    report = run()
    assert (report.changed, report.failed) == (1, 0)
    assert read() == [ident]
    assert after in top(kb, question).text
