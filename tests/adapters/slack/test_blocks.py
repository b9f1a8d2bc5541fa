"""Block Kit stays inside Slack's limits whatever the documents hold."""
from __future__ import annotations

from adapters.slack.blocks import MAX_BLOCKS, MAX_SECTION, fallback_text, render
from bot.replies import Reply, ReplyAction, SourceRef


def test_huge_replies_fit_slacks_limits() -> None:
    reply = Reply(
        text="word " * 20_000,
        title="T" * 500,
        sources=tuple(SourceRef(title=f"Doc {n}", source="S" * 4000, snippet="x" * 5000) for n in range(40)),
        actions=tuple(ReplyAction(name="helpful", value=str(n) * 3000, label="L" * 200) for n in range(30)),
        context="c" * 5000,
    )
    blocks = render(reply)
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            for button in block["elements"]:
                assert len(button["text"]["text"]) <= 75 and len(button["value"]) <= 2000
                assert len(button["action_id"]) <= 255
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
    assert any(b["type"] == "actions" for b in blocks), "buttons survive trimming"
    assert len(fallback_text(reply)) <= 3000


def test_a_normal_answer_renders_text_sources_and_buttons() -> None:
    reply = Reply(text="You get **25 days**.", sources=(SourceRef(title="Leave", source="Leave › Annual leave",
                                                                  verified_by="Alice"),),
                  actions=(ReplyAction(name="helpful", value="7", label="Helpful", style="primary"),))
    blocks = render(reply)
    assert blocks[0] == {"type": "section", "text": {"type": "mrkdwn", "text": "You get *25 days*."}}
    assert "✅ verified by Alice" in blocks[2]["text"]["text"]
    assert blocks[-1]["elements"][0]["action_id"] == "lorebot:helpful:7"
    assert blocks[-1]["elements"][0]["style"] == "primary"
