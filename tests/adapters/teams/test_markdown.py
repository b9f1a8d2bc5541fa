"""The core's Markdown as the subset Teams shows: bold, italic, links and lists; tables as lines."""
from __future__ import annotations

from adapters.teams.cards import render_activity, render_card
from adapters.teams.markdown import to_markdown
from bot import messages
from bot.replies import Reply, SourceRef

ANSWER = """## Meals

Limits depend on the **city**, see [the policy](<https://hr.example/meals policy>):

| City | Daily meal limit |
|---|---|
| London | £60 |

You can claim these costs:

- Taxis after 9pm.
- _Train_ tickets."""


def test_headings_become_bold_and_tables_become_lines_under_their_header() -> None:
    text = to_markdown(ANSWER)
    assert text.startswith("**Meals**\n\nLimits depend on the **city**, see "
                           "[the policy](https://hr.example/meals%20policy):")
    assert "- **City**: London · **Daily meal limit**: £60" in text
    assert "|" not in text
    assert "You can claim these costs:\n\n- Taxis after 9pm.\n- _Train_ tickets." in text


def test_what_people_typed_is_escaped_so_teams_shows_it_as_typed() -> None:
    post = messages.routed_post("Eve_Smith", "Is *this* [a link](http://evil)?\n- no", "it", None)
    body = [block["text"] for block in render_card(post)["body"]]
    assert body[1] == "**Eve\\_Smith** asked:\n\n> Is \\*this\\* \\[a link\\](http://evil)?\n> \\- no"


def test_plain_replies_and_sources_are_markdown_too() -> None:
    relayed = render_activity(messages.champion_answered("Carol", "Dogs *are* welcome"))
    assert relayed.text == "**Carol** answered:\nDogs \\*are\\* welcome"
    card = render_card(Reply(text="x", sources=(SourceRef("Leave_policy", "Leave_policy", "**Full** time"),)))
    lines = [item["text"] for item in card["body"][1]["items"]]
    assert lines[1:] == ["**Leave\\_policy**", "**Full** time"]
