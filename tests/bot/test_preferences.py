"""Feedback that carries to rewordings, through the core as every adapter drives it: Helpful, Not helpful and a
champion's ❌ on the commuting handbook (``tests.commute_handbook``), on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.asking.preferences import NEAR_TIE, reorder
from bot.config import parse_config
from bot.curation.feedback_learning import forget, listing
from bot.replies import HELPFUL, NOT_HELPFUL
from bot.tables.curation import CurationAudit
from bot.tables.preferences import LearnedPreference
from knowledge.types import Hit
from tests.bot.support import RAW_CONFIG, Chat, new_chat, rows
from tests.commute_handbook import BIKE, BIKE_REWORDED, CAR, CAR_PARK, CAR_REWORDED, CAR_WORK_DAY, MILEAGE

PARKING, CYCLING = "Parking", "Cycling to work"  # the pages' titles, as answers name their sources
ANSWER_THRESHOLD = 0.25  # low enough that every car question gets a document answer, with its buttons


def config(**extra):
    raw = {**RAW_CONFIG, "answers": {"answer_threshold": ANSWER_THRESHOLD}, **extra}
    return parse_config(raw)


@pytest.fixture
def chat(commute_kb) -> Chat:
    return new_chat(config(), commute_kb)


def ask(chat: Chat, who: str, question: str, *, click: str | None = None):
    """``who`` asks in a direct message (and clicks ``click`` on the answer); returns the bot's reply."""
    chat.ask(who, question)
    reply = chat.last(channel=f"dm-{who}")
    if click is not None:
        chat.click(who, reply, click)
    return reply


def top_document(chat: Chat, who: str, question: str) -> str:
    """The title of the top source of the answer ``who`` gets to ``question``."""
    return ask(chat, who, question).reply.sources[0].title


# -- the decision alone ------------------------------------------------------------------------------------------
def passage(document: str, confidence: float) -> Hit:
    return Hit(key=f"chunk:{document}", kind="chunk", title=document, source=document, heading="", text=document,
               score=confidence, confidence=confidence, collection="handbook", document=document)


def entry(confidence: float) -> Hit:
    return Hit(key="entry:1", kind="entry", title="q", source="Alice", heading="", text="a", score=confidence,
               confidence=confidence, collection="verified", entry_id=1)


def test_one_voice_only_breaks_a_near_tie_and_keeps_the_search_as_sure_as_it_was() -> None:
    near = [passage("a", 0.60), passage("b", 0.60 - NEAR_TIE + 0.01)]
    promoted = reorder(near, {"b": 1.0}, decides=2)
    assert [hit.document for hit in promoted] == ["b", "a"]
    assert promoted[0].confidence == 0.60
    far = [passage("a", 0.60), passage("b", 0.30)]
    assert [hit.document for hit in reorder(far, {"b": 1.0}, decides=2)] == ["a", "b"]
    assert [hit.document for hit in reorder(far, {"a": -1.0}, decides=2)] == ["a", "b"]  # nothing as good
    assert [hit.document for hit in reorder(near, {"a": -1.0}, decides=2)] == ["b", "a"]


def test_enough_voices_decide_wherever_the_search_found_the_source() -> None:
    far = [passage("a", 0.60), passage("c", 0.40), passage("b", 0.10)]
    promoted = reorder(far, {"b": 2.0}, decides=2)
    assert [hit.document for hit in promoted] == ["b", "a", "c"]
    assert promoted[0].confidence == 0.60  # answered as surely as the documents answered before
    assert [hit.document for hit in reorder(far, {"a": -2.0}, decides=2)] == ["c", "b"]
    assert reorder([passage("a", 0.6)], {"a": -2.0}, decides=2) == []


def test_entries_keep_their_place_and_opposite_voices_cancel() -> None:
    hits = [entry(0.9), passage("a", 0.6), passage("b", 0.55)]
    assert [hit.key for hit in reorder(hits, {"b": 1.0}, decides=2)] == ["entry:1", "chunk:b", "chunk:a"]
    assert reorder(hits, {"b": 0.0}, decides=2) == hits


# -- through the core -------------------------------------------------------------------------------------------
def test_helpful_from_two_askers_carries_to_a_rewording_and_not_to_a_look_alike(chat, commute_kb) -> None:
    assert top_document(chat, "erin", CAR_REWORDED) == CYCLING
    ask(chat, "bob", CAR, click=HELPFUL)
    assert top_document(chat, "erin", CAR_REWORDED) == CYCLING  # one person does not swing it alone
    ask(chat, "carol", CAR, click=HELPFUL)
    reply = ask(chat, "erin", CAR_WORK_DAY)
    assert reply.reply.sources[0].title == PARKING
    assert reply.reply.actions  # still a document answer the next asker can judge
    assert top_document(chat, "erin", BIKE) == CYCLING
    learned = rows(commute_kb, LearnedPreference)
    assert sorted((row.person_id, row.kind, row.title, row.question_text) for row in learned) == [
        ("console:bob", "helpful", PARKING, CAR), ("console:carol", "helpful", PARKING, CAR)]


def test_one_person_judging_many_times_counts_once(chat, commute_kb) -> None:
    for _ in range(3):
        ask(chat, "bob", CAR, click=HELPFUL)
    ask(chat, "bob", CAR_PARK, click=HELPFUL)
    assert len(rows(commute_kb, LearnedPreference)) == 4  # every judgment is audited...
    assert top_document(chat, "erin", CAR_REWORDED) == CYCLING  # ...and bob is still one voice


def test_not_helpful_from_two_askers_takes_the_source_out_for_rewordings(chat) -> None:
    ask(chat, "bob", CAR_REWORDED, click=NOT_HELPFUL)
    assert top_document(chat, "erin", CAR_WORK_DAY) == CYCLING
    ask(chat, "carol", CAR_REWORDED, click=NOT_HELPFUL)
    reply = ask(chat, "erin", CAR_WORK_DAY)
    assert CYCLING not in [source.title for source in reply.reply.sources]
    assert top_document(chat, "erin", BIKE_REWORDED) == CYCLING


def test_a_champions_reject_carries_to_rewordings_alone(chat, commute_kb) -> None:
    chat.ask("erin", CAR_REWORDED, channel="office")
    answer = chat.last(channel="office")
    chat.react("alice", answer, "x")
    assert [(row.kind, row.person_id) for row in rows(commute_kb, LearnedPreference)] == [
        ("rejected", "console:alice")]
    reply = ask(chat, "bob", CAR_WORK_DAY)
    assert CYCLING not in [source.title for source in reply.reply.sources]
    assert top_document(chat, "bob", BIKE_REWORDED) == CYCLING
    chat.react("alice", answer, "x", added=False)  # taking the ❌ back gives the source back everywhere
    assert rows(commute_kb, LearnedPreference) == []
    assert top_document(chat, "bob", CAR_WORK_DAY) == CYCLING


def test_a_verified_answer_is_never_overridden(chat, commute_kb) -> None:
    commute_kb.add_entry(CAR_REWORDED, "Use the basement car park.", source="Alice", verified_by="Alice")
    ask(chat, "bob", CAR_WORK_DAY, click=NOT_HELPFUL)
    ask(chat, "carol", CAR_WORK_DAY, click=NOT_HELPFUL)
    reply = ask(chat, "erin", CAR_REWORDED)
    assert reply.reply.sources[0].verified_by == "Alice"


def test_a_preference_is_removed_with_an_audit_row(chat, commute_kb) -> None:
    ask(chat, "bob", CAR, click=HELPFUL)
    ask(chat, "carol", CAR, click=HELPFUL)
    assert top_document(chat, "erin", CAR_REWORDED) == PARKING
    learned = listing(commute_kb.engine, commute_kb)
    assert [view.person for view in learned] == ["console:carol", "console:bob"]  # newest first
    assert forget(commute_kb.engine, learned[0].id, actor="admin:test")
    assert not forget(commute_kb.engine, learned[0].id, actor="admin:test")
    assert top_document(chat, "erin", CAR_REWORDED) == CYCLING
    audit = rows(commute_kb, CurationAudit, CurationAudit.action == "preference_remove")
    assert [(a.actor_id, a.reason.split(":")[0]) for a in audit] == [("admin:test", f"preference {learned[0].id}")]


def test_a_changed_document_weakens_what_was_learned_about_it(tmp_path, database_url, embedder,
                                                               commute_handbook) -> None:
    from adapters.wiring import create_schema
    from knowledge import KnowledgeBase

    folder = shutil.copytree(commute_handbook, tmp_path / "commute")
    kb = KnowledgeBase.open(tmp_path / "home", database_url=database_url, embedder=embedder)
    try:
        create_schema(kb.engine)
        kb.ingest([folder], collection="handbook", progress=False)
        chat = new_chat(config(), kb)
        ask(chat, "bob", CAR, click=HELPFUL)
        ask(chat, "carol", CAR, click=HELPFUL)
        assert top_document(chat, "erin", CAR_REWORDED) == PARKING
        page = folder / "parking.md"
        page.write_text(page.read_text(encoding="utf-8") + "\nElectric cars charge on level -1.\n", encoding="utf-8")
        kb.ingest([folder], collection="handbook", progress=False)
        assert top_document(chat, "erin", CAR_REWORDED) == CYCLING  # two half voices: a tie-break only
        assert all(view.changed for view in listing(kb.engine, kb))
        ask(chat, "alice", CAR, click=HELPFUL)  # judged again on what the page says now
        assert top_document(chat, "erin", CAR_REWORDED) == PARKING
    finally:
        kb.close()


def test_a_preference_learned_in_a_restricted_audience_stays_in_it(commute_kb) -> None:
    from bot.people.source_audiences import attach  # noqa: F401 - the audience rule the core applies

    folder = commute_kb.home / "finance"
    folder.mkdir()
    (folder / "mileage.md").write_text(MILEAGE, encoding="utf-8")
    commute_kb.ingest([folder], collection="finance", progress=False)
    chat = new_chat(config(collections={"finance": {"visible_to": ["team:ops"]}}), commute_kb)
    ask(chat, "bob", CAR_PARK, click=HELPFUL)
    ask(chat, "carol", CAR_PARK, click=HELPFUL)
    assert {row.audience for row in rows(commute_kb, LearnedPreference)} == {json.dumps(["finance"])}
    assert top_document(chat, "alice", CAR_REWORDED) == PARKING  # in the team that may read finance
    assert top_document(chat, "erin", CAR_REWORDED) == CYCLING  # outside it, as if nobody had judged


def test_judging_a_verified_answer_teaches_its_wording_not_a_preference(chat, commute_kb) -> None:
    commute_kb.add_entry(CAR_REWORDED, "Use the basement car park.", source="Alice", verified_by="Alice")
    ask(chat, "bob", CAR_REWORDED, click=HELPFUL)
    with Session(commute_kb.engine) as session:
        assert session.exec(select(LearnedPreference)).all() == []
