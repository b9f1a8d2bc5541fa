"""Shared test material for the core and the console: a tiny handbook, a configuration, a movable clock and
a small driver that speaks to the core the way an adapter does."""
from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlmodel import Session, select

from adapters.console import ConsoleMessenger
from adapters.console.messenger import ConsoleMessage
from bot.addresses import Address, MessageRef, Person
from bot.config import LorebotConfig, parse_config
from bot.core import Lorebot
from bot.events import Action, Ask, Edit, Reaction, ThreadReply
from bot.tables.curation import CurationAudit
from bot.tables.questions import Question

HANDBOOK = {
    "leave.md": """# Leave policy

## Annual leave

Full-time employees get 25 days of annual leave a year, plus bank holidays. Book leave in the HR portal at
least two weeks ahead. Up to five unused days carry over to the next year.

## Sick leave

If you are ill, tell your manager before 10am. You get full pay for up to ten sick days a year.
""",
    "expenses.md": """# Expenses

## Claiming expenses

Submit your receipts in the expenses app within 30 days. Train travel is standard class. Approved claims are
paid with the next monthly salary.
""",
    "security.md": """# Security

## Passwords

Use the company password manager. Turn on two-factor authentication for every work account. Forward phishing
emails to the security team and then delete them.
""",
}

LEAVE_QUESTION = "How many days of annual leave do full-time employees get?"
UNKNOWN_QUESTION = "Can I bring my dog to the office?"
PARAPHRASE = "Am I allowed to bring my dog into the office?"
CHAMPION_ANSWER = "Yes: well-behaved dogs are welcome on Fridays, on the ground floor only."

RAW_CONFIG = {
    "timezone": "Europe/London",
    "people": {
        "alice": {"name": "Alice", "team": "ops", "ids": {"slack": "UALICE"}},
        "bob": {"name": "Bob", "team": "ops"},
        "carol": {"name": "Carol", "team": "ops"},
        "erin": {"name": "Erin"},
    },
    "teams": {"ops": {"manager": "erin"}},
    "topics": {
        "leave": {"description": "Annual leave, holidays, sick leave and time off",
                  "keywords": ["leave", "holiday", "sick"], "champions": ["carol"]},
        "office": {"description": "Office life: desks, the kitchen, pets, parking and visitors",
                   "keywords": ["office", "dog", "pet", "parking", "desk"], "champions": ["alice"],
                   "backup": "carol", "channel": {"console": "office-champions"}},
        "security": {"description": "Passwords, phishing, device encryption and security incidents",
                     "keywords": ["password", "phishing", "security"], "champions": ["bob"]},
    },
}


def make_config(**answers) -> LorebotConfig:
    raw = dict(RAW_CONFIG)
    if answers:
        raw["answers"] = answers
    return parse_config(raw)


def write_handbook(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in HANDBOOK.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Chat:
    """Speaks to the core as an adapter would: every event gets a fresh id, every message a fresh id."""

    core: Lorebot
    messenger: ConsoleMessenger
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def person(self, handle: str) -> Person:
        return Person("console", handle)

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.ids)}"

    def ask(self, who: str, text: str, *, channel: str | None = None, message_id: str | None = None,
            event_id: str | None = None, attachments: tuple[str, ...] = ()) -> Ask:
        message_id = message_id or self.next_id("u")
        event = Ask(event_id=event_id or self.next_id("ev"), person=self.person(who), text=text,
                    where=Address("console", channel or f"dm-{who}", thread=message_id), message_id=message_id,
                    attachments=attachments, private=channel is None)
        self.core.handle(event)
        return event

    def reply(self, who: str, root: ConsoleMessage, text: str) -> ThreadReply:
        where = root.address.in_thread(root.thread_root)
        posted = self.messenger.post_as(where, who, text, echo=False)
        event = ThreadReply(event_id=self.next_id("ev"), person=self.person(who), text=text, where=where,
                            message_id=posted.id)
        self.core.handle(event)
        return event

    def react(self, who: str, message: ConsoleMessage, emoji: str, *, added: bool = True) -> None:
        self.core.handle(Reaction(event_id=self.next_id("ev"), person=self.person(who), emoji=emoji, added=added,
                                  message=MessageRef(message.address, message.id)))

    def click(self, who: str, message: ConsoleMessage, name: str) -> None:
        action = next(a for a in message.reply.actions if a.name == name)
        self.core.handle(Action(event_id=self.next_id("ev"), person=self.person(who), name=name,
                                value=action.value, where=message.address.in_thread(message.thread_root)))

    def edit(self, who: str, message: ConsoleMessage, text: str) -> None:
        """``who`` rewrites a message (only its author can, on a real platform; the core checks anyway)."""
        if message.author == who:
            message.text = text
        self.core.handle(Edit(event_id=self.next_id("ev"), person=self.person(who), text=text,
                              where=message.address, message_id=message.id))

    def press(self, who: str, name: str, value: str, where: Address) -> None:
        """A button press with any value from any place: what a crafted payload can send."""
        self.core.handle(Action(event_id=self.next_id("ev"), person=self.person(who), name=name, value=value,
                                where=where))

    # -- what the bot said -------------------------------------------------------------------------------
    def bot_messages(self, channel: str | None = None, thread: str | None = None) -> list[ConsoleMessage]:
        return [m for m in self.messenger.messages.values() if m.reply is not None
                and (channel is None or m.address.channel == channel)
                and (thread is None or m.address.thread == thread)]

    def last(self, channel: str | None = None, thread: str | None = None) -> ConsoleMessage:
        return self.bot_messages(channel, thread)[-1]


def new_chat(config: LorebotConfig, kb, clock: Clock | None = None, extensions=(), people=None) -> Chat:
    messenger = ConsoleMessenger(io.StringIO())
    core = Lorebot(config=config, knowledge=kb, messenger=messenger, clock=clock or Clock(), extensions=extensions,
                   people=people)
    return Chat(core, messenger)


def questions(kb) -> list[Question]:
    """Every question row, oldest first."""
    with Session(kb.engine) as session:
        return session.exec(select(Question).order_by(Question.id)).all()


def rows(kb, model, *where) -> list:
    """The rows of ``model`` matching ``where``, read in a fresh session."""
    with Session(kb.engine) as session:
        return session.exec(select(model).where(*where)).all()


def audit_trail(kb) -> list[tuple[str, str, int | None]]:
    """(action, actor, question) of every curation audit row, oldest first."""
    with Session(kb.engine) as session:
        rows = session.exec(select(CurationAudit).order_by(CurationAudit.id)).all()
        return [(row.action, row.actor_id, row.question_id) for row in rows]
