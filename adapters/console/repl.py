"""`lorebot chat`: a terminal conversation with the real core, where you can also play the champion.

Message ids are local to one chat session, so the console passes no message id with a question (the thread id
still identifies the conversation); every event gets a fresh random id.
"""
from __future__ import annotations

import uuid
from typing import Callable, TextIO, Union

from adapters.console import messages
from adapters.console.messenger import PLATFORM, ConsoleMessage, ConsoleMessenger
from bot import champion_commands
from bot.addresses import Address, MessageRef, Person
from bot.core import Lorebot
from bot.events import Action, Ask, Edit, Reaction, ThreadReply
from bot.messengers import MessengerRouter

EMOJI = {"✅": "white_check_mark", "❌": "x", "📌": "pushpin", "👍": "+1", "👎": "-1", "✔": "white_check_mark"}

CoreFactory = Callable[[ConsoleMessenger], Lorebot]


def run_console(core: Union[Lorebot, CoreFactory], input_stream: TextIO, output_stream: TextIO, *,
                user: str = "you") -> None:
    """Read lines until /quit or end of input. ``core`` is a Lorebot whose messenger is (or routes to) a
    ConsoleMessenger, or a factory that builds one around the ConsoleMessenger given to it."""
    if not hasattr(core, "handle"):
        core = core(ConsoleMessenger(output_stream))
    Console(core, output_stream, user=user).run(input_stream)


class Console:
    def __init__(self, core: Lorebot, output: TextIO, *, user: str = "you") -> None:
        self.core = core
        self.messenger = _console_messenger(core.messenger)
        self.output = output
        self.person = Person(PLATFORM, user)

    def run(self, lines: TextIO) -> None:
        interactive = lines.isatty()
        self._say(messages.WELCOME)
        while True:
            if interactive:
                self.output.write(f"{self.person.id}> ")
                self.output.flush()
            line = lines.readline()
            if not line:
                break
            if not self.handle_line(line.strip()):
                break
        self._say(messages.BYE)

    def handle_line(self, line: str) -> bool:
        """Act on one line; False when the person wants to leave."""
        if not line:
            return True
        if not line.startswith("/"):
            self.ask(line)
            return True
        command, _, rest = line.partition(" ")
        command = command.lower()
        if command in ("/quit", "/exit"):
            return False
        if command == "/help":
            self._say(messages.HELP)
        elif command == "/as":
            self.switch(rest.strip())
        elif command == "/reply":
            self.reply(rest)
        elif command in ("/react", "/unreact"):
            self.react(command, rest, added=command == "/react")
        elif command == "/click":
            self.click(rest)
        elif command == "/edit":
            self.edit(rest)
        elif champion_commands.parse(line) is not None:
            self.steer(line)
        else:
            self._say(messages.usage(command))
        return True

    # -- commands ----------------------------------------------------------------------------------------
    def ask(self, text: str) -> None:
        conversation = Address(PLATFORM, f"dm-{self.person.id}")
        message = self.messenger.post_as(conversation, self.person.id, text)
        self.core.handle(Ask(event_id=_event_id(), person=self.person, text=text,
                             where=conversation.in_thread(message.id), private=True))

    def switch(self, name: str) -> None:
        if not name or " " in name:
            self._say(messages.usage("/as"))
            return
        self.person = Person(PLATFORM, name)
        self._say(messages.now_as(self.core.context.person_name(self.person), self.core.champion_topics(self.person)))

    def reply(self, rest: str) -> None:
        target, text = self._message_and_text("/reply", rest)
        if target is None:
            return
        where = target.address.in_thread(target.thread_root)
        posted = self.messenger.post_as(where, self.person.id, text)
        self.core.handle(ThreadReply(event_id=_event_id(), person=self.person, text=text, where=where,
                                     message_id=posted.id))

    def edit(self, rest: str) -> None:
        """Rewrite a message; as on a chat platform, only its author's words change."""
        target, text = self._message_and_text("/edit", rest)
        if target is None:
            return
        if target.author == self.person.id and target.reply is None:
            target.text = text
        self.core.handle(Edit(event_id=_event_id(), person=self.person, text=text, where=target.address,
                              message_id=target.id))

    def react(self, command: str, rest: str, *, added: bool) -> None:
        parts = rest.split()
        if len(parts) != 2:
            self._say(messages.usage(command))
            return
        target = self._message(parts[0])
        if target is None:
            return
        self.core.handle(Reaction(event_id=_event_id(), person=self.person, emoji=_emoji_name(parts[1]),
                                  added=added, message=MessageRef(target.address, target.id)))

    def click(self, rest: str) -> None:
        parts = rest.split()
        if len(parts) != 2:
            self._say(messages.usage("/click"))
            return
        button, message_id = parts
        target = self._message(message_id)
        if target is None:
            return
        actions = target.reply.actions if target.reply else ()
        wanted = button.lower().replace("-", "_")
        chosen = next((a for number, a in enumerate(actions, 1)
                       if wanted in (str(number), a.name, a.label.lower().replace(" ", "_"))), None)
        if chosen is None:
            self._say(messages.no_such_button(button, message_id))
            return
        self.core.handle(Action(event_id=_event_id(), person=self.person, name=chosen.name, value=chosen.value,
                                where=target.address.in_thread(target.thread_root)))

    def steer(self, line: str) -> None:
        """A champion's command (reassign, merge, editverified), answered in this person's conversation."""
        name, value = champion_commands.parse(line)
        self.core.handle(Action(event_id=_event_id(), person=self.person, name=name, value=value,
                                where=Address(PLATFORM, f"dm-{self.person.id}")))

    # -- helpers -----------------------------------------------------------------------------------------
    def _message_and_text(self, command: str, rest: str) -> tuple[ConsoleMessage | None, str]:
        """``<message-id> <text>``: the message (None after saying what went wrong) and the text."""
        message_id, _, text = rest.strip().partition(" ")
        if not message_id or not text.strip():
            self._say(messages.usage(command))
            return None, ""
        return self._message(message_id), text.strip()

    def _message(self, message_id: str) -> ConsoleMessage | None:
        message = self.messenger.messages.get(message_id)
        if message is None:
            self._say(messages.no_such_message(message_id))
        return message

    def _say(self, text: str) -> None:
        self.output.write(text + "\n")
        self.output.flush()


def _emoji_name(emoji: str) -> str:
    emoji = emoji.replace("\ufe0f", "").strip(":")
    return EMOJI.get(emoji, emoji)


def _event_id() -> str:
    return f"console-{uuid.uuid4().hex}"


def _console_messenger(messenger) -> ConsoleMessenger:
    if isinstance(messenger, ConsoleMessenger):
        return messenger
    if isinstance(messenger, MessengerRouter):
        found = messenger.for_platform(PLATFORM)
        if isinstance(found, ConsoleMessenger):
            return found
    raise TypeError("the console needs a core whose messenger is a ConsoleMessenger")
