"""The core's Markdown as Slack mrkdwn: Slack's own marks, never a literal `**`, never an unescaped `<`."""
from __future__ import annotations

from adapters.slack.blocks import fallback_text, render
from adapters.slack.mrkdwn import to_mrkdwn
from adapters.slack.translate import as_typed
from bot import messages
from bot.replies import Reply, SourceRef

ANSWER = """## Meals

Limits depend on the **city** and _time_, see [the policy](https://hr.example/meals?a=1&b=2):

| City | Daily meal limit |
|---|---|
| London | £60 |

You can claim these costs:

- Taxis after 9pm.
- **Train** tickets."""


def test_marks_become_slack_marks() -> None:
    text = to_mrkdwn(ANSWER)
    assert "**" not in text
    assert text.startswith("*Meals*\n\nLimits depend on the *city* and _time_, see "
                           "<https://hr.example/meals?a=1&amp;b=2|the policy>:")
    assert "You can claim these costs:\n\n• Taxis after 9pm.\n• *Train* tickets." in text


def test_a_table_keeps_its_header_in_a_preformatted_block() -> None:
    assert "```\nCity    Daily meal limit\n------  ----------------\nLondon  £60\n```" in to_mrkdwn(ANSWER)


def test_what_people_typed_never_pings_links_or_formats() -> None:
    post = messages.routed_post("Eve <@U999>", "Hey <!channel> & <http://evil.example|click> **now**", "it", None)
    blocks = render(post)
    text = blocks[1]["text"]["text"]
    assert text == ("*Eve &lt;@U999&gt;* asked:\n\n"
                    "> Hey &lt;!channel&gt; &amp; &lt;http://evil.example|click&gt; **now**")
    assert "<!channel>" not in fallback_text(post) and "&lt;!channel&gt;" in fallback_text(post)


def test_sources_and_context_are_escaped_and_rendered() -> None:
    reply = Reply(text="x", context="Read [the FAQ](https://x.example) & more",
                  sources=(SourceRef("R&D", "R&D <team>", snippet="**Bold** | table", verified_by="A<b>"),))
    blocks = render(reply)
    assert blocks[2]["text"]["text"] == "1. *R&amp;D &lt;team&gt;*  ✅ verified by A&lt;b&gt;\n>Bold | table"
    assert blocks[-1]["elements"][0]["text"] == "Read <https://x.example|the FAQ> &amp; more"


def test_slack_wire_format_becomes_what_the_person_typed() -> None:
    typed = as_typed("R&amp;D &lt;3 <https://x.example|docs> <https://y.example> <@U1|bob> <!here> <#C1|general>")
    assert typed == "R&D <3 docs (https://x.example) https://y.example @bob @here #general"
