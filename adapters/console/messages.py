"""What the console itself says (the core's words live in bot/messages.py)."""
from __future__ import annotations

from datetime import datetime

DEFAULT_USER = "you"  # who `lorebot chat` starts as
DEFAULT_NAME = "Guest"  # their name, when lorebot.toml does not name them

WELCOME = ("Lorebot chat. Type a question and press Enter. /help lists the commands; /quit leaves.")

HELP = """Commands:
  <question>                    ask Lorebot
  /as <handle>                  become someone else (e.g. a champion: /as alice)
  /people                       who I know: handle, name, team, topics they champion
  /waiting                      questions waiting for a champion, oldest first
  /reply <message-id> <text>    answer in that message's thread
  /edit <message-id> <text>     rewrite a message you wrote
  /react <message-id> <emoji>   react: ✅ verify, ❌ reject a source, 📌 pin, 👍, 👎 (or a name like +1)
  /unreact <message-id> <emoji> take a reaction back
  /click <button> <message-id>  press a button, by number or name (e.g. /click 3 m2)
  /reassign <id> <topic>        champions: move question <id> to another topic's champions
  /merge <id> <into-id>         champions: question <id> duplicates <into-id>; its asker gets that answer
  /editverified <id> <text>     champions: new words for question <id>'s verified answer
  /stats                        champions: how your answers helped over the last 30 days
  /help                         this list
  /quit                         leave
Message ids (m12) stay valid in later sessions. Up and Down recall earlier lines."""


def now_as(handle: str, name: str, topics: list[str]) -> str:
    role = f", champion of {', '.join(topics)}" if topics else ""
    who = name if name != handle else handle
    if handle == DEFAULT_USER and not topics:
        return f"You are yourself again ({who})."
    return f"You are now {who}{role}."


def unknown_handle(handle: str, known: list[str]) -> str:
    return (f"I don't know anyone called {handle!r}. Known handles: {', '.join(known)}. "
            "Add people to lorebot.toml under [people] to play them.")


def person_line(handle: str, name: str, team: str | None, topics: tuple[str, ...]) -> str:
    champion = f", champion of {', '.join(topics)}" if topics else ""
    return f"  {handle:<12} {name}{f' · team {team}' if team else ''}{champion}"


PEOPLE_HEADING = "People I know (handle, name, team, topics they champion); /as <handle> to play one:"
NOTHING_WAITING = "No questions are waiting for a champion."
WAITING_HEADING = "Waiting for a champion (oldest first; answer with /reply <id> <text>):"


def waiting_line(post_id: str | None, text: str, topic: str | None, asker: str | None, asked_at: datetime) -> str:
    return (f"  [{post_id or '-'}] {' '.join(text.split())[:80]}  ({topic or 'no topic'}, asked by "
            f"{asker or 'someone'} on {asked_at:%Y-%m-%d %H:%M})")


ONLY_KEYS = ("That line held only keys the terminal sent (such as an arrow), so I ignored it. "
             "Type a question, or /help.")


def edited(message_id: str) -> str:
    return f"You edited {message_id}."


def not_your_message(message_id: str) -> str:
    return f"Only the author of {message_id} can edit it, so it stays as it is."


def reacted(emoji: str, message_id: str, *, added: bool) -> str:
    return f"You reacted {emoji} to {message_id}." if added else f"You took your {emoji} off {message_id}."


def no_such_message(message_id: str) -> str:
    return f"There's no message {message_id}. Message ids look like m1, m2 and are shown in [brackets]."


def no_such_button(button: str, message_id: str) -> str:
    return f"Message {message_id} has no button {button!r}."


def usage(command: str) -> str:
    return {
        "/as": "Usage: /as <handle>, e.g. /as alice (/people lists them)",
        "/reply": "Usage: /reply <message-id> <text>, e.g. /reply m2 Yes, 25 days.",
        "/edit": "Usage: /edit <message-id> <text>, e.g. /edit m4 Yes, 25 days plus bank holidays.",
        "/react": "Usage: /react <message-id> <emoji>, e.g. /react m3 ✅",
        "/unreact": "Usage: /unreact <message-id> <emoji>, e.g. /unreact m3 ✅",
        "/click": "Usage: /click <button number or name> <message-id>, e.g. /click 3 m2",
    }.get(command, f"Unknown command {command}. Type /help for the list.")


BYE = "Bye!"
