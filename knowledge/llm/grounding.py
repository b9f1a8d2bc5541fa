"""The prompt contract for a grounded answer, and reading the reply.

Plain text on purpose, so that every OpenAI-compatible server and every model can follow it: the question and at
most ``max_passages`` passages, numbered from 1 in rank order and fenced as data; the model answers in a few
short sentences, each ending with the markers of the passages it comes from (``[1]``, ``[1][3]``), or with the
single line ``NOT_FOUND``. The markers are what ``citations`` checks; nothing the model says is trusted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from knowledge.llm.client import Message
from knowledge.llm.fencing import new_fence

NOT_FOUND = "NOT_FOUND"
# Small models often echo the delimiters around their reply ("<<<Data 1f2e...>>"); they are not part of it.
_ECHOED_FENCE = re.compile(r"^[ \t]*<{2,3}\s*(?:data|end)\b[^\n>]*>{1,3}[ \t]*$", re.IGNORECASE | re.MULTILINE)
_NOT_FOUND_REPLY = re.compile(r"[\s\W_]*not[\s_-]*found[\s\W_]*", re.IGNORECASE)

_INSTRUCTIONS = """You answer employees' questions using only the numbered passages you are given.
{notice}
Write a short answer in plain text: at most four sentences, no Markdown, no links, no mentions.
End every sentence with the numbers of the passages it comes from, in square brackets, like [1] or [1][3].
Use only facts, numbers, dates and names that appear in the passages you cite.
If the passages do not answer the question, reply with exactly this single line: {not_found}"""


@dataclass(frozen=True)
class Passage:
    id: str  # the knowledge base's id for the passage (a chunk id); logged, never sent
    text: str


def answer_messages(question: str, passages: Sequence[Passage], max_passages: int) -> list[Message]:
    """The messages asking for a grounded answer; the first ``max_passages`` passages, in the order given (rank)."""
    shown = list(passages)[:max_passages]
    fence = new_fence([question, *(passage.text for passage in shown)])
    numbered = "\n\n".join(f"[{number}] {passage.text.strip()}" for number, passage in enumerate(shown, 1))
    system = _INSTRUCTIONS.format(notice=fence.notice(), not_found=NOT_FOUND)
    user = (f"Passages:\n{fence.around(numbered)}\n\nQuestion:\n{fence.around(question)}\n\n"
            f"Answer from passages 1 to {len(shown)} with markers, or reply {NOT_FOUND}.")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def is_not_found(reply: str) -> bool:
    """Whether the model abstained: ``NOT_FOUND`` alone, whatever its case, spacing or trailing punctuation."""
    return _NOT_FOUND_REPLY.fullmatch(without_fences(reply)) is not None


def without_fences(reply: str) -> str:
    """``reply`` without lines that only echo the data delimiters."""
    return _ECHOED_FENCE.sub("", reply)


@dataclass(frozen=True)
class Sentence:
    text: str  # without its markers
    cited: tuple[int, ...]  # passage numbers, in the order written, without repeats


_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*,\s*\d{1,3})*)\s*\]")
_BREAK = re.compile(r"(?<=[.!?])\s+|(?<=\])\s+(?=[A-Z])|\n+")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|approx|incl|dr|mr|mrs|ms)\.$", re.IGNORECASE)


def sentences(reply: str) -> list[Sentence]:
    """The reply's sentences, each with the passage numbers its markers name.

    A fragment that is only markers ("... days. [1]") belongs to the sentence before it; a fragment ending in an
    abbreviation ("e.g.") runs on into the next.
    """
    pieces: list[str] = []
    carry = ""
    for piece in (p.strip() for p in _BREAK.split(without_fences(reply).strip())):
        if not piece:
            continue
        if pieces and not carry and not _MARKER.sub("", piece).strip(" .;:,"):
            pieces[-1] += " " + piece
            continue
        piece = f"{carry} {piece}".strip()
        if _ABBREVIATION.search(piece):
            carry = piece
            continue
        carry = ""
        pieces.append(piece)
    if carry:
        pieces.append(carry)
    return [_sentence(piece) for piece in pieces]


def _sentence(piece: str) -> Sentence:
    numbers: list[int] = []
    for marker in _MARKER.finditer(piece):
        for number in re.split(r"\s*,\s*", marker.group(1)):
            if int(number) not in numbers:
                numbers.append(int(number))
    text = re.sub(r"\s+([.!?,;:])", r"\1", _MARKER.sub("", piece))
    return Sentence(text=re.sub(r"\s{2,}", " ", text).strip(), cited=tuple(numbers))
