"""Short extracts that keep the shape of the passage they come from.

A table row means nothing without its header, and a list item often only makes sense after the sentence that
introduces it ("You can claim:"). So a passage is cut into pieces that can be chosen on their own (sentences,
table rows, list items, quotes, code) and each piece remembers what has to be shown with it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.markdown import parse

_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*_\"'(\[])")
_STOPWORDS = frozenset(
    "a an and are as at be by can do does for from how i in is it me my of on or our the to we what when where "
    "which who why will with you your".split()
)
MAX_PIECES = 3

SENTENCE, ROW, ITEM, BLOCK = "sentence", "row", "item", "block"


@dataclass(frozen=True)
class Piece:
    """Part of a passage: its own Markdown, the block it belongs to, and what must be shown before it (a table's
    header and separator, a list's lead-in sentence)."""

    text: str
    block: int
    kind: str
    context: str = ""


def words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS}


def trim(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def pieces(text: str) -> list[Piece]:
    lines = text.splitlines()
    found: list[Piece] = []
    lead_in = ""
    for block, node in enumerate(parse(text).children):
        start, end = node.map or (0, 0)
        source = lines[start:end]
        if node.type == "paragraph":
            sentences = [s for s in _SENTENCE_END.split(" ".join(" ".join(source).split())) if s]
            lead_in = sentences[-1] if sentences and sentences[-1].endswith(":") else ""
            found.extend(Piece(sentence, block, SENTENCE) for sentence in sentences)
            continue
        if node.type == "table":
            header = "\n".join(line.strip() for line in source[:2])
            found.extend(Piece(line.strip(), block, ROW, header) for line in source[2:] if line.strip())
        elif node.type in ("bullet_list", "ordered_list"):
            if lead_in and found and found[-1].text == lead_in:
                found.pop()  # alone it says nothing: it is shown with the items it introduces
            found.extend(Piece("\n".join(line.rstrip() for line in lines[item.map[0]:item.map[1]]).strip(),
                               block, ITEM, lead_in) for item in node.children if item.map)
        elif node.type not in ("heading", "hr"):
            found.append(Piece("\n".join(source).strip(), block, BLOCK))
        lead_in = ""
    return [piece for piece in found if piece.text]


def choose(question: str, text: str, limit: int) -> str:
    """Up to three pieces sharing the most words with the question, in their original order, within ``limit``
    characters (headers and lead-ins come on top: they are what make a row or an item readable)."""
    found = pieces(text)
    if not found:
        return ""
    wanted = words(question)
    own = [len(wanted & words(_reads_as(piece))) for piece in found]
    around = [len(wanted & words(piece.context)) for piece in found]
    ranked = sorted(range(len(found)), key=lambda i: (-own[i], -around[i], i))
    best = ranked[0]
    if own[best] > 0:  # pieces sharing far fewer words than the best one only add noise
        ranked = [i for i in ranked if own[i] * 2 >= own[best]]
    elif around[best] > 0:
        ranked = [i for i in ranked if around[i] > 0]
    chosen: list[int] = []
    length = 0
    for index in ranked[:MAX_PIECES]:
        if chosen and length + len(found[index].text) > limit:
            break
        chosen.append(index)
        length += len(found[index].text) + 1
    kept = [found[i] for i in sorted(chosen)]
    if len(kept) == 1:
        kept = [Piece(trim(kept[0].text, limit), kept[0].block, kept[0].kind, kept[0].context)]
    return assemble(kept)


def _reads_as(piece: Piece) -> str:
    """A list item reads as the end of its lead-in sentence, so the lead-in's words count for it; a table row is
    one of many alternatives under the same header, so the header only breaks ties between rows."""
    return f"{piece.context} {piece.text}" if piece.kind == ITEM else piece.text


def assemble(kept: list[Piece]) -> str:
    """Pieces back into Markdown: sentences of one paragraph on one line, rows under one header, items under one
    lead-in, different blocks separated by a blank line."""
    parts: list[str] = []
    previous: Piece | None = None
    for piece in kept:
        together = previous is not None and previous.block == piece.block
        if together:
            parts[-1] += (" " if piece.kind == SENTENCE else "\n") + piece.text
        elif piece.kind == ROW:
            parts.append(piece.context + "\n" + piece.text)
        else:
            if piece.context:
                parts.append(piece.context)
            parts.append(piece.text)
        previous = piece
    return "\n\n".join(parts)
