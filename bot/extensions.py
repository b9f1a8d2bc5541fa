"""Extensions add conversations to the core without changing it (lessons-learned threads, "still right?"
answers). The core offers each event it did not claim to every extension in order until one returns True.

An extension receives a ``LorebotContext`` (config, knowledge, messenger, clock, ``session()``,
``is_champion(person, topic=None)``, ``person_name(person)``) and the event; events reach extensions only after
the core has recorded their delivery id, so a retried delivery never reaches them twice.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.context import LorebotContext
from bot.events import Action, Edit, Reaction, ThreadReply

__all__ = ["LorebotContext", "Extension"]


@runtime_checkable
class Extension(Protocol):
    def handle_thread_reply(self, ctx: LorebotContext, event: ThreadReply) -> bool:
        """True when the reply was this extension's to handle."""
        ...

    def handle_reaction(self, ctx: LorebotContext, event: Reaction) -> bool:
        ...

    def handle_action(self, ctx: LorebotContext, event: Action) -> bool:
        ...

    def handle_edit(self, ctx: LorebotContext, event: Edit) -> bool:
        """True when the edited message was this extension's (a lesson, say)."""
        ...
