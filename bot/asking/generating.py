"""The company's own LLM in the answer decision, when ``[llm]`` is configured: the judge for verified answers in
the uncertain band, and answers written from the passages.

The decision comes first and is ours (``answering.answer_from_hits``); the model only refines it:
- a verified answer only *suggested* (uncertain band), or served outright although an informative word differs
  (the entry's word ``contrast``), goes to the judge: yes serves it as verified, no goes on to the documents; no
  verdict keeps today's decision;
- an answer from the documents (a passage cleared the answer threshold) is rewritten from at most
  ``max_passages`` passages the reader may read (the search is already limited to them). Weak retrieval never
  reaches here, so it costs no call. ``NotFound`` turns it into "unsure" (the champions are asked);
  ``UseExtract`` or ``LlmUnavailable`` keep the extract, marked as a fallback.
Links come from our hits, never from the model's text. Logs carry outcomes, models and latencies, never the
question, the passages or the answer.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Callable, Mapping

from bot.asking.answering import Answer, answer_from_hits, from_entry, sources_of, unsure
from bot.config import AnswersConfig, CollectionConfig
from knowledge.types import Hit

if TYPE_CHECKING:  # the client (openai) loads only where an [llm] is configured
    from knowledge.llm import Grounded, Llm

log = logging.getLogger(__name__)


def refine(llm: Llm | None, question: str, hits: list[Hit], answer: Answer, answers: AnswersConfig,
           links: Mapping[str, CollectionConfig] | None = None, working: Callable[[], None] | None = None) -> Answer:
    """``answer`` as the LLM refines it (see the module); ``answer`` itself without an LLM. ``working`` runs once,
    before the first call, so the asker sees Lorebot is on it while the model reads (``Messenger.working``)."""
    if llm is None:
        return answer
    judge = llm.options.judge and (answer.suggested or _contrasting(answer, hits))
    if working is not None and (judge or (answer.answered and not answer.is_verified and llm.options.answers)):
        working()
    if judge:
        answer = _judged(llm, question, hits, answer, answers, links)
    if answer.answered and not answer.is_verified and llm.options.answers:
        answer = _written(llm, question, hits, answer, answers, links)
    return answer


def _contrasting(answer: Answer, hits: list[Hit]) -> bool:
    """A verified answer served outright although an informative word of the question differs from the verified
    wording's ("...my cat" for "...my dog"): the judge reads both questions."""
    if not (answer.answered and answer.is_verified):
        return False
    entry = next((hit for hit in hits if hit.key == answer.top_key), None)
    return entry is not None and entry.contrast > 0


def _judged(llm: Llm, question: str, hits: list[Hit], answer: Answer, answers: AnswersConfig,
            links: Mapping[str, CollectionConfig] | None) -> Answer:
    from knowledge.llm import LlmUnavailable

    entry = next((hit for hit in hits if hit.key == answer.top_key), None)
    if entry is None:
        return answer
    try:
        same = llm.same_question(entry.title, entry.text, question)
    except LlmUnavailable as failure:
        log.info("llm judge unavailable (%s): the decision without it stands", failure.reason)
        return answer
    log.info("llm judge: %s for entry %s", "same" if same else "different", entry.entry_id)
    if same:
        return answer if answer.answered else from_entry(question, entry, hits, answers, links)
    # Not the same question: the documents decide, as if that entry had not been found.
    return answer_from_hits(question, [hit for hit in hits if hit is not entry], answers, links)


def _written(llm: Llm, question: str, hits: list[Hit], answer: Answer, answers: AnswersConfig,
             links: Mapping[str, CollectionConfig] | None) -> Answer:
    from knowledge.llm import Grounded, LlmUnavailable, NotFound, Passage

    passages = [hit for hit in hits if hit.kind == "chunk"][: llm.options.max_passages]
    try:
        result = llm.answer(question, [Passage(id=hit.key, text=hit.text) for hit in passages])
    except LlmUnavailable as failure:
        log.warning("llm answer unavailable (%s): showing the extract", failure.reason)
        return dataclasses.replace(answer, fallback_reason=failure.reason)
    if isinstance(result, NotFound):
        log.info("llm answer: not found in %d passage(s) (%s, %d ms)", len(passages), result.model,
                 result.latency_ms)
        return unsure(question, hits, answers, links)
    if not isinstance(result, Grounded):
        log.info("llm answer failed the citation check (%s): showing the extract", "; ".join(result.reasons))
        return dataclasses.replace(answer, fallback_reason="the written answer failed the citation check")
    log.info("llm answer: %d sentence(s) kept, %d dropped (%s, %d ms)", len(result.sentences), result.dropped,
             result.model, result.latency_ms)
    return _generated(answer, result, passages, links)


def _generated(answer: Answer, result: Grounded, passages: list[Hit],
               links: Mapping[str, CollectionConfig] | None) -> Answer:
    """The answer as written, its markers renumbered to the sources it lists: only the passages it cites."""
    order: list[int] = []
    for numbers in result.cited:
        order.extend(number for number in numbers if number not in order)
    cited_hits = [passages[number - 1] for number in order]
    sources = sources_of(cited_hits, len(cited_hits), links)
    position = {hit.key: _index(sources, hit) for hit in cited_hits}
    cited = tuple(tuple(dict.fromkeys(position[passages[n - 1].key] for n in numbers)) for numbers in result.cited)
    text = " ".join(f"{words} {''.join(f'[{n}]' for n in numbers)}"
                    for (words, _), numbers in zip(result.sentences, cited))
    plain = " ".join(words for words, _ in result.sentences)
    return dataclasses.replace(answer, answer=text, sources=sources, generated_by=result.model, cited=cited,
                               plain_text=plain, top_key=cited_hits[0].key if cited_hits else answer.top_key)


def _index(sources, hit: Hit) -> int:
    """The 1-based number of the source ``hit`` is listed as (two passages of one section share a source)."""
    for number, source in enumerate(sources, 1):
        if source.key == hit.key or (source.title, source.heading) == (hit.title, hit.heading):
            return number
    return 1
