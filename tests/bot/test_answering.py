"""The answer-or-not decision, from hand-made hits."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.asking.answering import ANSWERED, SUGGESTED, UNSURE, answer_from_hits, extract
from bot.config import AnswersConfig, CollectionConfig
from bot.messages import answer_text
from knowledge.types import Hit

CONFIG = AnswersConfig(answer_threshold=0.5, verified_threshold=0.7, suggest_threshold=0.45, max_sources=2)
VERIFIED_AT = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def chunk(key: str, confidence: float, text: str = "Staff get 25 days of annual leave. Booking is in the portal.",
          title: str = "Leave policy", heading: str = "Annual leave", relative_path: str = "",
          url: str | None = None) -> Hit:
    return Hit(key=key, kind="chunk", title=title, source=f"Handbook › {title} › {heading}", heading=heading,
               text=text, score=confidence * 2, confidence=confidence, collection="handbook",
               document=f"handbook/{key}.md", relative_path=relative_path, url=url)


def entry(confidence: float, stale: bool = False) -> Hit:
    return Hit(key="entry:7", kind="entry", title="Can I bring my dog?", source="Verified answer › office",
               heading="", text="Yes, on Fridays.", score=3.0, confidence=confidence, collection="verified",
               entry_id=7, verified_by="Alice", verified_at=VERIFIED_AT, stale=stale)


def test_confident_chunk_answers_with_extract_and_sources() -> None:
    answer = answer_from_hits("How many days of annual leave?", [chunk("chunk:1", 0.8), chunk("chunk:2", 0.6,
                              title="Sick leave", heading="Pay")], CONFIG)
    assert answer.status == ANSWERED
    assert "25 days" in answer.answer
    assert answer.verified_by is None
    assert answer.top_key == "chunk:1"
    assert [s.title for s in answer.sources] == ["Leave policy", "Sick leave"]
    assert answer.to_json() == {
        "question": "How many days of annual leave?",
        "status": "answered",
        "confidence": 0.8,
        "answer": answer.answer,
        "sources": [
            {"title": "Leave policy", "source": "Handbook › Leave policy › Annual leave", "heading": "Annual leave",
             "score": 0.8, "snippet": answer.sources[0].snippet, "url": None},
            {"title": "Sick leave", "source": "Handbook › Sick leave › Pay", "heading": "Pay", "score": 0.6,
             "snippet": answer.sources[1].snippet, "url": None},
        ],
        "verified_question": None,
        "verified_by": None,
        "verified_at": None,
        "generated_by": None,
        "cited": None,
    }


def test_weak_sources_are_left_out() -> None:
    hits = [chunk("chunk:1", 0.8), chunk("chunk:2", 0.45, title="Sick leave"), chunk("chunk:3", 0.6, title="Pay")]
    assert [s.title for s in answer_from_hits("annual leave?", hits, CONFIG).sources] == ["Leave policy", "Pay"]
    unsure = [chunk("chunk:1", 0.4), chunk("chunk:2", 0.35, title="Sick leave"), chunk("chunk:3", 0.1, title="Pay")]
    assert [s.title for s in answer_from_hits("dog?", unsure, CONFIG).sources] == ["Leave policy", "Sick leave"]


def test_low_confidence_is_unsure_and_says_no_answer() -> None:
    answer = answer_from_hits("Can I bring my dog?", [chunk("chunk:1", 0.3)], CONFIG)
    assert answer.status == UNSURE
    assert answer.answer == ""
    assert answer.to_json()["status"] == "unsure"
    assert "not sure" in answer_text(answer, VERIFIED_AT)


def test_no_hits_is_unsure() -> None:
    answer = answer_from_hits("Anything?", [], CONFIG)
    assert (answer.status, answer.confidence, answer.sources) == (UNSURE, 0.0, ())


def test_verified_entry_above_its_threshold_answers_as_verified_and_says_for_which_question() -> None:
    answer = answer_from_hits("Dogs at work?", [entry(0.75), chunk("chunk:1", 0.9)], CONFIG)
    assert answer.status == ANSWERED
    assert answer.verified_by == "Alice"
    assert answer.answer == "Yes, on Fridays."
    assert answer.sources[0].verified_by == "Alice"
    data = answer.to_json()
    assert (data["verified_question"], data["verified_by"], data["verified_at"]) == (
        "Can I bring my dog?", "Alice", "2026-11-23T09:00:00+00:00")
    text = answer_text(answer, VERIFIED_AT + timedelta(days=3, hours=2))
    assert "✅ Verified answer to “Can I bring my dog?” · Alice, 3 days ago" in text


def test_a_plausible_verified_entry_is_suggested_not_answered() -> None:
    answer = answer_from_hits("Cats at work?", [entry(0.6), chunk("chunk:1", 0.3)], CONFIG)
    assert answer.status == SUGGESTED and answer.suggested and not answer.answered
    assert answer.entry_id == 7 and answer.top_key == "entry:7"
    assert "similar question: “Can I bring my dog?”" in answer_text(answer, VERIFIED_AT)


def test_a_confident_passage_wins_over_a_mere_suggestion() -> None:
    answer = answer_from_hits("Cats at work?", [entry(0.6), chunk("chunk:1", 0.8)], CONFIG)
    assert answer.status == ANSWERED and answer.verified_by is None and answer.top_key == "chunk:1"


def test_a_weak_verified_entry_is_neither_answer_nor_suggestion() -> None:
    answer = answer_from_hits("Dogs at work?", [entry(0.4)], CONFIG)
    assert answer.status == UNSURE


def test_stale_entry_never_answers_as_verified() -> None:
    answer = answer_from_hits("Dogs at work?", [entry(0.95, stale=True)], CONFIG)
    assert answer.verified_by is None
    assert answer.sources[0].verified_by is None


def test_sources_are_deduplicated_and_capped() -> None:
    hits = [chunk("chunk:1", 0.9), chunk("chunk:2", 0.8), chunk("chunk:3", 0.7, title="Other"),
            chunk("chunk:4", 0.6, title="Third")]
    answer = answer_from_hits("leave?", hits, CONFIG)
    assert [s.key for s in answer.sources] == ["chunk:1", "chunk:3"]


def test_extract_prefers_sentences_sharing_the_question_words_in_original_order() -> None:
    text = ("Our office opens at eight. Parking is free for cyclists. Annual leave is 25 days for full-time staff. "
            "Unused leave carries over up to five days. The canteen serves lunch.")
    result = extract("How much annual leave carries over?", text, limit=120)
    assert result.startswith("Annual leave is 25 days")
    assert "carries over" in result
    assert "canteen" not in result
    assert len(result) <= 120


def test_extract_trims_long_text() -> None:
    result = extract("leave", "leave " * 500, limit=100)
    assert len(result) <= 100 and result.endswith("…")


LINKED = {"handbook": CollectionConfig(base_url="https://wiki.example.com/handbook/")}


def test_sources_link_to_the_collections_base_url_by_their_path() -> None:
    hits = [chunk("chunk:1", 0.8, relative_path="policies/annual leave.md"),
            chunk("chunk:2", 0.7, title="Claim form", relative_path="forms/claim.pdf"),
            chunk("chunk:3", 0.6, title="Canteen", relative_path="canteen.HTML")]
    answer = answer_from_hits("How many days of annual leave?", hits, CONFIG.model_copy(update={"max_sources": 3}),
                              LINKED)
    assert [source.url for source in answer.sources] == [
        "https://wiki.example.com/handbook/policies/annual%20leave",
        "https://wiki.example.com/handbook/forms/claim.pdf",
        "https://wiki.example.com/handbook/canteen",
    ]
    assert answer.to_json()["sources"][0]["url"] == "https://wiki.example.com/handbook/policies/annual%20leave"
    assert "     https://wiki.example.com/handbook/policies/annual%20leave" in answer_text(answer, VERIFIED_AT)


def test_a_documents_own_url_wins_over_the_base_url() -> None:
    hit = chunk("chunk:1", 0.8, relative_path="leave.md", url="https://intranet.example.com/hr/leave_(uk)|v2")
    answer = answer_from_hits("How many days of annual leave?", [hit], CONFIG, LINKED)
    assert answer.sources[0].url == "https://intranet.example.com/hr/leave_%28uk%29%7Cv2"  # safe in any chat link


def test_no_base_url_and_no_own_url_means_no_link() -> None:
    answer = answer_from_hits("How many days of annual leave?", [chunk("chunk:1", 0.8, relative_path="leave.md")],
                              CONFIG, {"handbook": CollectionConfig()})
    assert answer.sources[0].url is None and answer.to_json()["sources"][0]["url"] is None
    assert "http" not in answer_text(answer, VERIFIED_AT)


def test_a_verified_answers_source_has_no_link() -> None:
    answer = answer_from_hits("Can I bring my dog?", [entry(0.9)], CONFIG, {"verified": CollectionConfig(
        base_url="https://wiki.example.com/")})
    assert answer.is_verified and answer.sources[0].url is None
