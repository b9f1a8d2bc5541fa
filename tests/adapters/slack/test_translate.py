"""What Slack events mean to Lorebot (pure translation, no server)."""
from __future__ import annotations

from adapters.slack.translate import from_message
from bot.addresses import Address
from bot.events import Edit

REPLY = {"type": "message", "user": "UALICE", "text": "Fridays only.", "ts": "12.5", "thread_ts": "12.1"}


def changed(message: dict) -> dict:
    return {"type": "message", "subtype": "message_changed", "hidden": True, "channel": "CCHAMPS", "ts": "13.1",
            "message": message, "previous_message": REPLY}


def test_a_persons_edit_is_an_edit_event():
    edited = {**REPLY, "text": "Fridays &amp; Mondays.", "edited": {"user": "UALICE", "ts": "13.0"}}
    event = from_message(changed(edited), "Ev1", "UBOT")
    assert event == Edit(event_id="Ev1", person=event.person, text="Fridays & Mondays.",
                         where=Address("slack", "CCHAMPS", "12.1"), message_id="12.5")
    assert event.person.id == "UALICE"


def test_changes_that_are_not_a_persons_edit_are_ignored():
    assert from_message(changed({**REPLY, "reply_count": 2}), "Ev2", "UBOT") is None  # a thread gained a reply
    assert from_message(changed({**REPLY, "bot_id": "BBOT", "edited": {"user": "UBOT", "ts": "1"}}), "Ev3",
                        "UBOT") is None
