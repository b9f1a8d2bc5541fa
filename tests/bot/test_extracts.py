"""Extracts keep the Markdown shape of what they quote: a row with its header, an item with its lead-in."""
from __future__ import annotations

from bot.asking.answering import extract
from bot.markdown import parse

TRAVEL = """Meal allowances depend on the city. Keep every receipt.

| City | Daily meal limit |
|---|---|
| London | £60 |
| Paris | €55 |
| Berlin | €50 |

Keep receipts for a year. You can claim these travel costs:

- Taxis after 9pm.
- Train tickets in standard class.
- Hotel nights up to four stars.

Flights need approval from your manager."""


def test_a_table_row_comes_with_its_header_as_a_small_table() -> None:
    result = extract("What is the daily meal limit in London?", TRAVEL)
    assert "| City | Daily meal limit |\n|---|---|\n| London | £60 |" in result
    assert "Paris" not in result and "Berlin" not in result
    assert [node.type for node in parse(result).children][-1] == "table"


def test_a_list_item_keeps_its_lead_in_and_stays_a_list_item() -> None:
    result = extract("Can I claim train tickets?", TRAVEL)
    assert result == "You can claim these travel costs:\n\n- Train tickets in standard class."
    assert [node.type for node in parse(result).children] == ["paragraph", "bullet_list"]


def test_a_question_about_the_whole_list_gets_the_whole_list_once() -> None:
    result = extract("Which travel costs can I claim?", TRAVEL)
    assert result.count("You can claim these travel costs:") == 1
    assert result.count("\n- ") == 3


def test_paragraphs_stay_paragraphs() -> None:
    result = extract("Do flights need approval?", TRAVEL)
    assert result == "Flights need approval from your manager."


def test_pieces_from_different_blocks_are_separate_blocks() -> None:
    text = "Parking is free.\n\nAnnual leave is 25 days.\n\nThe canteen opens at noon. Leave carries over."
    assert extract("annual leave carries over", text) == "Annual leave is 25 days.\n\nLeave carries over."


def test_a_long_table_stays_within_the_limit_plus_its_header() -> None:
    rows = "\n".join(f"| Office {n} | {'word ' * 30}|" for n in range(50))
    text = f"| Office | Notes |\n|---|---|\n{rows}"
    result = extract("office word notes", text, limit=400)
    header = "| Office | Notes |\n|---|---|\n"
    assert result.startswith(header) and len(result) <= 400 + len(header)
