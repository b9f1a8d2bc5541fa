"""Heading-aware chunking: split on headings first, then pack paragraphs (and, when needed, sentences) into
passages of roughly 200-300 model tokens with a small overlap.

Every chunk keeps its document title and heading path, because a passage like "You can carry over 5 days"
means nothing without "Leave › Annual leave" above it, both for the reader and for the embedding.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

TOKENS_PER_WORD = 1.3  # word-piece tokens per whitespace word in English prose, measured on the model's tokenizer
TARGET_TOKENS = 250
OVERLAP_TOKENS = 40
SEPARATOR = " › "

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    title: str
    headings: tuple[str, ...]
    text: str

    @property
    def heading(self) -> str:
        return SEPARATOR.join(self.headings)

    @property
    def source(self) -> str:
        return SEPARATOR.join((self.title, *self.headings))

    def embedding_text(self) -> str:
        """What the model reads: the source path gives the passage its context."""
        return f"{self.source}\n{self.text}"


@dataclass(frozen=True)
class Section:
    headings: tuple[str, ...]
    paragraphs: tuple[str, ...]


def words_budget(tokens: int) -> int:
    return max(1, int(tokens / TOKENS_PER_WORD))


def sections(text: str, title: str) -> list[Section]:
    """Split Markdown-like text at headings; the heading equal to the title is not repeated in the path."""
    found: list[Section] = []
    stack: list[tuple[int, str]] = []
    paragraphs: list[str] = []
    current: list[str] = []
    in_fence = False

    def close_paragraph() -> None:
        if current:
            paragraph = "\n".join(current).strip()
            if paragraph:
                paragraphs.append(paragraph)
            current.clear()

    def close_section() -> None:
        close_paragraph()
        if paragraphs:
            found.append(Section(tuple(name for _, name in stack), tuple(paragraphs)))
            paragraphs.clear()

    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            current.append(line)
            continue
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            close_section()
            level, name = len(heading.group(1)), heading.group(2).strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            if not (level == 1 and name == title and not stack):
                stack.append((level, name))
        elif not line.strip() and not in_fence:
            close_paragraph()
        else:
            current.append(line)
    close_section()
    return found


def chunk_document(text: str, title: str, *, target_tokens: int = TARGET_TOKENS,
                   overlap_tokens: int = OVERLAP_TOKENS) -> list[Chunk]:
    budget = words_budget(target_tokens)
    overlap = words_budget(overlap_tokens) if overlap_tokens else 0
    chunks: list[Chunk] = []
    for section in sections(text, title):
        for body in _pack(section.paragraphs, budget, overlap):
            chunks.append(Chunk(ordinal=len(chunks), title=title, headings=section.headings, text=body))
    return chunks


def _pack(paragraphs: tuple[str, ...], budget: int, overlap: int) -> list[str]:
    """Greedy packing of whole paragraphs; long paragraphs are cut at sentences, long sentences at words."""
    pieces: list[str] = []
    for paragraph in paragraphs:
        pieces.extend(_fit(paragraph, max(1, budget - overlap)))  # leave room for the carried overlap
    bodies: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        length = len(piece.split())
        if current and size + length > budget:
            bodies.append("\n\n".join(current))
            carried = _tail(current[-1], overlap)
            current, size = ([carried], len(carried.split())) if carried else ([], 0)
        current.append(piece)
        size += length
    if current:
        bodies.append("\n\n".join(current))
    return bodies


def _fit(paragraph: str, budget: int) -> list[str]:
    if len(paragraph.split()) <= budget:
        return [paragraph]
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in _SENTENCE_END.split(paragraph):
        words = sentence.split()
        while len(words) > budget:  # one enormous "sentence" (a table, a list without stops)
            if current:
                parts.append(" ".join(current))
                current, size = [], 0
            parts.append(" ".join(words[:budget]))
            words = words[budget:]
        if not words:
            continue
        if current and size + len(words) > budget:
            parts.append(" ".join(current))
            current, size = [], 0
        current.append(" ".join(words))
        size += len(words)
    if current:
        parts.append(" ".join(current))
    return parts


def _tail(text: str, overlap: int) -> str:
    """The last whole sentences of ``text`` that fit in the overlap, so the next chunk starts in context."""
    if overlap <= 0:
        return ""
    sentences = _SENTENCE_END.split(text)
    kept: list[str] = []
    size = 0
    for sentence in reversed(sentences):
        length = len(sentence.split())
        if size + length > overlap:
            break
        kept.insert(0, sentence)
        size += length
    return " ".join(kept)
