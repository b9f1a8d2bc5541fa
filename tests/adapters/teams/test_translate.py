"""What Teams activities mean to Lorebot (pure translation, no server)."""
from __future__ import annotations

from botbuilder.schema import Activity

from adapters.teams.translate import edit_event, emoji_for, message_event, reaction_events
from bot.addresses import Address, MessageRef
from bot.config import TeamsReactionsConfig, parse_config
from bot.events import Action, Ask, Reaction, ThreadReply
from tests.adapters.teams.support import CHAMPIONS, GENERAL, Teams

TEAMS = Teams("http://127.0.0.1:1")


class Places:
    """What the messenger would know from what it sent."""

    def __init__(self, roots: set[tuple[str, str]] = (), threads: dict[tuple[str, str], str] | None = None):
        self.roots, self.threads = set(roots), threads or {}

    def started_thread(self, channel: str, root: str) -> bool:
        return (channel, root) in self.roots

    def thread_of(self, conversation: str, message_id: str) -> str | None:
        return self.threads.get((conversation, message_id))


never = Places()


def activity(data: dict) -> Activity:
    return Activity().deserialize(data)


def test_personal_message_is_a_question_from_the_entra_user():
    data = TEAMS.personal_message("alice", "How many days of leave?")
    event = message_event(activity(data), never)
    assert isinstance(event, Ask)
    assert (event.person.platform, event.person.id, event.person.name) == ("teams", "aad-alice", "Alice")
    assert event.where == Address("teams", "a:1alice-personal") and event.message_id == data["id"]
    assert event.text == "How many days of leave?"
    assert event.private  # one reader: restricted collections follow the person (bot.people.audiences)


def test_channel_mention_is_stripped_and_answered_in_its_thread():
    data = TEAMS.channel_message("erin", "What about <at>Carol</at>&#39;s leave?&nbsp;")
    event = message_event(activity(data), never)
    assert isinstance(event, Ask)
    assert event.text == "What about Carol's leave?"
    assert event.where == Address("teams", GENERAL, data["id"])
    assert not event.private


def test_reply_in_a_thread_the_bot_started_is_a_thread_reply_even_with_a_mention():
    data = TEAMS.channel_message("dave", "Dogs are welcome", channel=CHAMPIONS, root="1700000000001")
    event = message_event(activity(data), Places({(CHAMPIONS, "1700000000001")}))
    assert isinstance(event, ThreadReply)
    assert event.text == "Dogs are welcome"
    assert event.where == Address("teams", CHAMPIONS, "1700000000001") and event.message_id == data["id"]


def test_mention_in_someone_elses_thread_is_a_question_in_that_thread():
    data = TEAMS.channel_message("erin", "And sick leave?", root="1700000000009")
    event = message_event(activity(data), never)
    assert isinstance(event, Ask) and event.where == Address("teams", GENERAL, "1700000000009")


def test_card_submit_is_an_action_and_unknown_actions_are_ignored():
    data = TEAMS.card_action("dave", {"lorebot_action": "verify", "value": "3"}, card_id="17", channel=CHAMPIONS,
                             root="1700000000001")
    event = message_event(activity(data), never)
    assert isinstance(event, Action)
    assert (event.name, event.value, event.where) == ("verify", "3", Address("teams", CHAMPIONS, "1700000000001"))
    forged = TEAMS.card_action("dave", {"lorebot_action": "drop_tables", "value": "3"}, card_id="17")
    assert message_event(activity(forged), never) is None


def test_a_card_in_a_chat_acts_in_the_thread_it_belongs_to_or_starts():
    """A card sent into a Lorebot thread (an answer) acts there; a card that starts one (a question routed to a
    champion's chat) acts in its own thread, so the core can tell where the click came from."""
    data = {"lorebot_action": "same_as", "value": "3:4"}
    chat = "a:1carol-personal"
    places = Places(roots={(chat, "1700000000060")}, threads={(chat, "1700000000061"): "1700000000059"})
    routed = message_event(activity(TEAMS.card_action("carol", data, card_id="1700000000060")), places)
    answer = message_event(activity(TEAMS.card_action("carol", data, card_id="1700000000061")), places)
    other = message_event(activity(TEAMS.card_action("carol", data, card_id="1700000000062")), places)
    assert [event.where.thread for event in (routed, answer, other)] == ["1700000000060", "1700000000059", None]


def test_reactions_map_through_the_configuration():
    reactions = TeamsReactionsConfig()
    assert [emoji_for(kind, reactions) for kind in ("like", "heart", "angry", "sad", "laugh", "surprised")] == [
        "white_check_mark", "white_check_mark", "x", "x", "laughing", "open_mouth"]
    custom = parse_config({"teams_reactions": {"verify": ["heart"], "reject": []}}).teams_reactions
    assert [emoji_for(kind, custom) for kind in ("heart", "like", "angry")] == ["white_check_mark", "+1", "angry"]


def test_reaction_activity_becomes_reaction_events_on_the_bots_message():
    added = activity(TEAMS.reaction("dave", "1700000000005", "like", channel=CHAMPIONS, root="1700000000001"))
    removed = activity(TEAMS.reaction("dave", "1700000000005", "like", added=False, channel=CHAMPIONS,
                                      root="1700000000001"))
    [first] = reaction_events(added, TeamsReactionsConfig(), never)
    [second] = reaction_events(removed, TeamsReactionsConfig(), never)
    assert isinstance(first, Reaction) and first.added and not second.added
    assert first.emoji == "white_check_mark" and first.person.id == "aad-dave"
    assert first.message == MessageRef(Address("teams", CHAMPIONS, "1700000000001"), "1700000000005")
    assert first.event_id != second.event_id


def test_delivery_ids_differ_between_conversations():
    one = TEAMS.personal_message("alice", "hi")
    two = dict(TEAMS.personal_message("erin", "hi"), id=one["id"])
    assert message_event(activity(one), never).event_id != message_event(activity(two), never).event_id


def test_chat_reply_quoting_a_post_the_bot_started_is_a_thread_reply():
    quote = ('<blockquote itemscope="" itemtype="http://schema.skype.com/Reply" itemid="1700000000042">'
             '<strong itemprop="mri" itemid="28:bot">Lorebot</strong><p itemprop="preview">A question for the'
             ' leave champions</p></blockquote><p>Ten days, paid in full.</p>')
    data = TEAMS.personal_message("carol", quote)
    data["attachments"] = [{"contentType": "text/html", "content": quote}]
    places = Places({("a:1carol-personal", "1700000000042")})
    event = message_event(activity(data), places)
    assert isinstance(event, ThreadReply)
    assert event.where == Address("teams", "a:1carol-personal", "1700000000042")
    assert event.text == "Ten days, paid in full."
    # Quoting anything else (an answer in the asker's own chat) is a new question.
    assert isinstance(message_event(activity(data), never), Ask)


def test_reaction_in_a_chat_lands_in_the_thread_the_message_belongs_to():
    data = TEAMS.reaction("alice", "1700000000050", "like")
    places = Places(threads={("a:1alice-personal", "1700000000050"): "1700000000049"})
    [event] = reaction_events(activity(data), TeamsReactionsConfig(), places)
    assert event.message == MessageRef(Address("teams", "a:1alice-personal", "1700000000049"), "1700000000050")


def test_an_edited_message_is_an_edit_and_each_edit_is_its_own_event():
    data = TEAMS.edit("dave", "1700000000070", "<at>Lorebot</at> Fridays only.", channel=CHAMPIONS,
                      root="1700000000069")
    data["entities"] = [{"type": "mention", "text": "<at>Lorebot</at>", "mentioned": data["recipient"]}]
    event = edit_event(activity(data))
    assert (event.message_id, event.text, event.where) == (
        "1700000000070", "Fridays only.", Address("teams", CHAMPIONS, "1700000000069"))
    again = edit_event(activity({**data, "text": "Fridays and Mondays."}))
    assert again.event_id != event.event_id and edit_event(activity(data)).event_id == event.event_id
    undelete = {**data, "channelData": {**data["channelData"], "eventType": "undeleteMessage"}}
    assert edit_event(activity(undelete)) is None
