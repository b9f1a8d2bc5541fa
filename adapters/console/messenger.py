"""The console's Messenger: replies are written to a text stream and kept in memory, so the REPL can reply
in threads, react to and click on them by their ids ("m1", "m2", ...)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from adapters.console.render import render_reply, render_user_message
from bot.addresses import Address, MessageRef, Person
from bot.replies import Reply

PLATFORM = "console"


@dataclass
class ConsoleMessage:
    id: str
    address: Address
    author: str
    text: str
    reply: Reply | None = None  # None for what a person typed

    @property
    def thread_root(self) -> str:
        return self.address.thread or self.id


class ConsoleMessenger:
    platform = PLATFORM

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._count = 0
        self.messages: dict[str, ConsoleMessage] = {}

    # -- Messenger ---------------------------------------------------------------------------------------
    def send(self, address: Address, reply: Reply) -> MessageRef:
        message = self._store(address, "Lorebot", reply.text, reply)
        self._write(render_reply(message.id, address, reply))
        return MessageRef(address, message.id)

    def update(self, message: MessageRef, reply: Reply) -> None:
        stored = self.messages.get(message.message_id)
        if stored is not None:
            stored.reply, stored.text = reply, reply.text
        self._write(render_reply(message.message_id, message.address, reply, edited=True))

    def open_dm(self, person: Person) -> Address:
        return Address(PLATFORM, f"dm-{person.id}")

    def link(self, message: MessageRef) -> str | None:
        return f"console://{message.address.channel}/{message.message_id}"

    # -- the REPL's side ---------------------------------------------------------------------------------
    def post_as(self, address: Address, author: str, text: str, *, echo: bool = True) -> ConsoleMessage:
        """Record what a person typed, giving it the next message id (shown so others can reply or react)."""
        message = self._store(address, author, text, None)
        if echo:
            self._write(render_user_message(message.id, address, author, text))
        return message

    def _store(self, address: Address, author: str, text: str, reply: Reply | None) -> ConsoleMessage:
        self._count += 1
        message = ConsoleMessage(f"m{self._count}", address, author, text, reply)
        self.messages[message.id] = message
        return message

    def _write(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()
