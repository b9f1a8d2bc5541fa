"""Knowledge gaps grouped into themes, by word overlap and by the real sentence embedder."""
from __future__ import annotations

from jobs import themes

QUESTIONS = [
    "How do I book parental leave?",
    "Where do I expense a taxi receipt?",
    "How do I request parental leave?",
    "Can I claim a cab fare on expenses?",
    "Is there a parental leave request form?",
    "What is the wifi password in the office?",
]


def test_word_overlap_groups_in_order_asked() -> None:
    grouped = themes.group(QUESTIONS)
    assert [(t.count, t.example) for t in grouped][:1] == [(3, "How do I book parental leave?")]
    assert grouped[0].members == [0, 2, 4]
    assert sum(t.count for t in grouped) == len(QUESTIONS)
    assert themes.group(QUESTIONS) == grouped  # deterministic


def test_embeddings_group_paraphrases_without_shared_words(embedder) -> None:
    grouped = themes.group(QUESTIONS, themes.embed_function(embedder))
    by_example = {t.example: [QUESTIONS[i] for i in t.members] for t in grouped}
    assert by_example["How do I book parental leave?"] == [QUESTIONS[0], QUESTIONS[2], QUESTIONS[4]]
    assert by_example["Where do I expense a taxi receipt?"] == [QUESTIONS[1], QUESTIONS[3]]
    assert by_example["What is the wifi password in the office?"] == [QUESTIONS[5]]
    assert [t.count for t in grouped] == [3, 2, 1]


def test_no_questions_no_themes() -> None:
    assert themes.group([]) == []


def test_a_theme_is_named_by_the_words_its_questions_share() -> None:
    assert themes.label([QUESTIONS[0], QUESTIONS[2], QUESTIONS[4]]) == "Parental leave request"
    assert themes.label([QUESTIONS[1], QUESTIONS[3]]) == "Expense"
    assert themes.label([QUESTIONS[5]]) == "Wifi password office"
    # a lone question: its rarest words first among what else was asked, still in the order written
    assert themes.label(["How do I book parental leave?"], others=["Parental leave for twins?"], size=1) == "Book"
    assert themes.label(["How do I do it?"]) is None
