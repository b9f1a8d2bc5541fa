"""`lorebot chat`: the whole loop through the console REPL, driven with text in and text out."""
from __future__ import annotations

import io

import pytest
from sqlmodel import Session, select

from adapters.console import ConsoleMessenger, run_console
from adapters.console.render import render_reply
from bot.addresses import Address
from bot.core import Lorebot
from bot.replies import Reply, ReplyAction, SourceRef
from bot.tables.curation import Rejection, VerifiedAnswer
from bot.tables.feedback import Feedback
from bot.tables.questions import Question
from tests.bot.support import CHAMPION_ANSWER, LEAVE_QUESTION, PARAPHRASE, UNKNOWN_QUESTION, Clock, make_config

THRESHOLDS = {"answer_threshold": 0.5, "verified_threshold": 0.6}


class Session_:
    """One console session: feed it lines, read what it printed."""

    def __init__(self, kb) -> None:
        self.kb = kb
        self.output = io.StringIO()
        self.messenger = ConsoleMessenger(self.output)
        self.core = Lorebot(config=make_config(**THRESHOLDS), knowledge=kb, messenger=self.messenger,
                            clock=Clock())

    def run(self, *lines: str, user: str = "you") -> str:
        start = self.output.tell()
        run_console(self.core, io.StringIO("\n".join(lines) + "\n"), self.output, user=user)
        return self.output.getvalue()[start:]

    def id_of(self, predicate) -> str:
        return next(m.id for m in self.messenger.messages.values() if predicate(m))


@pytest.fixture
def console(kb) -> Session_:
    return Session_(kb)


def rows(kb, model):
    with Session(kb.engine) as session:
        return session.exec(select(model)).all()


def test_a_question_is_answered_with_sources_and_numbered_buttons(console) -> None:
    out = console.run(LEAVE_QUESTION)
    assert f"[m1] you in DM with you: {LEAVE_QUESTION}" in out
    assert "[m2] Lorebot in DM with you, thread m1:" in out
    assert "25 days" in out and "Sources:" in out and "1. " in out
    assert "[1] Helpful  [2] Not helpful  [3] Ask a champion" in out
    assert out.rstrip().endswith("Bye!")


def test_the_whole_learning_loop(console, kb) -> None:
    out = console.run(UNKNOWN_QUESTION)
    post = console.id_of(lambda m: m.address.channel == "office-champions")
    assert f"[{post}] Lorebot in #office-champions:" in out
    assert "Alice" in out  # the asker is told who has it now

    out = console.run("/as alice", f"/reply {post} {CHAMPION_ANSWER}")
    assert "You are now Alice, champion of office." in out
    assert f"Alice answered:\n  {CHAMPION_ANSWER}" in out  # relayed into the asker's thread
    answer = console.id_of(lambda m: m.reply is None and m.text == CHAMPION_ANSWER)

    out = console.run("/as alice", f"/react {answer} ✅")
    assert "✅ Verified by @Alice" in out
    assert len(rows(kb, VerifiedAnswer)) == 1

    out = console.run(PARAPHRASE)
    assert CHAMPION_ANSWER in out and f"✅ Verified answer to “{UNKNOWN_QUESTION}” · Alice" in out


def test_an_edited_answer_is_verified_in_its_new_words(console, kb) -> None:
    corrected = "Dogs are welcome on Fridays, on the first floor only."
    console.run(UNKNOWN_QUESTION)
    post = console.id_of(lambda m: m.address.channel == "office-champions")
    console.run("/as alice", f"/reply {post} {CHAMPION_ANSWER}")
    answer = console.id_of(lambda m: m.reply is None and m.text == CHAMPION_ANSWER)
    out = console.run("/as bob", f"/edit {answer} Dogs are never allowed.",
                      "/as alice", f"/edit {answer} {corrected}", f"/react {answer} ✅")
    assert f"Alice answered:\n  {corrected}" in out  # the asker's copy follows the edit
    assert "never" not in out.split("You are now Alice")[1]
    assert [v.answer_text for v in rows(kb, VerifiedAnswer)] == [corrected]


def test_a_non_champion_reaction_is_only_feedback(console, kb) -> None:
    console.run(UNKNOWN_QUESTION)
    post = console.id_of(lambda m: m.address.channel == "office-champions")
    console.run("/as alice", f"/reply {post} {CHAMPION_ANSWER}")
    answer = console.id_of(lambda m: m.reply is None and m.text == CHAMPION_ANSWER)
    out = console.run(f"/react {answer} ✅", f"/react {answer} 👍")
    assert "Verified" not in out
    assert rows(kb, VerifiedAnswer) == []
    assert sorted(f.kind for f in rows(kb, Feedback)) == ["+1", "white_check_mark"]


def test_unreact_undoes_and_x_rejects(console, kb) -> None:
    console.run(UNKNOWN_QUESTION)
    post = console.id_of(lambda m: m.address.channel == "office-champions")
    console.run("/as alice", f"/reply {post} {CHAMPION_ANSWER}")
    answer = console.id_of(lambda m: m.reply is None and m.text == CHAMPION_ANSWER)
    console.run("/as alice", f"/react {answer} ✅", f"/unreact {answer} ✅")
    assert [v.status for v in rows(kb, VerifiedAnswer)] == ["removed"]

    console.run(LEAVE_QUESTION)
    bot_answer = console.id_of(lambda m: m.reply is not None and m.reply.actions and "25 days" in m.text)
    out = console.run("/as carol", f"/react {bot_answer} ❌")
    assert "won't offer that source" in out
    assert len(rows(kb, Rejection)) == 1


def test_click_by_number_or_name_routes_to_champions(console, kb) -> None:
    console.run(LEAVE_QUESTION)
    out = console.run("/click 3 m2")
    assert "Carol" in out and "[m3] Lorebot in DM with carol:" in out
    out = console.run("/click ask_champion m2")
    assert "already with" in out
    assert rows(kb, Question)[0].status == "routed"


def test_a_new_chat_session_can_reuse_message_ids(console, kb) -> None:
    console.run(LEAVE_QUESTION, LEAVE_QUESTION)
    assert len(rows(kb, Question)) == 2  # two messages are two questions
    second = Session_(kb)  # a new chat session numbers messages from m1 again
    out = second.run(LEAVE_QUESTION)
    assert "25 days" in out
    assert len(rows(kb, Question)) == 3


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/react m99 ✅", "There's no message m99"),
        ("/reply m1", "Usage: /reply"),
        ("/click 9 m2", "has no button '9'"),
        ("/as", "Usage: /as"),
        ("/dance", "Unknown command /dance"),
        ("/help", "/react <message-id> <emoji>"),
    ],
)
def test_mistakes_get_a_helpful_line(console, line: str, expected: str) -> None:
    out = console.run(LEAVE_QUESTION, line)
    assert expected in out


def test_quit_stops_reading(console, kb) -> None:
    console.run("/quit", LEAVE_QUESTION)
    assert rows(kb, Question) == []


def test_a_factory_gets_the_console_messenger(kb) -> None:
    output = io.StringIO()
    built = []

    def factory(messenger):
        built.append(messenger)
        return Lorebot(config=make_config(**THRESHOLDS), knowledge=kb, messenger=messenger, clock=Clock())

    run_console(factory, io.StringIO(LEAVE_QUESTION + "\n"), output)
    assert isinstance(built[0], ConsoleMessenger)
    assert "25 days" in output.getvalue()


def test_rendering_keeps_links_readable_and_numbers_buttons() -> None:
    reply = Reply(text="See [the policy](https://x.example/a).", context="Confidence 80%",
                  sources=(SourceRef(title="Leave", source="Handbook › Leave", verified_by="Alice"),),
                  actions=(ReplyAction("helpful", "1", "Helpful"),), title="Answer")
    text = render_reply("m7", Address("console", "champions", "m3"), reply)
    assert text.splitlines() == [
        "[m7] Lorebot in #champions, thread m3:",
        "  *Answer*",
        "  See the policy (https://x.example/a).",
        "  (Confidence 80%)",
        "  Sources:",
        "    1. Handbook › Leave ✅ verified by Alice",
        "  Buttons: [1] Helpful   (/click <number> m7)",
    ]


def test_messenger_ids_threads_updates_and_dms() -> None:
    output = io.StringIO()
    messenger = ConsoleMessenger(output)
    from bot.addresses import Person

    dm = messenger.open_dm(Person("console", "alice"))
    first = messenger.send(dm, Reply(text="hello"))
    second = messenger.send(dm.in_thread(first.message_id), Reply(text="in thread"))
    messenger.update(second, Reply(text="edited"))
    assert (first.message_id, second.message_id) == ("m1", "m2")
    assert messenger.messages["m2"].text == "edited" and messenger.messages["m2"].thread_root == "m1"
    assert "[m2] Lorebot in DM with alice, thread m1 (edited):" in output.getvalue()
    assert messenger.link(first) == "console://dm-alice/m1"


def test_rendering_is_plain_text_with_tables_aligned_and_lists_kept() -> None:
    reply = Reply(text="**Meals** cost _this_:\n\n| City | Limit |\n|---|---|\n| London | £60 |\n\n"
                       "You can claim:\n\n- Taxis.\n- Trains.")
    text = render_reply("m8", Address("console", "dm-you", None), reply)
    assert "*" not in text and "_" not in text and "|" not in text
    assert text.splitlines()[1:] == [
        "  Meals cost this:", "  ", "  City    Limit", "  ------  -----", "  London  £60", "  ",
        "  You can claim:", "  ", "  - Taxis.", "  - Trains.",
    ]


def test_a_champion_answers_with_same_as_by_number(kb) -> None:
    console = Session_(kb)
    console.core = Lorebot(config=make_config(answer_threshold=0.99, verified_threshold=0.999,
                                              suggest_threshold=0.99),
                           knowledge=kb, messenger=console.messenger, clock=Clock())
    console.run(UNKNOWN_QUESTION)
    post = console.id_of(lambda m: m.address.channel == "office-champions")
    console.run("/as alice", f"/reply {post} {CHAMPION_ANSWER}")
    answer = console.id_of(lambda m: m.reply is None and m.text == CHAMPION_ANSWER)
    console.run("/as alice", f"/react {answer} ✅")

    out = console.run("are pets ok at work on fridays?", user="bob")
    second = console.id_of(lambda m: m.address.channel == "office-champions" and m.reply is not None
                           and "pets ok" in m.text)
    assert "[1] Same as “Can I bring my dog to the office?”" in out
    out = console.run("/as alice", f"/click 1 {second}")
    assert CHAMPION_ANSWER in out and f"✅ Verified answer to “{UNKNOWN_QUESTION}” · Alice" in out
    assert "Done: I've sent Bob the verified answer" in out
    assert [a.text for a in kb.aliases()] == ["are pets ok at work on fridays?"]


def test_sources_are_shown_with_their_links(kb) -> None:
    from bot.config import parse_config
    from tests.bot.support import RAW_CONFIG

    config = parse_config({**RAW_CONFIG, "answers": THRESHOLDS,
                           "collections": {"handbook": {"base_url": "https://wiki.example.com/handbook"}}})
    output = io.StringIO()
    core = Lorebot(config=config, knowledge=kb, messenger=ConsoleMessenger(output), clock=Clock())
    run_console(core, io.StringIO(LEAVE_QUESTION + "\n"), output, user="you")
    out = output.getvalue()
    assert "25 days" in out
    assert "    1. Leave policy › Annual leave\n       https://wiki.example.com/handbook/leave\n" in out


def test_a_champion_reassigns_merges_and_edits_from_the_console(console, kb) -> None:
    console.run(UNKNOWN_QUESTION)
    console.run("Is it fine to take my puppy to work with me?", user="erin")
    first, second = (q.id for q in rows(kb, Question))
    out = console.run(f"/merge {second} {first}", f"/reassign {first} security", user="alice")
    assert f"Done: question {second} joined question {first}." in out
    assert f"Done: question {first} now belongs to security, and asked the security champions (Bob)." in out
    post = console.id_of(lambda m: m.address.channel == "dm-bob" and m.reply is not None)
    console.run(f"/reply {post} {CHAMPION_ANSWER}", user="bob")
    answer = console.id_of(lambda m: m.text == CHAMPION_ANSWER and m.reply is None)
    console.run(f"/react {answer} ✅", user="bob")
    assert [q.status for q in rows(kb, Question)] == ["verified", "verified"]
    out = console.run(f"/editverified {first} Only on Fridays.", f"/editverified {first}", user="bob")
    assert f"the verified answer to question {first} now reads as you wrote it" in out
    assert "editverified ID NEW ANSWER" in out
    assert rows(kb, VerifiedAnswer)[0].answer_text == "Only on Fridays."
    assert "couldn't find question" in console.run(f"/reassign {first} leave", user="you")
