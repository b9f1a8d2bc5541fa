"""The core's one text convention: CommonMark, with what people typed passed through `literal`."""
from __future__ import annotations

from bot import messages
from bot.markdown import link, literal, parse, plain

TYPED = "Hi <!channel> & <@U123>: is *this* [a link](http://x) or my_file?\n- not a list\n1. nor this\n# nor a heading"


def test_literal_text_reads_back_exactly_as_typed() -> None:
    assert plain(literal(TYPED)) == TYPED
    assert [node.type for node in parse(literal(TYPED)).children] == ["paragraph"]


def test_plain_text_drops_the_marks_and_keeps_the_structure() -> None:
    text = "**Bold** and _italic_, see [the policy](https://x.example).\n\n| City | Limit |\n|---|---|\n| London | £60 |"
    assert plain(text) == ("Bold and italic, see the policy (https://x.example).\n\n"
                           "City    Limit\n------  -----\nLondon  £60")


def test_links_survive_awkward_urls() -> None:
    assert plain(link("the thread", "console://dm you/m(1)")) == "the thread (console://dm%20you/m(1))"


def test_messages_quote_what_people_typed_literally() -> None:
    post = messages.routed_post("Bob *the* builder", "Ping <!here> **now**\n- please", "office", "https://x/1")
    assert post.text.startswith("**Bob \\*the\\* builder** asked:\n")
    assert plain(post.text) == "Bob *the* builder asked:\n\n> Ping <!here> **now**\n> - please"
    relayed = messages.champion_answered("Alice", "Use [this](http://evil) & <@U1>")
    assert plain(relayed.text) == "Alice answered:\nUse [this](http://evil) & <@U1>"
    skipped = messages.attachments_only(("my_scan.png",))
    assert "_my\\_scan.png_" in skipped.text and "my_scan.png" in plain(skipped.text)
