"""`lorebot chat`: a terminal conversation with the real core, where you can also play the champion.

Message ids come from the database (``adapters.console.transcript``), so an earlier session's messages can be
replied to and reacted on; without a database they last one session, so the console passes no message id with
a question (the thread id still identifies the conversation). Every event gets a fresh random id.
"""
from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Callable, TextIO, Union

from adapters.console import messages
from adapters.console.line_editing import line_editing, only_keys, without_keys
from adapters.console.messenger import PLATFORM, ConsoleMessage, ConsoleMessenger
from bot.curation import champion_commands
from bot.addresses import Address, MessageRef, Person
from bot.core import Lorebot
from bot.events import Action, Ask, Edit, Reaction, ThreadReply
from bot.messengers import MessengerRouter

EMOJI = {"✅": "white_check_mark", "❌": "x", "📌": "pushpin", "👍": "+1", "👎": "-1", "✔": "white_check_mark"}

CoreFactory = Callable[[ConsoleMessenger], Lorebot]


def run_console(core: Union[Lorebot, CoreFactory], input_stream: TextIO, output_stream: TextIO, *,
                user: str = messages.DEFAULT_USER, history: Path | None = None) -> None:
    """Read lines until /quit or end of input. ``core`` is a Lorebot whose messenger is (or routes to) a
    ConsoleMessenger, or a factory that builds one around the ConsoleMessenger given to it. ``history`` keeps
    the lines typed at a terminal for the next session."""
    if not hasattr(core, "handle"):
        core = core(ConsoleMessenger(output_stream))
    Console(core, output_stream, user=user).run(input_stream, history=history)


class Console:
    def __init__(self, core: Lorebot, output: TextIO, *, user: str = messages.DEFAULT_USER) -> None:
        self.core = core
        self.messenger = _console_messenger(core.messenger)
        self.output = output
        self.first_user = user
        self.person = self._person(user)

    def run(self, lines: TextIO, *, history: Path | None = None) -> None:
        self._say(messages.WELCOME)
        if lines is sys.stdin and lines.isatty():
            with line_editing(history) as editing:
                self._loop(lambda: self._typed(editing))
        else:
            self._loop(lines.readline)
        self._say(messages.BYE)

    def _loop(self, read: Callable[[], str]) -> None:
        while True:
            line = read()
            if not line or not self.handle_line(line.strip()):
                return

    def _typed(self, editing: bool) -> str:
        """One line from the terminal ("" at end of input); with readline, arrows edit and recall lines."""
        prompt = f"{self.person.id}> "
        try:
            return (input(prompt) if editing else self._prompted(prompt)) + "\n"
        except EOFError:
            return ""

    def _prompted(self, prompt: str) -> str:
        self.output.write(prompt)
        self.output.flush()
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    def handle_line(self, line: str) -> bool:
        """Act on one line; False when the person wants to leave."""
        if only_keys(line):
            self._say(messages.ONLY_KEYS)
            return True
        line = without_keys(line)
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
        elif command == "/people":
            self.people()
        elif command == "/waiting":
            self.waiting()
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

    def switch(self, handle: str) -> None:
        if not handle or " " in handle:
            self._say(messages.usage("/as"))
            return
        known = self._known_handles()
        if handle not in known:
            self._say(messages.unknown_handle(handle, known))
            return
        self.person = self._person(handle)
        self._say(messages.now_as(handle, self.core.context.person_name(self.person),
                                  self.core.champion_topics(self.person)))

    def people(self) -> None:
        people = self.core.known_people(PLATFORM)
        self._say(messages.PEOPLE_HEADING)
        if self.first_user not in {p.user_id for p in people}:
            self._say(messages.person_line(self.first_user, self.core.context.person_name(self._person(
                self.first_user)), None, ()))
        for person in people:
            self._say(messages.person_line(person.user_id, person.name, person.team, person.topics))

    def waiting(self) -> None:
        waiting = self.core.waiting(PLATFORM)
        if not waiting:
            self._say(messages.NOTHING_WAITING)
            return
        self._say(messages.WAITING_HEADING)
        for question in waiting:
            self._say(messages.waiting_line(question.post_id, question.text, question.topic, question.asker_name,
                                            question.asked_at))

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
        own = target.author == self.person.id and target.reply is None
        if own:
            self.messenger.edit(target, text)
        self._say(messages.edited(target.id) if own else messages.not_your_message(target.id))
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
        self._say(messages.reacted(parts[1], target.id, added=added))
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
        message = self.messenger.find(message_id)
        if message is None:
            self._say(messages.no_such_message(message_id))
        return message

    def _known_handles(self) -> list[str]:
        return list(dict.fromkeys([*(p.user_id for p in self.core.known_people(PLATFORM)), self.first_user]))

    def _person(self, handle: str) -> Person:
        """The console's default person is nobody in lorebot.toml: they go by a name, not by "you"."""
        named = handle == messages.DEFAULT_USER and not self.core.context.handle(Person(PLATFORM, handle))
        return Person(PLATFORM, handle, name=messages.DEFAULT_NAME if named else None)

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
