"""The one failure the LLM layer reports. Whatever went wrong, the caller does the same thing: today's answer."""
from __future__ import annotations

from knowledge.errors import KnowledgeError


class LlmUnavailable(KnowledgeError):
    """The LLM gave no usable reply (timeout, connection, 4xx/5xx, empty or unreadable reply, breaker open).

    ``reason`` is short and safe to log or show an admin: it never holds the key, the prompt or the reply.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
