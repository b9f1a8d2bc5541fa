"""Citations checked, not trusted: which sentences of a generated answer the cited passages actually support.

Each sentence must cite at least one passage that exists; every number, amount and capitalised name in it must
appear in a passage it cites; and enough of its content words must too (a floor, so a sentence cannot cite [1]
and say something else entirely). Failing sentences are dropped. When nothing is left, or more than a third of
the sentences fail, the model is not to be trusted on this question and the caller shows the extract instead.
Model text is made inert first (``neutral``), so a link or mention can never be what survives.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from knowledge.llm.facts import facts, vouched
from knowledge.llm.grounding import Sentence, sentences
from knowledge.llm.neutral import neutral
from knowledge.wording import terms_of

OVERLAP_FLOOR = 0.5  # share of a sentence's content terms that its cited passages must hold
MAX_FAILING_SHARE = 1 / 3


@dataclass(frozen=True)
class Checked:
    sentences: list[tuple[str, list[int]]]  # the kept sentences, inert, each with the passage numbers it cites
    kept_text: str  # the kept sentences joined, markers normalised ("... [1][3]")
    dropped: int
    use_extract: bool  # nothing kept, or too much dropped: show today's extract answer instead
    reasons: list[str] = field(default_factory=list)  # why each dropped sentence went (for logs and eval)

    @property
    def cited(self) -> list[list[int]]:
        return [numbers for _, numbers in self.sentences]


def check(reply: str, passages: Sequence[str]) -> Checked:
    """The sentences of ``reply`` that ``passages`` (numbered from 1, as sent) support."""
    kept: list[tuple[str, list[int]]] = []
    reasons: list[str] = []
    found = sentences(reply)
    for sentence in found:
        inert = Sentence(text=neutral(sentence.text), cited=sentence.cited)
        reason = _unsupported(inert, passages)
        if reason:
            reasons.append(reason)
        else:
            kept.append((inert.text, list(inert.cited)))
    dropped = len(found) - len(kept)
    use_extract = not kept or dropped > len(found) * MAX_FAILING_SHARE
    text = " ".join(f"{words} {''.join(f'[{n}]' for n in numbers)}" for words, numbers in kept)
    return Checked(sentences=kept, kept_text=text, dropped=dropped, use_extract=use_extract, reasons=reasons)


def _unsupported(sentence: Sentence, passages: Sequence[str]) -> str | None:
    """Why the cited passages do not support ``sentence``; None when they do."""
    if not sentence.text.strip(" .;:,!?"):
        return "no words"
    if not sentence.cited:
        return "cites no passage"
    if any(number < 1 or number > len(passages) for number in sentence.cited):
        return "cites a passage that does not exist"
    source_text = "\n".join(passages[number - 1] for number in sentence.cited)
    missing = vouched(facts(sentence.text, first_word_is_name=False), facts(source_text), source_text)
    if missing:
        return f"{len(missing)} fact(s) not in the cited passages"
    terms = terms_of(sentence.text)
    if terms and len(terms & terms_of(source_text)) / len(terms) < OVERLAP_FLOOR:
        return "too few of its words are in the cited passages"
    return None
