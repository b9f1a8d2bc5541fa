"""The messenger router sends each reply through the messenger of its platform."""
from __future__ import annotations

import io

import pytest

from adapters.console import ConsoleMessenger
from bot.addresses import Address, Person
from bot.errors import LorebotError
from bot.messengers import MessengerRouter
from bot.ports import Messenger
from bot.replies import Reply


class Elsewhere(ConsoleMessenger):
    platform = "teams"


def test_router_picks_the_messenger_by_platform() -> None:
    console, teams = ConsoleMessenger(io.StringIO()), Elsewhere(io.StringIO())
    router = MessengerRouter({"console": console, "teams": teams})
    assert isinstance(router, Messenger)
    ref = router.send(Address("teams", "19:x"), Reply(text="hi"))
    assert ref.message_id in teams.messages and not console.messages
    router.update(ref, Reply(text="hello"))
    assert teams.messages[ref.message_id].text == "hello"
    assert router.open_dm(Person("console", "alice")) == Address("console", "dm-alice")
    assert router.link(ref) == f"console://19:x/{ref.message_id}"


def test_router_names_a_missing_platform() -> None:
    router = MessengerRouter({"console": ConsoleMessenger(io.StringIO())})
    with pytest.raises(LorebotError, match="slack"):
        router.send(Address("slack", "C1"), Reply(text="hi"))
