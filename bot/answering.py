"""Deciding what to say from search hits: answer (with a short extract and sources) or admit being unsure.

Pure: no database, no messenger, no clock, so the command line (`lorebot ask`) and the chat core decide the
same way from the same hits.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import AnswersConfig
from bot.extracts import choose, trim as _trim
from knowledge.types import Hit

ANSWERED = "answered"
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

    def to_json(self) -> dict:
        return {"title": self.title, "source": self.source, "heading": self.heading, "score": self.score,
                "snippet": self.snippet}


@dataclass(frozen=True)
class Answer:
    question: str
    status: str  # ANSWERED | UNSURE
    confidence: float
    answer: str  # the short extract ("" when unsure)
    sources: tuple[Source, ...] = field(default_factory=tuple)
    verified_by: str | None = None  # set when answered from a verified entry above the verified threshold
    top_key: str | None = None  # the top hit's key: what a champion's ❌ rejects

    @property
    def answered(self) -> bool:
        return self.status == ANSWERED

    @property
    def is_verified(self) -> bool:
        return self.verified_by is not None

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "status": self.status,
            "confidence": round(self.confidence, 3),
            "answer": self.answer,
            "sources": [source.to_json() for source in self.sources],
        }

    def to_text(self) -> str:
        """Plain text for the terminal."""
        if self.answered:
            lines = [self.answer, ""]
            if self.verified_by:
                lines.append(f"Verified by {self.verified_by}.")
            lines.append(f"Confidence {round(self.confidence * 100)}%")
        else:
            lines = ["I'm not sure about this one: nothing in the knowledge base answers it with confidence."]
            if self.sources:
                lines.append("These might be related:")
        if self.sources:
            lines.append("Sources:")
            lines.extend(f"  {number}. {source.source or source.title}" for number, source in
                         enumerate(self.sources, 1))
        return "\n".join(lines)


RELATED_FLOOR = 0.3  # confidence below which a passage is not even "related" (see knowledge.ranking)


def answer_from_hits(question: str, hits: list[Hit], answers: AnswersConfig) -> Answer:
    """Answer when the best hit clears the threshold; a verified entry above the verified threshold answers
    "as verified". Hits are taken in the order the knowledge base ranked them."""
    if not hits:
        return Answer(question=question, status=UNSURE, confidence=0.0, answer="", sources=())
    top = hits[0]
    confidence = float(top.confidence)
    top_key = top.key
    # Only sources worth reading: beside an answer, those that could answer too; beside "not sure", those
    # that are at least related. Weak matches under an answer only make it look less trustworthy.
    floor = answers.answer_threshold if confidence >= answers.answer_threshold else RELATED_FLOOR
    sources = _sources([top, *(hit for hit in hits[1:] if hit.confidence >= floor)], answers.max_sources)
    if top.is_verified and confidence >= answers.verified_threshold:
        return Answer(question, ANSWERED, confidence, _trim(top.text.strip(), EXTRACT_CHARS * 2), sources,
                      verified_by=top.verified_by or "a champion", top_key=top_key)
    if confidence >= answers.answer_threshold:
        return Answer(question, ANSWERED, confidence, extract(question, top.text), sources, top_key=top_key)
    return Answer(question, UNSURE, confidence, "", sources, top_key=top_key)


def extract(question: str, text: str, limit: int = EXTRACT_CHARS) -> str:
    """The parts of ``text`` that share the most words with the question, kept in their original order and in
    their Markdown shape (a table row with its header, a list item with its lead-in), up to about ``limit``
    characters: a short answer rather than a whole section."""
    return choose(question, text, limit)


def _sources(hits: list[Hit], limit: int) -> tuple[Source, ...]:
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
        ))
        if len(sources) >= limit:
            break
    return tuple(sources)
