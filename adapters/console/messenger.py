"""The console's Messenger: replies are written to a text stream and kept, so the REPL can reply in threads,
react to and click on them by their ids ("m1", "m2", ...).

Given the database, every message is a row of ``console_messages`` and its id is the row's key, so ids stay
valid in later sessions; without one (a throwaway run, such as an evaluation) they live in memory."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from sqlalchemy.engine import Engine

from adapters.console import transcript
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

    def __init__(self, stream: TextIO, engine: Engine | None = None) -> None:
        self._stream = stream
        self._engine = engine
        self._count = 0
        self.messages: dict[str, ConsoleMessage] = {}  # this session's, by id

    # -- Messenger ---------------------------------------------------------------------------------------
    def send(self, address: Address, reply: Reply) -> MessageRef:
        message = self._store(address, "Lorebot", reply.text, reply)
        self._write(render_reply(message.id, address, reply))
        return MessageRef(address, message.id)

    def update(self, message: MessageRef, reply: Reply) -> None:
        stored = self.find(message.message_id)
        if stored is not None:
            stored.reply, stored.text = reply, reply.text
            if self._engine is not None:
                transcript.update(self._engine, stored.id, reply.text, reply)
        self._write(render_reply(message.message_id, message.address, reply, edited=True))

    def open_dm(self, person: Person) -> Address:
        return Address(PLATFORM, f"dm-{person.id}")

    def link(self, message: MessageRef) -> str | None:
        return f"console://{message.address.channel}/{message.message_id}"

    def working(self, where: Address) -> None:
        """Nothing: the console answers in the same terminal the question was typed in, where waiting shows."""

    def find_sent(self, address: Address, ref: str) -> MessageRef | None:
        """Among this session's messages only: the transcript does not keep replies' refs."""
        for message in self.messages.values():
            if message.reply is not None and message.reply.ref == ref and message.address == address:
                return MessageRef(address, message.id)
        return None

    # -- the REPL's side ---------------------------------------------------------------------------------
    def post_as(self, address: Address, author: str, text: str, *, echo: bool = True) -> ConsoleMessage:
        """Record what a person typed, giving it the next message id (shown so others can reply or react)."""
        message = self._store(address, author, text, None)
        if echo:
            self._write(render_user_message(message.id, address, author, text))
        return message

    def find(self, message_id: str) -> ConsoleMessage | None:
        """A message of this session or, with a database, of any earlier one."""
        message_id = message_id.strip().lower()
        if message_id in self.messages or self._engine is None:
            return self.messages.get(message_id)
        row = transcript.load(self._engine, message_id)
        if row is None:
            return None
        message = ConsoleMessage(transcript.message_id(row.id), Address(PLATFORM, row.channel, row.thread),
                                 row.author, row.text, transcript.reply_of(row))
        self.messages[message.id] = message
        return message

    def edit(self, message: ConsoleMessage, text: str) -> None:
        """A person rewrote their own message."""
        message.text = text
        if self._engine is not None:
            transcript.update(self._engine, message.id, text, None)

    def _store(self, address: Address, author: str, text: str, reply: Reply | None) -> ConsoleMessage:
        if self._engine is not None:
            number = transcript.insert(self._engine, address, author, text, reply)
        else:
            self._count += 1
            number = self._count
        message = ConsoleMessage(transcript.message_id(number), address, author, text, reply)
        self.messages[message.id] = message
        return message

    def _write(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()
