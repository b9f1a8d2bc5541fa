"""`lorebot eval --feedback-replay`: does one round of feedback improve the answers to rewordings, and leave
look-alike questions alone?

Each round asks the second question (a rewording ``b``, or a near miss ``c``), then asks the first question
``a`` and gives the feedback its asker would (Helpful when the answer's top source is one of ``a``'s relevant
documents, Not helpful otherwise) through the very code a click runs, then asks the second question again.
Every round starts from a clean slate and removes what it recorded and learned, so rounds do not lean on each
other and the figures describe the shipped behaviour after one judgment.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete

from bot.addresses import Person
from bot.asking.answering import Answer
from bot.asking.flow import decide, record_shown
from bot.config import LorebotConfig
from bot.context import LorebotContext
from bot.curation import feedback_learning
from bot.people.audiences import Reader
from bot.ports import Clock, Knowledge, Messenger
from bot.tables.preferences import HELPFUL, NOT_HELPFUL, LearnedPreference
from bot.tables.questions import AnswerShown, Question, text_key

PLATFORM = "console"
CHANNEL = "evaluation"
ASKER = Person(PLATFORM, "evaluation-asker", "Evaluation asker")


@dataclass(frozen=True)
class Round:
    first: str  # the question asked and judged (``a``)
    second: str  # the question asked before and after (``b`` or ``c``)
    relevant: frozenset[str]  # the documents that answer ``first``, as the knowledge base names them


def replay(knowledge: Knowledge, config: LorebotConfig, messenger: Messenger, clock: Clock,
           paraphrases: list[Round], near_misses: list[Round] | None = None) -> dict:
    """``replay_right_before``/``_after``: share of rewordings answered from one of the first question's
    relevant documents, before and after the feedback; with near misses, ``replay_near_miss_changed``: share
    of near misses whose answer (status or top source) changed. The bot's tables must exist."""
    ctx = LorebotContext(config=config, knowledge=knowledge, messenger=messenger, clock=clock,
                         engine=knowledge.engine)
    run = uuid.uuid4().hex[:8]  # several runs may share one knowledge base
    right_before = right_after = 0
    for number, round_ in enumerate(paraphrases):
        before, after = _round(ctx, round_, f"{run}-p{number}")
        right_before += _top_document(before) in round_.relevant
        right_after += _top_document(after) in round_.relevant
    figures = {"replay_rounds": len(paraphrases),
               "replay_right_before": _share(right_before, len(paraphrases)),
               "replay_right_after": _share(right_after, len(paraphrases))}
    if near_misses is not None:
        changed = 0
        for number, round_ in enumerate(near_misses):
            before, after = _round(ctx, round_, f"{run}-n{number}")
            changed += (before.status, _top_document(before)) != (after.status, _top_document(after))
        figures["replay_near_miss_rounds"] = len(near_misses)
        figures["replay_near_miss_changed"] = _share(changed, len(near_misses))
    return figures


def _round(ctx: LorebotContext, round_: Round, name: str) -> tuple[Answer, Answer]:
    reader = Reader.in_channel(PLATFORM, CHANNEL)
    with ctx.session() as session:
        _, before = decide(ctx, session, reader, round_.second)
        now = ctx.now()
        question = Question(platform=PLATFORM, asker_id=ASKER.id, asker_name=ASKER.name, channel=CHANNEL,
                            message_id=f"evaluation-{name}", text=round_.first, text_key=text_key(round_.first),
                            status="answered", asked_at=now, answered_at=now, resolved_by="bot")
        session.add(question)
        session.flush()
        _, answer = decide(ctx, session, reader, round_.first)
        record_shown(session, question, answer, f"evaluation-{name}-reply", now)
        session.commit()
        kind = HELPFUL if _top_document(answer) in round_.relevant else NOT_HELPFUL
        feedback_learning.learn(ctx, session, question, ASKER, kind)
        _, after = decide(ctx, session, reader, round_.second)
        session.exec(delete(LearnedPreference).where(LearnedPreference.question_id == question.id))
        session.exec(delete(AnswerShown).where(AnswerShown.question_id == question.id))
        session.exec(delete(Question).where(Question.id == question.id))
        session.commit()
    return before, after


def _top_document(answer: Answer) -> str | None:
    """The document the answer comes from: its top source (for "not sure", the nearest one)."""
    return answer.sources[0].document or None if answer.sources else None


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0
