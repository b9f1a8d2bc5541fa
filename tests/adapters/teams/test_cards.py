"""Rendering replies as Teams messages: Adaptive Cards with sources and Action.Submit buttons, within limits."""
from __future__ import annotations

from adapters.teams.cards import (
    CARD_CONTENT_TYPE, MAX_CARD_BYTES, card_size, render_activity, render_card,
)
from adapters.teams.markdown import to_markdown
from bot.replies import Reply, ReplyAction, SourceRef


def answer_reply(**overrides) -> Reply:
    values = dict(
        text="Full-time employees get **25 days** of annual leave. See [the policy](https://hr.example/leave).",
        sources=(SourceRef("Leave policy", "Handbook › Leave policy › Annual leave", "Full-time employees get 25"),
                 SourceRef("Leave FAQ", "FAQ", verified_by="Carol")),
        actions=(ReplyAction("helpful", "7", "Helpful", "primary"), ReplyAction("not_helpful", "7", "Not helpful"),
                 ReplyAction("ask_champion", "7", "Ask a champion", "danger")),
        context="Confidence 82%",
    )
    values.update(overrides)
    return Reply(**values)


def texts(card: dict) -> list[str]:
    out = []

    def walk(elements):
        for element in elements:
            if element.get("type") == "TextBlock":
                out.append(element["text"])
            walk(element.get("items", []))

    walk(card["body"])
    return out


def test_answer_becomes_an_adaptive_card_with_sources_and_actions():
    activity = render_activity(answer_reply())
    assert activity.type == "message"
    attachment = activity.attachments[0]
    assert attachment.content_type == CARD_CONTENT_TYPE
    card = attachment.content
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    body = texts(card)
    assert "Full-time employees get **25 days** of annual leave. See [the policy](https://hr.example/leave)." in body
    assert "Sources" in body
    assert any("Leave policy" in line and "Annual leave" in line for line in body)
    assert any("verified by Carol" in line for line in body)
    assert "Confidence 82%" in body
    assert card["actions"] == [
        {"type": "Action.Submit", "title": "Helpful", "data": {"lorebot_action": "helpful", "value": "7"},
         "style": "positive"},
        {"type": "Action.Submit", "title": "Not helpful", "data": {"lorebot_action": "not_helpful", "value": "7"}},
        {"type": "Action.Submit", "title": "Ask a champion", "data": {"lorebot_action": "ask_champion", "value": "7"},
         "style": "destructive"},
    ]
    assert activity.summary.startswith("Full-time employees get 25 days")


def test_text_only_reply_is_plain_markdown():
    activity = render_activity(Reply(text="**Carol** answered:\nDogs are welcome on Fridays."))
    assert not activity.attachments
    assert activity.text == "**Carol** answered:\nDogs are welcome on Fridays."
    assert activity.text_format == "markdown"


def test_huge_replies_are_trimmed_below_teams_limits():
    huge = answer_reply(text="word " * 20_000, title="T" * 5_000,
                        sources=tuple(SourceRef(f"Doc {i}" * 40, "S" * 400, "snippet " * 500) for i in range(40)))
    card = render_card(huge)
    assert card_size(card) <= MAX_CARD_BYTES
    body = texts(card)
    assert body[1].endswith("…") and len(body[1]) <= 3000
    assert any(line.startswith("and ") and line.endswith(" more") for line in body)
    assert len(card["actions"]) == 3


def test_markdown_conversion_keeps_ordinary_stars_literal():
    assert to_markdown("2 * 3 = 6 and **bold**") == "2 \\* 3 = 6 and **bold**"
    assert to_markdown("<https://x.example>") == "[https://x.example](https://x.example)"


def teams_card(reply: Reply, **reactions) -> dict:
    from adapters.teams.wording import for_teams, phrasebook
    from bot.config import TeamsReactionsConfig

    return render_card(for_teams(reply, phrasebook(TeamsReactionsConfig(**reactions))))


def test_curation_hints_name_the_verify_button_and_the_configured_reaction() -> None:
    from bot import messages

    routed = teams_card(messages.routed_post("Alice", "Can I bring my dog?", "office", None, question_id=3))
    ack = teams_card(messages.champion_answer_passed_on("Alice", 5), verify=["heart"])
    pin_first = teams_card(messages.pin_needs_verified())
    for card in (routed, ack, pin_first):
        assert not any("✅" in text or "📌" in text or "React" in text for text in texts(card))
    assert "Reply in this thread to answer; then press Verify on my reply to your answer (or react 👍 on it) to make " \
           "it verified knowledge. Question 3." in texts(routed)
    assert "Press Verify (or react ❤️ on this card) to make it verified knowledge." in texts(ack)
    assert [a["title"] for a in ack["actions"]] == ["Verify"]
    assert texts(pin_first) == ["Only verified answers can be pinned: press Verify first, then Pin."]


def test_without_a_verify_reaction_only_the_button_is_named() -> None:
    from bot import messages

    ack = teams_card(messages.champion_answer_passed_on("Alice", 5), verify=[])
    assert "Press Verify to make it verified knowledge." in texts(ack)


def test_a_verified_answer_card_carries_a_pin_button() -> None:
    from bot import messages

    card = teams_card(messages.verified_for_champion("office", 12))
    assert card["actions"] == [{"type": "Action.Submit", "title": "Pin", "data": {"lorebot_action": "pin",
                                                                                  "value": "12"}}]
    assert "Champions of office can press Pin to make it the go-to answer." in texts(card)
