"""The whole Slack loop through real HTTP, the real Bolt app, the real core and knowledge base."""
from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urlencode

import sqlalchemy

from adapters.slack import translate
from bot.recovery.passes import recover
from tests.adapters.slack.conftest import CONFIG, TrackingExecutor, serve_rig
from tests.bot.support import CHAMPION_ANSWER, LEAVE_QUESTION, PARAPHRASE, UNKNOWN_QUESTION, Clock


def _texts(posts: list[dict]) -> str:
    return "\n".join(p.get("text", "") + json.dumps(p.get("blocks", "")) for p in posts)


def test_dm_question_is_answered_in_its_thread_with_sources_and_buttons(rig) -> None:
    assert rig.dm("UERIN", LEAVE_QUESTION, "100.1") == 200
    rig.settle()
    posts = rig.api.posts_to("DUERIN", thread="100.1")
    assert len(posts) == 1
    blocks = json.dumps(posts[0]["blocks"])
    assert "25 days" in blocks and "Leave policy" in blocks
    assert all(f"lorebot:{name}:" in blocks for name in ("helpful", "not_helpful", "ask_champion"))


def test_mention_is_answered_once_despite_retries_and_the_twin_message_event(rig) -> None:
    mention = {"type": "app_mention", "channel": "CGENERAL", "user": "UERIN",
               "text": f"<@UBOT> {LEAVE_QUESTION}", "ts": "200.1"}
    twin = {**mention, "type": "message", "channel_type": "channel"}
    assert rig.event(mention, event_id="EvMention") == 200
    for retry in (1, 2, 3):
        assert rig.event(mention, event_id="EvMention", retry=retry) == 200
    assert rig.event(twin, event_id="EvTwin") == 200
    rig.settle()
    assert len(rig.api.posts_to("CGENERAL", thread="200.1")) == 1
    assert len(rig.api.named("chat.postMessage")) == 1


def test_a_dm_delivered_as_mention_and_message_with_retries_is_answered_once(rig) -> None:
    """Both event kinds name the same message (channel + ts), so whichever the worker pool runs first claims it
    and the others stop before searching."""
    dm = {"channel": "DUERIN", "user": "UERIN", "text": f"<@UBOT> {LEAVE_QUESTION}", "ts": "210.1"}
    mention, message = {**dm, "type": "app_mention"}, {**dm, "type": "message", "channel_type": "im"}
    twins = translate.from_mention(mention, "EvA"), translate.from_message(message, "EvB", "UBOT")
    assert {(ask.where.channel, ask.message_id) for ask in twins} == {("DUERIN", "210.1")}
    for retry in (None, 1):
        assert rig.event(mention, event_id="EvMention", retry=retry) == 200
        assert rig.event(message, event_id="EvMessage", retry=retry) == 200
    rig.settle()
    assert len(rig.api.named("chat.postMessage")) == 1


class KilledAfterTheAck(TrackingExecutor):
    """The worker pool of a process killed right after Slack heard 200: nothing handed to it ever runs."""

    def submit(self, fn, *args, **kwargs) -> Future:
        future: Future = Future()
        future.cancel()
        return future


def test_a_question_slack_had_its_ack_for_is_answered_once_after_the_process_died_before_any_work(kb) -> None:
    """Slack never sends an acknowledged event again: by the time it hears 200 the question is stored, so the
    recovery pass of the next process answers it once the dead attempt's lease runs out."""
    clock = Clock()
    rigs = serve_rig(kb, CONFIG, clock=clock, executor=KilledAfterTheAck())
    rig = next(rigs)
    try:
        mention = {"type": "app_mention", "channel": "CGENERAL", "user": "UERIN",
                   "text": f"<@UBOT> {LEAVE_QUESTION}", "ts": "300.1"}
        assert rig.event(mention, event_id="EvKilled") == 200
        assert rig.event({**mention, "type": "message", "channel_type": "channel"}, event_id="EvTwin") == 200
        assert rig.api.named("chat.postMessage") == []
        assert recover(rig.core.context).asked == 0  # within the lease the attempt may still be at work
        clock.advance(seconds=61)
        assert recover(rig.core.context).asked == 1
        clock.advance(minutes=5)
        assert recover(rig.core.context).recovered == 0
        [reply] = rig.api.named("chat.postMessage")
        assert (reply["channel"], reply["thread_ts"]) == ("CGENERAL", "300.1") and "25 days" in _texts([reply])
    finally:
        next(rigs, None)


def test_unknown_question_goes_to_the_topic_champion_then_verified_and_learned(rig) -> None:
    rig.dm("UERIN", UNKNOWN_QUESTION, "300.1")
    rig.settle()
    routed = rig.api.posts_to("CCHAMPS")
    assert len(routed) == 1 and "dog" in _texts(routed).lower()
    told = _texts(rig.api.posts_to("DUERIN", thread="300.1"))
    assert "Alice" in told
    routed_ts = next(ts for (channel, ts), thread in rig.api.threads.items() if channel == "CCHAMPS" and not thread)

    reply_ts = rig.api.user_message("CCHAMPS", routed_ts)
    rig.event({"type": "message", "channel_type": "channel", "channel": "CCHAMPS", "user": "UALICE",
               "text": CHAMPION_ANSWER, "ts": reply_ts, "thread_ts": routed_ts})
    rig.settle()
    assert CHAMPION_ANSWER in _texts(rig.api.posts_to("DUERIN", thread="300.1"))

    rig.reaction("UALICE", "white_check_mark", "CCHAMPS", reply_ts)
    rig.settle()
    assert rig.kb.stats()["entries"] == 1
    assert "Verified by @Alice" in _texts(rig.api.posts_to("DUERIN", thread="300.1"))

    rig.dm("UERIN", PARAPHRASE, "301.1")
    rig.settle()
    learned = rig.api.posts_to("DUERIN", thread="301.1")
    assert len(learned) == 1 and "Fridays" in _texts(learned)
    assert len(rig.api.posts_to("CCHAMPS")) == 3, "the paraphrase was not routed again (routed post, ack, verified)"


def _routed_reply(rig, ts: str) -> str:
    rig.dm("UERIN", UNKNOWN_QUESTION, ts)
    rig.settle()
    routed_ts = next(t for (channel, t), thread in rig.api.threads.items() if channel == "CCHAMPS" and not thread)
    reply_ts = rig.api.user_message("CCHAMPS", routed_ts)
    rig.event({"type": "message", "channel_type": "channel", "channel": "CCHAMPS", "user": "UALICE",
               "text": CHAMPION_ANSWER, "ts": reply_ts, "thread_ts": routed_ts})
    rig.settle()
    return reply_ts


def test_a_non_champions_check_mark_is_only_feedback(rig) -> None:
    reply_ts = _routed_reply(rig, "400.1")
    rig.reaction("UCAROL", "white_check_mark", "CCHAMPS", reply_ts)
    rig.settle()
    assert rig.kb.stats()["entries"] == 0
    with rig.kb.engine.connect() as connection:
        kinds = connection.execute(sqlalchemy.text("select kind from feedback")).scalars().all()
    assert kinds == ["white_check_mark"]
    assert "Verified" not in _texts(rig.api.posts_to("DUERIN", thread="400.1"))


def test_removing_the_check_mark_undoes_the_verification(rig) -> None:
    reply_ts = _routed_reply(rig, "500.1")
    rig.reaction("UALICE", "white_check_mark", "CCHAMPS", reply_ts)
    rig.settle()
    assert rig.kb.stats()["entries"] == 1
    rig.reaction("UALICE", "white_check_mark", "CCHAMPS", reply_ts, added=False)
    rig.settle()
    assert rig.kb.stats()["entries"] == 0
    with rig.kb.engine.connect() as connection:
        actions = connection.execute(sqlalchemy.text("select action from curation_audit order by id")).scalars().all()
    assert actions == ["verify", "unverify"]


def test_not_helpful_button_routes_to_a_champion(rig) -> None:
    rig.dm("UERIN", LEAVE_QUESTION, "600.1")
    rig.settle()
    button = rig.button("DUERIN", "600.1", "not_helpful")
    answer_ts = next(ts for (channel, ts), thread in rig.api.threads.items() if channel == "DUERIN")
    assert rig.click("UERIN", button["action_id"], button["value"], "DUERIN", answer_ts, "600.1") == 200
    rig.settle()
    assert len(rig.api.named("conversations.open")) == 1, "leave has no channel: its champion gets a DM"
    assert rig.api.posts_to("DUCAROL"), "Carol, the leave champion, received the question"


def test_slash_command_is_acked_at_once_while_fifty_slow_questions_are_handled(rig) -> None:
    rig.api.delays["chat.postMessage"] = 1.0
    with ThreadPoolExecutor(max_workers=50) as senders:
        statuses = list(senders.map(lambda n: rig.dm("UERIN", f"{LEAVE_QUESTION} ({n})", f"700.{n}"), range(50)))
    assert statuses == [200] * 50
    status, body, seconds = rig.command("UERIN", LEAVE_QUESTION)
    assert status == 200 and seconds < 3.0
    assert "Looking that up" in body
    rig.api.delays.clear()
    rig.settle()
    assert len(rig.api.named("chat.postMessage")) == 51


def test_a_429_is_retried_and_the_answer_arrives_once(rig) -> None:
    rig.api.rate_limit_once.add("chat.postMessage")
    rig.dm("UERIN", LEAVE_QUESTION, "800.1")
    rig.settle()
    assert [name for name, _ in rig.api.calls if name.startswith("chat.postMessage")] == [
        "chat.postMessage:429", "chat.postMessage"]
    assert len(rig.api.posts_to("DUERIN", thread="800.1")) == 1


def test_app_home_shows_a_champion_what_waits(rig) -> None:
    rig.dm("UERIN", UNKNOWN_QUESTION, "900.1")
    rig.settle()
    rig.event({"type": "app_home_opened", "user": "UALICE", "channel": "DUALICE", "tab": "home"})
    rig.settle()
    views = rig.api.named("views.publish")
    assert len(views) == 1 and views[0]["user_id"] == "UALICE"
    assert "dog" in json.dumps(views[0]["view"]).lower()


def test_a_signed_click_by_someone_else_on_a_private_question_routes_nothing(rig) -> None:
    """Bob's genuine, signed click carries the id of Erin's DM question: her question is not posted to the
    champions, nothing is recorded, and Bob hears only that the button no longer works."""
    rig.dm("UERIN", LEAVE_QUESTION, "700.1")
    rig.settle()
    answer = rig.api.posts_to("DUERIN", thread="700.1")[0]
    button = next(e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"].startswith("lorebot:not_helpful"))

    assert rig.click("UBOB", button["action_id"], button["value"], "DUBOB", "800.2") == 200
    rig.settle()

    assert not rig.api.named("conversations.open") and not rig.api.posts_to("DUCAROL")
    assert LEAVE_QUESTION not in _texts(rig.api.named("chat.postMessage")[1:])
    assert "no longer works" in _texts(rig.api.posts_to("DUBOB"))
    with rig.kb.engine.connect() as connection:
        assert connection.execute(sqlalchemy.text("select count(*) from feedback")).scalar() == 0
        assert connection.execute(sqlalchemy.text("select status from questions")).scalars().all() == ["answered"]


def _edit(rig, user: str, reply_ts: str, text: str) -> int:
    """The ``message_changed`` event Slack sends when ``user`` edits the message ``reply_ts`` in CCHAMPS."""
    routed_ts = rig.api.threads[("CCHAMPS", reply_ts)]
    return rig.event({"type": "message", "subtype": "message_changed", "hidden": True, "channel": "CCHAMPS",
                      "channel_type": "channel", "ts": rig.api.next_ts(), "event_ts": rig.api.next_ts(),
                      "message": {"type": "message", "user": "UALICE", "text": text, "ts": reply_ts,
                                  "thread_ts": routed_ts, "edited": {"user": user, "ts": rig.api.next_ts()}},
                      "previous_message": {"type": "message", "user": "UALICE", "text": CHAMPION_ANSWER,
                                           "ts": reply_ts, "thread_ts": routed_ts}})


def test_an_answer_edited_after_it_was_relayed_is_verified_in_its_new_words(rig) -> None:
    corrected = "Dogs are welcome on Fridays, on the first floor only &amp; on a lead."
    reply_ts = _routed_reply(rig, "900.1")
    assert _edit(rig, "UERIN", reply_ts, "Dogs are never allowed.") == 200  # not hers to edit: ignored
    assert _edit(rig, "UALICE", reply_ts, corrected) == 200
    rig.settle()
    [update] = rig.api.named("chat.update")
    assert update["channel"] == "DUERIN" and "first floor only &amp; on a lead" in _texts([update])

    rig.reaction("UALICE", "white_check_mark", "CCHAMPS", reply_ts)
    rig.settle()
    with rig.kb.engine.connect() as connection:
        verified = connection.execute(sqlalchemy.text("select answer_text from verified_answers")).scalars().all()
    assert verified == ["Dogs are welcome on Fridays, on the first floor only & on a lead."]


def test_an_answers_sources_link_to_where_the_documents_are_published(kb) -> None:
    from contextlib import contextmanager

    from tests.adapters.slack.conftest import CONFIG, serve_rig

    linked = {**CONFIG, "collections": {"handbook": {"base_url": "https://wiki.example.com/handbook/"}}}
    with contextmanager(serve_rig)(kb, linked) as rig:
        rig.dm("UERIN", LEAVE_QUESTION, "700.1")
        rig.settle()
        [answer] = rig.api.posts_to("DUERIN", thread="700.1")
        sources = [b["text"]["text"] for b in answer["blocks"] if b["type"] == "section"
                   and b["text"]["text"].startswith("1. ")]
        assert sources and sources[0].startswith("1. <https://wiki.example.com/handbook/leave|Leave policy › ")


def test_the_admins_digest_counts_an_asker_in_no_team_and_links_the_thread(kb) -> None:
    """Zed is in no [people] entry: his question in #general reaches no manager, but the admin's digest lists it
    under Unassigned with a permalink to its thread."""
    from jobs import JobRunner
    from tests.adapters.slack.conftest import CONFIG, serve_rig

    for rig in serve_rig(kb, {**CONFIG, "admins": ["erin"]}):
        mention = {"type": "app_mention", "channel": "CGENERAL", "user": "UZED",
                   "text": f"<@UBOT> {UNKNOWN_QUESTION}", "ts": "700.1"}
        assert rig.event(mention, event_id="EvZed") == 200
        rig.settle()
        run = JobRunner(rig.core).run("digest")
        assert run.sent == 2
        digests = {p["text"].split("\n")[0]: _texts([p]) for p in rig.api.posts_to("DUERIN")}
        org = next(text for title, text in digests.items() if "Everyone" in title)
        team = next(text for title, text in digests.items() if "ops" in title)
        assert "Unassigned" in org and "https://example.slack.com/archives/CGENERAL/p1" in org
        assert "dog" in org.lower() and "dog" not in team.lower()


def test_a_repeated_question_joins_and_a_champion_reassigns_it_with_the_lorebot_command(rig) -> None:
    from sqlmodel import Session, select

    from bot.tables.questions import Question

    rig.dm("UERIN", UNKNOWN_QUESTION, "700.1")
    rig.settle()
    rig.dm("UERIN", UNKNOWN_QUESTION.lower(), "700.2")
    rig.settle()
    assert len(rig.api.posts_to("CCHAMPS")) == 1, "asked twice, routed once"
    assert "Someone asked this already" in _texts(rig.api.posts_to("DUERIN", thread="700.2"))
    rig.event({"type": "app_home_opened", "user": "UERIN", "channel": "DUERIN", "tab": "home"})
    rig.settle()
    assert "asked before; waiting for a champion" in json.dumps(rig.api.named("views.publish")[-1]["view"])
    with Session(rig.kb.engine) as session:
        first = session.exec(select(Question).order_by(Question.id)).first()

    status, body, _ = rig.command("UALICE", "shuffle everything", channel="DUALICE", name="/lorebot")
    assert status == 200 and "/lorebot reassign ID TOPIC" in body
    status, _, _ = rig.command("UERIN", f"reassign {first.id} leave", channel="DUERIN", name="/lorebot")
    rig.settle()
    assert status == 200 and "couldn't find question" in _texts(rig.api.posts_to("DUERIN"))
    status, _, _ = rig.command("UALICE", f"reassign {first.id} leave", channel="DUALICE", name="/lorebot")
    rig.settle()
    assert status == 200
    assert f"question {first.id} now belongs to leave" in _texts(rig.api.posts_to("DUALICE"))
    assert "dog" in _texts(rig.api.posts_to("DUCAROL")).lower(), "the leave champion got it by DM"
    assert "leave champions" in _texts(rig.api.posts_to("DUERIN", thread="700.1"))

    forged = urlencode({"command": "/lorebot", "text": f"reassign {first.id} office", "user_id": "UALICE",
                        "channel_id": "DUALICE", "team_id": "T1", "trigger_id": "forged"})
    assert rig.post(forged, "application/x-www-form-urlencoded", sign_it=False)[0] in (400, 401, 403)
    rig.settle()
    with Session(rig.kb.engine) as session:
        assert session.get(Question, first.id).topic == "leave"


def test_a_signed_lorebot_command_missing_its_fields_is_refused_quietly(rig) -> None:
    for fields in ({"text": "reassign 1 leave"}, {"text": "merge 1 2", "user_id": "UALICE"},
                   {"text": "editverified 1 x", "user_id": "UALICE", "channel_id": "DUALICE"}):
        body = urlencode({"command": "/lorebot", "team_id": "T1", **fields})
        assert rig.post(body, "application/x-www-form-urlencoded")[0] == 200
    rig.settle()
    assert rig.api.named("chat.postMessage") == []


def test_app_home_shows_an_admin_how_each_source_is_syncing(kb, tmp_path) -> None:
    from bot.source_sync import sync_sources
    from tests.adapters.slack.conftest import CONFIG, serve_rig
    from tests.knowledge.sources.gitrepo import Repo

    repo = Repo(tmp_path / "wiki")
    repo.write("leave.md", "# Leave\n\nEveryone gets 25 days of annual leave.\n")
    repo.commit("first")
    config = {**CONFIG, "admins": ["erin"],
              "sources": {"wiki": {"type": "git", "repo": str(repo.path)},
                          "gone": {"type": "git", "repo": str(tmp_path / "nowhere")}}}
    for rig in serve_rig(kb, config):
        parsed = rig.core.context.config
        opened = {name: options.open(name, home=kb.home, secrets=lambda variable: None)
                  for name, options in parsed.sources.items()}
        sync_sources(kb, parsed, opened)
        rig.event({"type": "app_home_opened", "user": "UERIN", "channel": "DUERIN", "tab": "home"})
        rig.event({"type": "app_home_opened", "user": "UALICE", "channel": "DUALICE", "tab": "home"})
        rig.settle()
        views = {view["user_id"]: json.dumps(view["view"]) for view in rig.api.named("views.publish")}
        assert "wiki: 1 document(s), synced" in views["UERIN"]
        assert "gone: the last sync failed: cannot read the default branch of" in views["UERIN"]
        assert "Sources" not in views["UALICE"] and "wiki" not in views["UALICE"]  # only admins see sources


def test_app_home_shows_a_champion_their_impact_and_others_what_they_saw(kb) -> None:
    """Carol's last 30 days as ``tests.bot.impact_support`` counts them; Erin, no champion, sees no figures."""
    from tests.adapters.slack.conftest import serve_rig
    from tests.bot.impact_support import EXPECTED, seed_impact

    clock = Clock()
    seed_impact(kb.engine, "slack:UCAROL", "Carol", clock.now)
    for rig in serve_rig(kb, CONFIG, clock=clock):
        rig.event({"type": "app_home_opened", "user": "UCAROL", "channel": "DUCAROL", "tab": "home"})
        rig.event({"type": "app_home_opened", "user": "UERIN", "channel": "DUERIN", "tab": "home"})
        rig.settle()
        views = {view["user_id"]: view["view"]["blocks"] for view in rig.api.named("views.publish")}
        texts = [block["text"]["text"] for block in views["UCAROL"] if block["type"] == "section"]
        assert texts[texts.index("*Your impact, last 30 days*") + 1] == EXPECTED
        assert "impact" not in json.dumps(views["UERIN"]).lower() and "answer(s)" not in json.dumps(views["UERIN"])
