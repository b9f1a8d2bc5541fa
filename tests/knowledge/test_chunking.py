"""Chunk boundaries: headings split, paragraphs pack up to the budget, long text splits at sentences with an
overlap, and every chunk knows its heading path."""
from __future__ import annotations

from knowledge.chunking import TOKENS_PER_WORD, chunk_document, sections, words_budget


def test_headings_build_the_path_and_the_title_heading_is_not_repeated() -> None:
    text = "# Handbook\n\nWelcome.\n\n## Leave\n\n### Annual leave\n\n25 days.\n\n## Expenses\n\nKeep receipts.\n"
    chunks = chunk_document(text, "Handbook")
    assert [c.source for c in chunks] == [
        "Handbook",
        "Handbook › Leave › Annual leave",
        "Handbook › Expenses",
    ]
    assert chunks[1].heading == "Leave › Annual leave"
    assert chunks[1].text == "25 days."
    assert [c.ordinal for c in chunks] == [0, 1, 2]


def test_a_heading_without_text_makes_no_chunk() -> None:
    assert [s.headings for s in sections("## Leave\n\n### Sick leave\n\nCall in by 10am.\n", "T")] == [
        ("Leave", "Sick leave")
    ]


def test_hash_lines_inside_code_fences_are_not_headings() -> None:
    text = "## Setup\n\n```\n# not a heading\nrun it\n```\n\nDone.\n"
    chunks = chunk_document(text, "Guide")
    assert len(chunks) == 1
    assert "# not a heading" in chunks[0].text


def test_small_paragraphs_pack_together_until_the_budget() -> None:
    paragraphs = "\n\n".join(f"Paragraph {i} has exactly seven words." for i in range(10))
    chunks = chunk_document(f"## Rules\n\n{paragraphs}", "T", target_tokens=40, overlap_tokens=0)
    budget = words_budget(40)
    assert all(len(c.text.split()) <= budget for c in chunks)
    assert len(chunks) == 10 * 6 // budget + (1 if 10 * 6 % budget else 0)
    assert "Paragraph 0" in chunks[0].text and "Paragraph 9" in chunks[-1].text


def test_long_paragraph_splits_at_sentences_with_overlap_and_within_budget() -> None:
    sentences = " ".join(f"Rule number {i} says something specific." for i in range(100))
    chunks = chunk_document(f"## Rules\n\n{sentences}", "T", target_tokens=120, overlap_tokens=20)
    budget = words_budget(120)
    assert len(chunks) > 3
    assert all(len(c.text.split()) <= budget for c in chunks)
    for previous, current in zip(chunks, chunks[1:]):
        carried = current.text.split("\n\n")[0]
        assert 0 < len(carried.split()) <= words_budget(20), "each chunk starts with a short overlap"
        assert previous.text.endswith(carried), "the overlap is the end of the previous chunk"
    everything = " ".join(c.text for c in chunks)
    assert all(f"Rule number {i} " in everything for i in range(100))
    assert all(c.text.rstrip().endswith(".") for c in chunks), "splits fall between sentences"


def test_a_sentence_longer_than_the_budget_is_cut_at_words() -> None:
    giant = " ".join(f"w{i}" for i in range(500))
    chunks = chunk_document(giant, "T", target_tokens=100, overlap_tokens=0)
    assert sum(len(c.text.split()) for c in chunks) == 500
    assert max(len(c.text.split()) for c in chunks) <= words_budget(100)


def test_budget_is_in_model_tokens() -> None:
    assert words_budget(250) == int(250 / TOKENS_PER_WORD)
