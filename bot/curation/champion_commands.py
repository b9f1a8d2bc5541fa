"""Champions' typed commands, in the same words on every platform: ``reassign ID TOPIC``, ``merge ID INTO_ID``
(or ``merge ID into INTO_ID``), ``editverified ID NEW ANSWER`` and ``stats``, with or without a leading
slash. Each adapter only says who typed them and where; the words become the ``Action`` the core handles
(``bot.curation.triage``, and ``bot.curation.own_impact`` for ``stats``)."""
from __future__ import annotations

from bot.replies import EDIT_VERIFIED, MERGE, REASSIGN, STATS

COMMANDS = {"reassign": REASSIGN, "merge": MERGE, "editverified": EDIT_VERIFIED, "stats": STATS}


def parse(text: str) -> tuple[str, str] | None:
    """(action name, value) for a champion's command, None when the words are not one. A command with missing
    arguments still parses (its value is then incomplete), so the core can answer it with the usage."""
    command, _, rest = text.strip().lstrip("/").partition(" ")
    name = COMMANDS.get(command.lower())
    if name is None:
        return None
    if name == STATS:
        return name, ""
    question_id, _, argument = rest.strip().partition(" ")
    argument = argument.strip()
    if name == MERGE and argument.lower().startswith("into "):
        argument = argument[len("into "):].strip()
    return name, f"{question_id}:{argument}"
