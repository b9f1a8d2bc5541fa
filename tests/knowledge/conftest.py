"""The knowledge base on a counting embedder (the real model, plus a tally of what it was asked to embed), so
tests can prove that unchanged documents are not embedded again."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge import Embedder, KnowledgeBase
from tests.embedders import CountingEmbedder


@pytest.fixture
def counting_embedder(embedder: Embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


@pytest.fixture
def kb(tmp_path: Path, database_url: str, counting_embedder: CountingEmbedder) -> KnowledgeBase:
    base = KnowledgeBase.open(tmp_path / "home", database_url=database_url, embedder=counting_embedder)
    yield base
    base.close()


HANDBOOK = {
    "leave.md": """# Leave

## Annual leave

Everyone gets 25 days of annual leave a year, plus public holidays. Book leave in Breathe at least two weeks
ahead. You may carry over up to 5 unused days, which must be taken by 31 March.

## Parental leave

Birth parents get 26 weeks of parental leave on full pay. Partners get 6 weeks on full pay.
""",
    "expenses.md": """# Expenses

## Meals

Meals while travelling are capped at 40 pounds a day in London and 30 euros a day in Lisbon.

## Claims

Submit claims in Payhawk within 30 days, with a photo of every receipt. Your manager approves them.
""",
    "security.md": """# Security

## Lost devices

If you lose a laptop or phone, report it to security@northwind.example within one hour so it can be wiped.

## Passwords

Use the company password manager, 1Password, for every work account, and turn on multi-factor authentication.
""",
}


def write_handbook(folder: Path, files: dict[str, str] = HANDBOOK) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


SAMPLE_HANDBOOK = Path(__file__).resolve().parents[2] / "examples" / "handbook"


def write_sample_copies(folder: Path, copies: int) -> Path:
    """``copies`` copies of the sample handbook (ten files, about 110 chunks each): a corpus that takes the real
    model seconds to embed, for tests of what happens while an ingest runs."""
    folder.mkdir(parents=True, exist_ok=True)
    for copy in range(copies):
        for source in sorted(SAMPLE_HANDBOOK.glob("*.md")):
            shutil.copy(source, folder / f"{copy}-{source.name}")
    return folder
