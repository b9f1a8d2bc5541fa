"""The company's own LLM, optional: grounded answers with checked citations, and a judge for "same question?".

Pure library code: it knows questions and passages, never people or platforms. ``bot/`` decides when to call it
(verified matches first; weak retrieval never calls) and, on ``LlmUnavailable`` or ``UseExtract``, shows today's
extract answer. ``NotFound`` means the model found no answer in the passages: "unsure", as today.

    llm = Llm(options, secrets)               # secrets: environment variable name -> value
    result = llm.answer(question, passages)   # Grounded | NotFound | UseExtract, or raises LlmUnavailable
    same = llm.same_question(verified_q, verified_a, question)   # bool, or raises LlmUnavailable
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Sequence

from knowledge.llm.breaker import Breaker, BreakerState, Clock
from knowledge.llm.citations import Checked, check
from knowledge.llm.client import ChatClient, Message, Reply
from knowledge.llm.errors import LlmUnavailable
from knowledge.llm.grounding import Passage, answer_messages, is_not_found
from knowledge.llm.judging import judge_messages, verdict
from knowledge.llm.options import LlmConfigError, LlmOptions
from knowledge.sources.options import Secrets



__all__ = ["Breaker", "BreakerState", "Checked", "Grounded", "Llm", "LlmConfigError", "LlmOptions",
           "LlmUnavailable", "NotFound", "Passage", "UseExtract", "check"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Grounded:
    """A generated answer whose every kept sentence its cited passages support."""

    text: str  # the kept sentences with their markers, inert (no links, no mentions)
    sentences: list[tuple[str, list[int]]]
    cited: list[list[int]]  # per kept sentence, the passage numbers (1 = the first passage sent)
    dropped: int
    model: str
    latency_ms: int


@dataclass(frozen=True)
class NotFound:
    """The model says the passages do not answer the question."""

    model: str
    latency_ms: int


@dataclass(frozen=True)
class UseExtract:
    """The reply failed the citation check: show today's extract answer instead."""

    reasons: list[str]
    model: str
    latency_ms: int
    kept: int = 0  # sentences that passed the check all the same (eval's citation_kept_rate counts them)


class Llm:
    def __init__(self, options: LlmOptions, secrets: Secrets, clock: Clock = time.time) -> None:
        """Raises ``LlmConfigError`` (one line naming the variable) when ``api_key_env`` names an unset variable."""
        self.options = options
        self.breaker = Breaker(options.breaker_failures, options.breaker_cooldown_s, clock)
        self._client = ChatClient(options, options.api_key(secrets))

    def answer(self, question: str, passages: Sequence[Passage]) -> Grounded | NotFound | UseExtract:
        """A grounded answer from at most ``max_passages`` of ``passages`` (in rank order); passages beyond that
        are neither sent nor citable."""
        shown = list(passages)[: self.options.max_passages]
        reply = self._call(answer_messages(question, shown, self.options.max_passages), "answer",
                           [passage.id for passage in shown])
        if is_not_found(reply.text):
            return NotFound(model=reply.model, latency_ms=reply.latency_ms)
        checked = check(reply.text, [passage.text for passage in shown])
        log.info("llm answer checked: kept=%d dropped=%d use_extract=%s reasons=%s", len(checked.sentences),
                 checked.dropped, checked.use_extract, checked.reasons)
        if checked.use_extract:
            return UseExtract(reasons=checked.reasons, model=reply.model, latency_ms=reply.latency_ms,
                              kept=len(checked.sentences))
        return Grounded(text=checked.kept_text, sentences=checked.sentences, cited=checked.cited,
                        dropped=checked.dropped, model=reply.model, latency_ms=reply.latency_ms)

    def same_question(self, verified_question: str, verified_answer: str, question: str) -> bool:
        """Whether ``question`` asks what ``verified_question`` asked; raises ``LlmUnavailable`` on no verdict."""
        reply = self._call(judge_messages(verified_question, verified_answer, question), "judge", [])
        same = verdict(reply.text)
        if same is None:
            raise LlmUnavailable("the judge gave no YES or NO")
        return same

    def _call(self, messages: list[Message], purpose: str, passage_ids: list[str]) -> Reply:
        if not self.breaker.allow():
            raise LlmUnavailable(f"skipped after {self.breaker.state.consecutive_failures} failures in a row")
        try:
            reply = self._client.chat(messages, purpose, passage_ids)
        except LlmUnavailable as failure:
            self.breaker.failed(failure.reason)
            raise
        self.breaker.succeeded()
        return reply
