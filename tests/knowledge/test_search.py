"""Hybrid ranking, confidence, curated entries above chunks, stale entries lower, rebuild from the database."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.errors import KnowledgeError
from tests.knowledge.conftest import write_handbook


@pytest.fixture
def filled(kb: KnowledgeBase, tmp_path: Path) -> KnowledgeBase:
    kb.ingest([write_handbook(tmp_path / "handbook")])
    return kb


def test_answer_with_source_path_and_confidence(filled: KnowledgeBase) -> None:
    top = filled.search("How many holiday days do I get each year?", k=3)[0]
    assert top.source == "Leave › Annual leave"
    assert top.kind == "chunk" and top.key.startswith("chunk:")
    assert top.document.endswith("leave.md")
    assert top.confidence >= 0.55


def test_unrelated_question_gets_low_confidence(filled: KnowledgeBase) -> None:
    hits = filled.search("What is the capital of Australia?", k=3)
    assert all(hit.confidence < 0.55 for hit in hits)


def test_keyword_catches_a_product_name_dense_alone_ranks_lower(filled: KnowledgeBase) -> None:
    keyword = filled.search("Payhawk", k=1, mode="keyword")[0]
    assert keyword.source == "Expenses › Claims"
    hybrid = filled.search("Payhawk", k=1)[0]
    assert hybrid.source == "Expenses › Claims"


def test_modes_are_checked(filled: KnowledgeBase) -> None:
    with pytest.raises(KnowledgeError, match="unknown search mode"):
        filled.search("x", mode="magic")
    assert filled.search("   ") == []


def test_curated_entry_outranks_chunks_for_a_paraphrase(filled: KnowledgeBase) -> None:
    entry_id = filled.add_entry(
        "Can I bring my dog to the office?",
        "Yes, on Fridays, in the London office only.",
        source="Verified by Alice",
        verified_by="Alice",
    )
    hits = filled.search("Am I allowed to bring my dog into the office?", k=3)
    assert hits[0].kind == "entry" and hits[0].entry_id == entry_id
    assert hits[0].key == f"entry:{entry_id}"
    assert hits[0].verified_by == "Alice" and hits[0].is_verified and hits[0].verified_at is not None
    assert hits[0].confidence >= 0.7
    unrelated = filled.search("How do I report a lost laptop?", k=3)
    assert all(hit.kind == "chunk" for hit in unrelated)


def test_a_look_alike_question_with_one_informative_word_swapped_is_not_the_same(filled: KnowledgeBase) -> None:
    filled.add_entry("Can I bring my dog to the office?", "Yes, on Fridays.", source="Alice", verified_by="Alice")
    for other in ("Can I bring a cat to the office?", "Can I bring my dog to the warehouse?"):
        entries = [hit for hit in filled.search(other, k=5) if hit.kind == "entry"]
        assert all(hit.confidence < 0.7 for hit in entries), other


def test_learned_wordings_match_like_the_question_and_can_be_removed(filled: KnowledgeBase) -> None:
    entry_id = filled.add_entry("Where do I log PTO?", "In Breathe, under Time off.", source="Alice",
                                verified_by="Alice")
    wording = "which app do we use to request holidays"
    before = [hit for hit in filled.search(wording, k=5) if hit.kind == "entry"]
    assert all(hit.confidence < 0.7 for hit in before)
    alias_id = filled.add_alias(entry_id, wording, added_by="console:bob")
    assert filled.add_alias(entry_id, wording, added_by="console:carol") is None  # known already
    assert filled.add_alias(entry_id, "where do I log PTO?", added_by="console:bob") is None  # its own question
    after = filled.search(wording, k=5)
    assert after[0].entry_id == entry_id and after[0].confidence >= 0.7
    assert [(a.text, a.added_by, a.entry_question) for a in filled.aliases()] == [
        (wording, "console:bob", "Where do I log PTO?")]
    assert filled.remove_alias(alias_id) and not filled.remove_alias(alias_id)
    assert all(hit.confidence < 0.7 for hit in filled.search(wording, k=5) if hit.kind == "entry")
    filled.add_alias(entry_id, wording, added_by="console:bob")
    filled.remove_entry(entry_id)
    assert filled.aliases() == []


def test_similar_entries_offers_loose_matches_best_first(filled: KnowledgeBase) -> None:
    dog = filled.add_entry("Can I bring my dog to the office?", "Yes, on Fridays.", source="A", verified_by="A")
    filled.add_entry("How do I claim a taxi fare?", "Through the expenses portal.", source="A", verified_by="A")
    similar = filled.similar_entries("are pets welcome at work?", 3)
    assert similar and similar[0].entry_id == dog
    assert filled.entry(dog).title == "Can I bring my dog to the office?" and filled.entry(999) is None


def test_entry_outranks_a_matching_document_chunk(filled: KnowledgeBase) -> None:
    filled.add_entry("How many days of annual leave do I get?", "28 days from 2027 on.", source="Alice",
                     verified_by="Alice")
    hits = filled.search("how many annual leave days do I get", k=3)
    assert hits[0].kind == "entry"
    assert hits[1].source == "Leave › Annual leave"


def test_stale_entry_ranks_below_the_best_chunk_and_removal_drops_it(filled: KnowledgeBase) -> None:
    entry_id = filled.add_entry("How many days of annual leave do I get?", "28 days.", source="Alice",
                                verified_by="Alice")
    filled.update_entry(entry_id, stale=True)
    hits = filled.search("how many annual leave days do I get", k=3)
    assert hits[0].kind == "chunk" and hits[1].kind == "entry" and hits[1].stale
    assert not hits[1].is_verified
    filled.remove_entry(entry_id)
    assert all(hit.kind == "chunk" for hit in filled.search("how many annual leave days do I get", k=3))


def test_entries_in_their_own_collection_follow_the_filter(filled: KnowledgeBase) -> None:
    filled.add_entry("Where is the IT desk?", "Second floor.", source="Bob", verified_by="Bob", collection="it")
    assert filled.search("Where can I find the IT desk?", k=1, collections=["it"])[0].kind == "entry"
    assert all(h.kind == "chunk" for h in filled.search("Where can I find the IT desk?", k=3,
                                                          collections=["handbook"]))


def test_rebuild_from_the_database_gives_the_same_results(filled: KnowledgeBase) -> None:
    before = [(h.key, round(h.score, 5)) for h in filled.search("lost phone", k=5)]
    filled.rebuild_index()
    assert [(h.key, round(h.score, 5)) for h in filled.search("lost phone", k=5)] == before


def test_one_embedding_serves_search_and_similar_entries(filled: KnowledgeBase, counting_embedder) -> None:
    question = "Can I  carry over unused holiday?"
    filled.add_entry("Can I carry over holiday days?", "Up to 5 days, taken by 31 March.", source="champion",
                     verified_by="carol")
    expected = [(hit.key, round(hit.confidence, 4)) for hit in filled.search(question, k=5)]
    before = len(counting_embedder.calls)
    vector = filled.embed_question(question)
    found = filled.search(question, k=5, vector=vector)
    similar = filled.similar_entries(question, 3, vector=vector)
    assert counting_embedder.calls[before:] == [["Can I carry over unused holiday?"]]  # spacing normalised
    assert [(hit.key, round(hit.confidence, 4)) for hit in found] == expected
    assert similar and similar[0].kind == "entry"
