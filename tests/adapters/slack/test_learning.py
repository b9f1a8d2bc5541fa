"""Verified answers learning new wordings, through real HTTP, the real Bolt app, the real core and knowledge base:
a champion's "Same as…" button on a routed question, and the asker's Yes / No on a suggested answer."""
from __future__ import annotations

import json
import re

import pytest

from knowledge import VERIFIED_COLLECTION
from tests.adapters.slack.conftest import CONFIG, serve_rig
from tests.bot.support import CHAMPION_ANSWER, UNKNOWN_QUESTION
from tests.bot.support import audit_trail as _audit
from tests.bot.support import questions as _questions

# With the real bundled model and one verified entry ("Can I bring my dog to the office?"), these wordings match
# the entry with confidence about 0.97 and 0.74. No handbook passage comes near 0.99, and neither does the entry:
# the first wording is a suggestion (0.85 <= confidence < 0.99), the second is routed to the office champions
# with the entry offered as "Same as…" (similar, but under the suggestion threshold).
ANSWERS = {"answer_threshold": 0.99, "verified_threshold": 0.99, "suggest_threshold": 0.85}
SUGGESTED_WORDING = "Could my puppy come along to the office with me?"
ROUTED_WORDING = "Can dogs come to the office?"
VERIFIED_LINE = "✅ Verified answer to “Can I bring my dog to the office?” · Alice, "


@pytest.fixture
def rig(kb):
    yield from serve_rig(kb, {**CONFIG, "answers": ANSWERS})


@pytest.fixture
def entry_id(kb) -> int:
    """What the office champions verified earlier."""
    return kb.add_entry(UNKNOWN_QUESTION, CHAMPION_ANSWER, source="Verified answer › office", verified_by="Alice",
                        collection=VERIFIED_COLLECTION)


# -- helpers ----------------------------------------------------------------------------------------------------
def _text(post: dict) -> str:
    return post.get("text", "") + json.dumps(post.get("blocks", ""), ensure_ascii=False)


def _ts_of(rig, channel: str, thread: str | None) -> list[str]:
    """The ts of the bot's messages in this channel (and thread), in the order they were posted."""
    return sorted(ts for (ch, ts), th in rig.api.threads.items() if ch == channel and th == thread)


def _button(post: dict, name: str) -> dict:
    buttons = [e for b in post.get("blocks", []) if b["type"] == "actions" for e in b["elements"]
               if e["action_id"].startswith(f"lorebot:{name}:")]
    assert buttons, f"no {name} button in {post}"
    return buttons[0]


def _no_markdown_leaks(posts: list[dict]) -> None:
    for post in posts:
        assert "**" not in _text(post), f"CommonMark bold reached Slack: {post}"


def _route(rig, ts: str = "100.1") -> tuple[dict, str]:
    """Erin asks a new wording of the dog question; it goes to the office champions' channel."""
    assert rig.dm("UERIN", ROUTED_WORDING, ts) == 200
    rig.settle()
    [routed] = rig.api.posts_to("CCHAMPS")
    [routed_ts] = _ts_of(rig, "CCHAMPS", None)
    return routed, routed_ts


def _suggest(rig, ts: str = "200.1") -> tuple[dict, str]:
    assert rig.dm("UERIN", SUGGESTED_WORDING, ts) == 200
    rig.settle()
    [suggestion] = rig.api.posts_to("DUERIN", thread=ts)
    [suggestion_ts] = _ts_of(rig, "DUERIN", ts)
    return suggestion, suggestion_ts


# -- "Same as…" ---------------------------------------------------------------------------------------------------
def test_routed_post_offers_the_similar_verified_answer(rig, kb, entry_id) -> None:
    routed, _ = _route(rig)
    [question] = _questions(kb)
    assert (question.status, question.topic) == ("routed", "office")
    button = _button(routed, "same_as")
    assert button["value"] == f"{question.id}:{entry_id}"
    assert "Same as “Can I bring my dog to the office?”" in button["text"]["text"]
    assert "press its _Same as…_ button" in _text(routed)  # CommonMark emphasis, as Slack writes it
    assert "*Erin* asked" in _text(routed)
    _no_markdown_leaks([routed])


def test_champions_same_as_sends_the_verified_answer_and_learns_the_wording(rig, kb, entry_id) -> None:
    routed, routed_ts = _route(rig)
    [question] = _questions(kb)
    told_before = len(rig.api.posts_to("DUERIN", thread="100.1"))
    button = _button(routed, "same_as")

    assert rig.click("UALICE", button["action_id"], button["value"], "CCHAMPS", routed_ts) == 200
    rig.settle()

    to_erin = rig.api.posts_to("DUERIN", thread="100.1")
    assert len(to_erin) == told_before + 1
    answer = to_erin[-1]
    assert "Fridays" in _text(answer)
    assert VERIFIED_LINE in _text(answer)
    assert re.search(r"· Alice, (just now|\d+ \w+ ago)", _text(answer))
    assert [b["elements"][0]["action_id"] for b in answer["blocks"] if b["type"] == "actions"] == [
        f"lorebot:helpful:{question.id}"]

    [done] = rig.api.posts_to("CCHAMPS", thread=routed_ts)
    assert "Done: I've sent Erin the verified answer to “Can I bring my dog to the office?”" in _text(done)

    [question] = _questions(kb)
    assert (question.status, question.answered_by, question.resolved_by) == ("answered", "slack:UALICE", "champion")
    [alias] = kb.aliases()
    assert (alias.entry_id, alias.text, alias.added_by) == (entry_id, ROUTED_WORDING, "slack:UALICE")
    assert sorted(action for action, _, _ in _audit(kb)) == ["alias_add", "same_as"]
    assert all((actor, qid) == ("slack:UALICE", question.id) for _, actor, qid in _audit(kb))
    _no_markdown_leaks([routed, answer, done])

    # The learned wording is now answered at once, as verified, without bothering the champions again.
    rig.dm("UCAROL", ROUTED_WORDING, "101.1")
    rig.settle()
    [again] = rig.api.posts_to("DUCAROL", thread="101.1")
    assert "Fridays" in _text(again) and VERIFIED_LINE in _text(again)
    assert len(rig.api.posts_to("CCHAMPS")) == 2  # the routed post and "Done" only
    _no_markdown_leaks([again])


def test_a_second_same_as_click_is_too_late_and_changes_nothing(rig, kb, entry_id) -> None:
    routed, routed_ts = _route(rig)
    button = _button(routed, "same_as")
    rig.click("UALICE", button["action_id"], button["value"], "CCHAMPS", routed_ts)
    rig.settle()
    to_erin = len(rig.api.posts_to("DUERIN", thread="100.1"))
    audit = _audit(kb)

    assert rig.click("UALICE", button["action_id"], button["value"], "CCHAMPS", routed_ts) == 200
    rig.settle()

    replies = rig.api.posts_to("CCHAMPS", thread=routed_ts)
    assert len(replies) == 2
    assert "already been answered" in _text(replies[-1])
    assert len(rig.api.posts_to("DUERIN", thread="100.1")) == to_erin, "the asker got the answer only once"
    assert len(kb.aliases()) == 1
    assert _audit(kb) == audit
    assert _questions(kb)[0].status == "answered"
    _no_markdown_leaks(replies)


def test_same_as_by_someone_who_is_not_a_champion_of_the_topic_changes_nothing(rig, kb, entry_id) -> None:
    routed, routed_ts = _route(rig)
    button = _button(routed, "same_as")
    to_erin = len(rig.api.posts_to("DUERIN", thread="100.1"))

    assert rig.click("UCAROL", button["action_id"], button["value"], "CCHAMPS", routed_ts) == 200
    rig.settle()

    [refused] = rig.api.posts_to("CCHAMPS", thread=routed_ts)
    assert "Only the office champions can verify" in _text(refused)
    assert len(rig.api.posts_to("DUERIN", thread="100.1")) == to_erin
    assert _questions(kb)[0].status == "routed"
    assert kb.aliases() == [] and _audit(kb) == []


# -- suggestions --------------------------------------------------------------------------------------------------
def test_a_similar_verified_answer_is_suggested_with_yes_and_no(rig, kb, entry_id) -> None:
    suggestion, _ = _suggest(rig)
    [question] = _questions(kb)
    assert question.status == "suggested"
    text = _text(suggestion)
    assert "Champions answered a similar question: “Can I bring my dog to the office?”" in text
    assert "Fridays" in text and "Does this answer yours?" in text
    assert VERIFIED_LINE in text
    assert _button(suggestion, "suggestion_yes")["value"] == str(question.id)
    assert _button(suggestion, "suggestion_no")["value"] == str(question.id)
    assert rig.api.posts_to("CCHAMPS") == [], "nobody is bothered before the asker says No"
    _no_markdown_leaks([suggestion])


def test_yes_on_a_suggestion_answers_it_and_learns_the_wording(rig, kb, entry_id) -> None:
    suggestion, suggestion_ts = _suggest(rig)
    yes = _button(suggestion, "suggestion_yes")

    assert rig.click("UERIN", yes["action_id"], yes["value"], "DUERIN", suggestion_ts, "200.1") == 200
    rig.settle()

    [question] = _questions(kb)
    assert question.status == "answered"
    [alias] = kb.aliases()
    assert (alias.entry_id, alias.text, alias.added_by) == (entry_id, SUGGESTED_WORDING, "slack:UERIN")
    assert [action for action, _, _ in _audit(kb)] == ["alias_add"]
    posts = rig.api.posts_to("DUERIN", thread="200.1")
    assert len(posts) == 2 and "glad that answered it" in _text(posts[-1])
    assert rig.api.posts_to("CCHAMPS") == []
    _no_markdown_leaks(posts)


def test_no_on_a_suggestion_routes_it_to_the_champions(rig, kb, entry_id) -> None:
    suggestion, suggestion_ts = _suggest(rig)
    no = _button(suggestion, "suggestion_no")

    assert rig.click("UERIN", no["action_id"], no["value"], "DUERIN", suggestion_ts, "200.1") == 200
    rig.settle()

    [question] = _questions(kb)
    assert question.status == "routed"
    [routed] = rig.api.posts_to("CCHAMPS")
    assert SUGGESTED_WORDING in _text(routed)
    assert _button(routed, "same_as")["value"] == f"{question.id}:{entry_id}"
    told = rig.api.posts_to("DUERIN", thread="200.1")
    assert len(told) == 2 and "Alice" in _text(told[-1])
    assert kb.aliases() == [] and _audit(kb) == []
    _no_markdown_leaks([*told, routed])
