"""The judge: does a new question ask the same as a verified one, so that the verified answer answers it?

A bi-encoder rates "Can I bring a cat?" close to "Can I bring a dog?"; a model that reads both questions and the
answer together can tell them apart. The reply must be exactly YES or NO: anything else is not a verdict, and the
caller keeps today's behaviour (a suggestion, or the documents) rather than guess.
"""
from __future__ import annotations

import re

from knowledge.llm.client import Message
from knowledge.llm.fencing import new_fence

_INSTRUCTIONS = """You decide whether two questions from employees ask the same thing.
{notice}
A verified question has a verified answer. Reply YES only if the new question asks the same thing, so that the
verified answer answers it fully and correctly; reply NO if it asks about anything different (another item,
person, place, amount, or condition).
Reply with exactly one word: YES or NO."""
_VERDICT = re.compile(r"\s*(yes|no)[\s.!]*", re.IGNORECASE)


def judge_messages(verified_question: str, verified_answer: str, question: str) -> list[Message]:
    fence = new_fence([verified_question, verified_answer, question])
    user = (f"Verified question:\n{fence.around(verified_question)}\n\n"
            f"Verified answer:\n{fence.around(verified_answer)}\n\n"
            f"New question:\n{fence.around(question)}\n\nSame question? YES or NO.")
    return [{"role": "system", "content": _INSTRUCTIONS.format(notice=fence.notice())},
            {"role": "user", "content": user}]


def verdict(reply: str) -> bool | None:
    """True for YES, False for NO, None for anything else (which is no verdict at all)."""
    match = _VERDICT.fullmatch(reply)
    return None if match is None else match.group(1).lower() == "yes"
