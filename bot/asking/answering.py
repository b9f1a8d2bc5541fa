"""Deciding what to say from search hits: answer (with a short extract and sources), offer the champions'
answer to a similar question as a suggestion, or admit being unsure.

Pure: no database, no messenger, no clock, so the command line (`lorebot ask`) and the chat core decide the
same way from the same hits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from bot.config import AnswersConfig, CollectionConfig
from bot.asking.extracts import choose, trim as _trim
from bot.asking.links import source_url
from knowledge.types import Hit

ANSWERED = "answered"
SUGGESTED = "suggested"  # a verified answer to a similar question, offered for the asker to confirm
UNSURE = "unsure"

EXTRACT_CHARS = 400
SNIPPET_CHARS = 160


@dataclass(frozen=True)
class Source:
    title: str
    source: str
    heading: str
    score: float
    snippet: str
    key: str = ""
    document: str = ""
    verified_by: str | None = None
    url: str | None = None  # where the source can be read (bot/asking/links.py)

    def to_json(self) -> dict:
        return {"title": self.title, "source": self.source, "heading": self.heading, "score": self.score,
                "snippet": self.snippet, "url": self.url}


@dataclass(frozen=True)
class Answer:
    question: str
    status: str  # ANSWERED | SUGGESTED | UNSURE
    confidence: float
    answer: str  # the short extract, or the verified answer ("" when unsure)
    sources: tuple[Source, ...] = field(default_factory=tuple)
    verified_by: str | None = None  # set when the answer is a verified entry's (answered or suggested)
    top_key: str | None = None  # the top hit's key: what a champion's ❌ rejects
    verified_question: str | None = None  # the question the champions verified this answer for
    verified_at: datetime | None = None
    entry_id: int | None = None
    generated_by: str | None = None  # the model that wrote ``answer`` from the sources (bot/asking/generating.py)
    cited: tuple[tuple[int, ...], ...] | None = None  # per generated sentence, the numbers of ``sources`` it cites
    plain_text: str | None = None  # a generated answer without its markers: what a champion's ✅ verifies
    fallback_reason: str | None = None  # why the extract is shown although an LLM was asked (logged, never sent)

    @property
    def generated(self) -> bool:
        return self.generated_by is not None

    @property
    def suggested(self) -> bool:
        return self.status == SUGGESTED

    @property
    def answered(self) -> bool:
        return self.status == ANSWERED

    @property
    def is_verified(self) -> bool:
        return self.verified_by is not None

    def to_json(self) -> dict:
        """What ``lorebot ask --json`` prints: ``generated_by`` is the model that wrote the answer (null for an
        extract or a verified answer) and ``cited`` the source numbers each written sentence cites (else null)."""
        shown = {
            "question": self.question,
            "status": self.status,
            "confidence": round(self.confidence, 3),
            "answer": self.answer,
            "sources": [source.to_json() for source in self.sources],
            "verified_question": self.verified_question,
            "verified_by": self.verified_by,
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
            "generated_by": self.generated_by,
            "cited": [list(numbers) for numbers in self.cited] if self.cited is not None else None,
        }
        return shown


RELATED_FLOOR = 0.3  # confidence below which a passage is not even "related" (see knowledge.confidence)


def answer_from_hits(question: str, hits: list[Hit], answers: AnswersConfig,
                     collections: Mapping[str, CollectionConfig] | None = None) -> Answer:
    """Decide in this order: a verified entry that is surely the same question answers "as verified"; else a
    passage that surely answers it; else a verified entry that may be the same question is suggested; else
    "not sure". Each confidence is calibrated by the knowledge base, so the thresholds keep their meaning.
    ``collections`` (the config's) give sources their links."""
    links = collections or {}
    if not hits:
        return Answer(question=question, status=UNSURE, confidence=0.0, answer="", sources=())
    entry = max((hit for hit in hits if hit.is_verified), key=lambda hit: hit.confidence, default=None)
    passage = next((hit for hit in hits if not hit.is_verified), None)
    if entry is not None and entry.confidence >= answers.verified_threshold:
        return _from_entry(question, ANSWERED, entry, hits, answers, links)
    if passage is not None and passage.confidence >= answers.answer_threshold:
        rest = [hit for hit in hits if hit is not passage and hit.confidence >= answers.answer_threshold]
        return Answer(question, ANSWERED, float(passage.confidence), extract(question, passage.text),
                      _sources([passage, *rest], answers.max_sources, links), top_key=passage.key)
    if entry is not None and entry.confidence >= answers.suggest_threshold:
        return _from_entry(question, SUGGESTED, entry, hits, answers, links)
    return unsure(question, hits, answers, links)


def unsure(question: str, hits: list[Hit], answers: AnswersConfig,
           links: Mapping[str, CollectionConfig] | None = None) -> Answer:
    """"Not sure", with the related sources beside it: the champions will answer."""
    if not hits:
        return Answer(question=question, status=UNSURE, confidence=0.0, answer="", sources=())
    top = next((hit for hit in hits if not hit.is_verified), None) or hits[0]
    # Beside "not sure", only sources that are at least related: weak matches only add noise.
    related = [hit for hit in hits if hit is not top and hit.confidence >= RELATED_FLOOR]
    return Answer(question, UNSURE, float(top.confidence), "",
                  _sources([top, *related], answers.max_sources, links or {}), top_key=top.key)


def from_entry(question: str, entry: Hit, hits: list[Hit], answers: AnswersConfig,
               links: Mapping[str, CollectionConfig] | None = None) -> Answer:
    """The verified ``entry``'s answer, served as verified (a judge confirmed it is the same question)."""
    return _from_entry(question, ANSWERED, entry, hits, answers, links or {})


def sources_of(hits: list[Hit], limit: int,
               links: Mapping[str, CollectionConfig] | None = None) -> tuple[Source, ...]:
    """``hits`` as the sources an answer lists, in order, at most ``limit``."""
    return _sources(hits, limit, links or {})


def _from_entry(question: str, status: str, entry: Hit, hits: list[Hit], answers: AnswersConfig,
                links: Mapping[str, CollectionConfig]) -> Answer:
    others = [hit for hit in hits if hit is not entry and hit.kind == "chunk"
              and hit.confidence >= answers.answer_threshold]
    return Answer(question, status, float(entry.confidence), _trim(entry.text.strip(), EXTRACT_CHARS * 2),
                  _sources([entry, *others], answers.max_sources, links), verified_by=entry.verified_by or "a champion",
                  top_key=entry.key, verified_question=entry.title, verified_at=entry.verified_at,
                  entry_id=entry.entry_id)


def extract(question: str, text: str, limit: int = EXTRACT_CHARS) -> str:
    """The parts of ``text`` that share the most words with the question, kept in their original order and in
    their Markdown shape (a table row with its header, a list item with its lead-in), up to about ``limit``
    characters: a short answer rather than a whole section."""
    return choose(question, text, limit)


def _sources(hits: list[Hit], limit: int, links: Mapping[str, CollectionConfig]) -> tuple[Source, ...]:
    seen: set[tuple[str, str]] = set()
    sources: list[Source] = []
    for hit in hits:
        identity = (hit.title, hit.heading) if hit.kind == "chunk" else (hit.key, "")
        if identity in seen:
            continue
        seen.add(identity)
        sources.append(Source(
            title=hit.title,
            source=hit.source,
            heading=hit.heading,
            score=round(float(hit.confidence), 3),
            snippet=_trim(" ".join(hit.text.split()), SNIPPET_CHARS),
            key=hit.key,
            document=hit.document,
            verified_by=hit.verified_by if hit.is_verified else None,
            url=source_url(hit, links),
        ))
        if len(sources) >= limit:
            break
    return tuple(sources)
