"""What the console itself says (the core's words live in bot/messages.py)."""
from __future__ import annotations

WELCOME = ("Lorebot chat. Type a question and press Enter. /help lists the commands; /quit leaves.")

HELP = """Commands:
  <question>                    ask Lorebot
  /as <name>                    become someone else (e.g. a champion: /as alice)
  /reply <message-id> <text>    answer in that message's thread
  /edit <message-id> <text>     rewrite a message you wrote
  /react <message-id> <emoji>   react: ✅ verify, ❌ reject a source, 📌 pin, 👍, 👎 (or a name like +1)
  /unreact <message-id> <emoji> take a reaction back
  /click <button> <message-id>  press a button, by number or name (e.g. /click 3 m2)
  /reassign <id> <topic>        champions: move question <id> to another topic's champions
  /merge <id> <into-id>         champions: question <id> duplicates <into-id>; its asker gets that answer
  /editverified <id> <text>     champions: new words for question <id>'s verified answer
  /help                         this list
  /quit                         leave"""


def now_as(name: str, topics: list[str]) -> str:
    role = f", champion of {', '.join(topics)}" if topics else ""
    return f"You are now {name}{role}."


def no_such_message(message_id: str) -> str:
    return f"There's no message {message_id}. Message ids look like m1, m2 and are shown in [brackets]."


def no_such_button(button: str, message_id: str) -> str:
    return f"Message {message_id} has no button {button!r}."


def usage(command: str) -> str:
    return {
        "/as": "Usage: /as <name>, e.g. /as alice",
        "/reply": "Usage: /reply <message-id> <text>, e.g. /reply m2 Yes, 25 days.",
        "/edit": "Usage: /edit <message-id> <text>, e.g. /edit m4 Yes, 25 days plus bank holidays.",
        "/react": "Usage: /react <message-id> <emoji>, e.g. /react m3 ✅",
        "/unreact": "Usage: /unreact <message-id> <emoji>, e.g. /unreact m3 ✅",
        "/click": "Usage: /click <button number or name> <message-id>, e.g. /click 3 m2",
    }.get(command, f"Unknown command {command}. Type /help for the list.")


BYE = "Bye!"
