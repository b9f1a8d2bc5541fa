"""Champions' typed commands, in the same words on every platform: ``reassign ID TOPIC``, ``merge ID INTO_ID``
(or ``merge ID into INTO_ID``) and ``editverified ID NEW ANSWER``, with or without a leading slash. Each adapter
only says who typed them and where; the words become the ``Action`` the core handles (``bot.curation.triage``)."""
from __future__ import annotations

from bot.replies import EDIT_VERIFIED, MERGE, REASSIGN

COMMANDS = {"reassign": REASSIGN, "merge": MERGE, "editverified": EDIT_VERIFIED}


def parse(text: str) -> tuple[str, str] | None:
    """(action name, value) for a champion's command, None when the words are not one. A command with missing
    arguments still parses (its value is then incomplete), so the core can answer it with the usage."""
    command, _, rest = text.strip().lstrip("/").partition(" ")
    name = COMMANDS.get(command.lower())
    if name is None:
        return None
    question_id, _, argument = rest.strip().partition(" ")
    argument = argument.strip()
    if name == MERGE and argument.lower().startswith("into "):
        argument = argument[len("into "):].strip()
    return name, f"{question_id}:{argument}"
