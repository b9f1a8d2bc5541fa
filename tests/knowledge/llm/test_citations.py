"""The citation check and the neutralising of model text, on their own."""
from __future__ import annotations

import pytest

from knowledge.llm.citations import check
from knowledge.llm.grounding import sentences
from knowledge.llm.neutral import neutral

PASSAGES = ["Full-time staff get twenty-five days of annual leave. Claims over £1,500 need approval from Finance.",
            "The pension match is 5% of salary, up to 4,000 a year."]


@pytest.mark.parametrize("sentence", [
    "Staff get 25 days of annual leave [1].",
    "Claims over £1500 need approval from Finance [1].",
    "The pension match is 5 percent of salary [2].",
    "Up to 4000 a year of salary is matched by the pension [2].",
    "Claims over £1,500 need Finance approval, and the pension match is 5% of salary [1][2].",
])
def test_supported_sentences_are_kept(sentence: str) -> None:
    result = check(sentence, PASSAGES)
    assert result.dropped == 0 and not result.use_extract, result.reasons


@pytest.mark.parametrize("sentence", [
    "Staff get 30 days of annual leave [1].",  # a number not in the passage
    "Claims over $1,500 need approval from Finance [1].",  # another currency
    "Claims over £1,500 need approval from Payroll [1].",  # a name not in the passage
    "The pension match is 5% of salary [1].",  # true, but not in the passage it cites
    "The pension match is 5% of salary [3].",  # a passage that does not exist
    "The pension match is 5% of salary.",  # no marker
    "Bicycles can be stored in the basement garage [1].",  # the words are not the passage's
])
def test_unsupported_sentences_are_dropped(sentence: str) -> None:
    result = check(sentence, PASSAGES)
    assert result.dropped == 1 and result.use_extract


def test_markers_are_normalised_and_a_trailing_marker_after_the_full_stop_belongs_to_its_sentence() -> None:
    found = sentences("Staff get 25 days, e.g. for holidays. [1] The match is 5% [2, 2][1].")
    assert [(s.text, s.cited) for s in found] == [("Staff get 25 days, e.g. for holidays.", (1,)),
                                                  ("The match is 5%.", (2, 1))]
    assert check("The pension match is 5% of salary [2, 2].", PASSAGES).kept_text == \
        "The pension match is 5% of salary. [2]"


@pytest.mark.parametrize(("text", "shown"), [
    ("See [the portal](https://evil.example/login) now", "See the portal now"),
    ("Book at https://evil.example/login?x=1 today", "Book at today"),
    ("Go to www.evil.example or evil.example/login", "Go to or"),
    ("Ping <!channel> and <@U123ABC> or <#C0FIN|finance>", "Ping and or"),
    ("Tell @here and @channel", "Tell here and channel"),
    ("Open <https://evil.example|the form>", "Open the form"),
    ("Ask <at>Alice</at> in <a href='x'>here</a>", "Ask Alice in here"),
    ("Write to hr@northwind.example", "Write to"),  # an address, too, comes from sources only
])
def test_model_text_is_made_inert(text: str, shown: str) -> None:
    assert neutral(text) == shown
