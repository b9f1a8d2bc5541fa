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
        self.messenger = ConsoleMessenger(self.output, kb.engine)
        self.clock = Clock()
        self.core = Lorebot(config=make_config(**THRESHOLDS), knowledge=kb, messenger=self.messenger,
                            clock=self.clock)

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
    assert "Thanks! I've passed your answer on to Guest." in out
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
    assert f"Only the author of {answer} can edit it" in out and f"You edited {answer}." in out
    assert "never allowed" not in out.split("You are now Alice")[1]
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
    out = console.run("/as alice", f"/react {answer} ✅", f"/unreact {answer} ✅")
    assert [v.status for v in rows(kb, VerifiedAnswer)] == ["removed"]
    assert f"You took your ✅ off {answer}." in out and "Undone: that answer is no longer verified" in out

    console.run(LEAVE_QUESTION)
    bot_answer = console.id_of(lambda m: m.reply is not None and m.reply.actions and "25 days" in m.text)
    out = console.run("/as carol", f"/react {bot_answer} ❌")
    # told where Carol acted (not in the asker's private conversation), naming the source
    assert "Lorebot in DM with carol:\n  Got it: I won't offer “Leave policy” for this question again." in out
    assert len(rows(kb, Rejection)) == 1
    out = console.run("/as carol", f"/unreact {bot_answer} ❌")
    assert "Undone: I may offer “Leave policy” for this question again." in out
    assert rows(kb, Rejection) == []


def test_reactions_that_curate_nothing_still_say_what_happened(console, kb) -> None:
    console.run(UNKNOWN_QUESTION)
    post = console.id_of(lambda m: m.address.channel == "office-champions")
    out = console.run("/as alice", f"/react {post} ❌")  # a champion's x on the routed post itself
    assert f"You reacted ❌ to {post}." in out
    assert "put it on a champion's reply or on my answer with sources" in out

    console.run(LEAVE_QUESTION)
    bot_answer = console.id_of(lambda m: m.reply is not None and m.reply.actions and "25 days" in m.text)
    out = console.run("/as bob", f"/react {bot_answer} ❌")  # not a leave champion: only feedback
    assert f"You reacted ❌ to {bot_answer}." in out and "won't offer" not in out
    assert rows(kb, Rejection) == []


def test_click_by_number_or_name_routes_to_champions(console, kb) -> None:
    console.run(LEAVE_QUESTION)
    out = console.run("/click 3 m2")
    assert "Carol" in out and "[m3] Lorebot in DM with carol:" in out
    out = console.run("/click ask_champion m2")
    assert "already with" in out
    assert rows(kb, Question)[0].status == "routed"


def test_message_ids_outlive_the_session_so_earlier_questions_can_be_answered(console, kb) -> None:
    console.run(UNKNOWN_QUESTION)
    post = console.id_of(lambda m: m.address.channel == "office-champions")
    last = max(int(m.id[1:]) for m in console.messenger.messages.values())

    later = Session_(kb)  # a new `lorebot chat` on the same home
    out = later.run("/as alice", f"/reply {post} {CHAMPION_ANSWER}")
    assert f"Alice answered:\n  {CHAMPION_ANSWER}" in out  # relayed into the first session's asker thread
    assert "passed your answer on to Guest" in out
    assert rows(kb, Question)[0].status == "champion_answered"
    assert min(int(m.id[1:]) for m in later.messenger.messages.values() if m.id != post) > last  # none reused

    answer = later.id_of(lambda m: m.reply is None and m.text == CHAMPION_ANSWER)
    out = Session_(kb).run("/as alice", f"/react {answer} ✅")
    assert "✅ Verified by @Alice" in out and len(rows(kb, VerifiedAnswer)) == 1


def test_a_new_session_asks_the_same_question_afresh(console, kb) -> None:
    console.run(LEAVE_QUESTION, LEAVE_QUESTION)
    assert len(rows(kb, Question)) == 2  # two messages are two questions
    out = Session_(kb).run(LEAVE_QUESTION)
    assert "25 days" in out
    assert len(rows(kb, Question)) == 3


@pytest.mark.parametrize("keys", ["\x1b[A", "\x1b[A\x1b[B\x1b[D", "^[[A", "\x1bOA"])
def test_a_line_of_only_arrow_keys_is_not_a_question(console, kb, keys: str) -> None:
    out = console.run(keys)
    assert "only keys the terminal sent" in out
    assert rows(kb, Question) == []


def test_escape_sequences_are_taken_out_of_a_question(console, kb) -> None:
    console.run("\x1b[A" + LEAVE_QUESTION)
    assert [q.text for q in rows(kb, Question)] == [LEAVE_QUESTION]


def test_as_accepts_only_known_handles(console) -> None:
    out = console.run("/as zed", LEAVE_QUESTION)
    assert "I don't know anyone called 'zed'. Known handles: alice, bob, carol, erin, you." in out
    assert "[m1] you in DM with you" in out  # still the same person
    out = console.run("/as carol", "/as you")
    assert "You are now Carol, champion of leave, office." in out
    assert "You are yourself again (Guest)." in out and "You are now you" not in out


def test_people_lists_handles_names_teams_and_topics(console) -> None:
    console.run("hello there", user="dave")  # met in the console, not in lorebot.toml
    out = console.run("/people")
    lines = out.splitlines()
    assert "People I know (handle, name, team, topics they champion); /as <handle> to play one:" in lines
    assert "  alice        Alice · team ops, champion of office" in lines
    assert "  carol        Carol · team ops, champion of leave, office" in lines
    assert "  erin         Erin" in lines
    assert "  you          Guest" in lines
    assert "  dave         dave" in lines


def test_waiting_lists_routed_questions_oldest_first_with_the_id_to_answer(console) -> None:
    assert "No questions are waiting for a champion." in console.run("/waiting")
    console.run(UNKNOWN_QUESTION)
    console.clock.advance(minutes=5)
    console.run("Is there bike parking at the office?")
    office = console.id_of(lambda m: m.address.channel == "office-champions")
    out = console.run("/waiting")
    lines = [line for line in out.splitlines() if line.startswith("  [")]
    assert lines[0].startswith(f"  [{office}] {UNKNOWN_QUESTION}  (office, asked by Guest on 2026-03-02 09:00)")
    assert len(lines) == 2 and "bike parking" in lines[1] and "(office, asked by Guest on 2026-03-02 09:05)" in lines[1]
    console.run("/as alice", f"/reply {office} {CHAMPION_ANSWER}")
    out = console.run("/waiting")
    assert UNKNOWN_QUESTION not in out and "bike parking" in out


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


def test_line_editing_keeps_history_between_sessions(tmp_path) -> None:
    import readline

    from adapters.console.line_editing import line_editing

    history = tmp_path / "home" / "console_history"
    readline.clear_history()
    with line_editing(history) as editing:
        assert editing
        readline.add_history("How many days of leave do I get?")
    readline.clear_history()
    with line_editing(history):
        assert readline.get_history_item(readline.get_current_history_length()) == "How many days of leave do I get?"


def test_a_champion_pins_a_verified_answer_with_the_pin_button(console, kb) -> None:
    console.run(UNKNOWN_QUESTION)
    post = console.id_of(lambda m: m.address.channel == "office-champions")
    console.run("/as alice", f"/reply {post} {CHAMPION_ANSWER}")
    ack = console.id_of(lambda m: m.reply is not None and m.reply.actions and m.reply.actions[0].name == "verify")
    out = console.run("/as alice", f"/click verify {ack}")
    assert "✅ Verified. I'll give this answer whenever anyone asks it." in out  # where Alice acted
    done = console.id_of(lambda m: m.reply is not None and m.text.startswith("✅ Verified."))
    assert console.messenger.find(done).address.channel == "office-champions"

    out = console.run("/as bob", f"/click pin {done}")
    assert "Only the office champions can pin answers." in out
    assert not rows(kb, VerifiedAnswer)[0].pinned
    out = console.run("/as alice", f"/click pin {done}", f"/click pin {done}")
    assert "📌 Pinned as the go-to answer for office." in out and "already the go-to answer" in out
    assert rows(kb, VerifiedAnswer)[0].pinned


def test_stats_shows_a_champion_their_own_impact(console, kb) -> None:
    """Alice's last 30 days as ``tests.bot.impact_support`` counts them; the guest is no champion."""
    from tests.bot.impact_support import EXPECTED, seed_impact

    assert "No answers, verifications or reuses of your answers in the last 30 days yet." in console.run(
        "/as alice", "/stats")
    seed_impact(kb.engine, "console:alice", "Alice", console.clock.now)
    out = console.run("/as alice", "/stats")
    assert "Your impact, last 30 days" in out and EXPECTED in out
    out = console.run("/stats")
    assert "answer(s)" not in out and "shows a champion how their answers helped" in out
    assert "/stats" in console.run("/help")
