"""`lorebot eval --paraphrases/--near-misses`: does a verified answer reach the rewordings of its question, and
only those?

For each pair a champion verifies an answer to ``a`` through the very code a ✅ runs, the second question is
asked through the bot's own answer decision, and the entry is withdrawn again (also as a champion would), so the
figures describe the shipped behaviour, not a model of it. The default answer is one short neutral sentence, so
a match rests on the questions; a line's ``"answer"`` overrides it.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from bot.curation import curating
from bot.addresses import Person
from bot.asking.flow import decide
from bot.people.audiences import Reader
from bot.config import LorebotConfig
from bot.context import LorebotContext
from bot.ports import Clock, Knowledge, Messenger
from bot.tables.curation import VerifiedAnswer
from bot.tables.questions import ChampionAnswer, Question, text_key

if TYPE_CHECKING:  # the client (openai) loads only where an [llm] is configured
    from knowledge.llm import Llm

NEUTRAL_ANSWER = "A champion answered this question."
PLATFORM = "console"
CHANNEL = "evaluation"
CHAMPION = Person(PLATFORM, "evaluation-champion", "Evaluation champion")


@dataclass(frozen=True)
class Pair:
    verified: str  # the question a champion verified an answer for
    asked: str  # the question asked afterwards
    answer: str = NEUTRAL_ANSWER


def reuse_rate(knowledge: Knowledge, config: LorebotConfig, messenger: Messenger, clock: Clock,
               pairs: list[Pair], llm: Llm | None = None) -> float:
    """Share of pairs whose second question is answered, as verified, from the first question's entry.

    ``llm`` (``eval --llm`` with ``judge`` on) is the judge the bot's decision may ask about a match in the
    uncertain band; it goes where the decision is made, so the figure stays the shipped behaviour's.
    The bot's tables must exist (the composition root creates them, ``adapters.wiring.create_schema``)."""
    ctx = LorebotContext(config=config, knowledge=knowledge, messenger=messenger, clock=clock, engine=knowledge.engine,
                         llm=llm)
    reused = 0
    run = uuid.uuid4().hex[:8]  # several runs may share one knowledge base
    for number, pair in enumerate(pairs):
        with ctx.session() as session:
            now = ctx.now()
            question = Question(platform=PLATFORM, asker_id="evaluation-asker", channel=CHANNEL,
                                message_id=f"evaluation-{run}-{number}", text=pair.verified,
                                text_key=text_key(pair.verified), status="routed", asked_at=now, routed_at=now)
            session.add(question)
            session.commit()
            reply = ChampionAnswer(question_id=question.id, champion_id=CHAMPION.key, champion_name=CHAMPION.name,
                                   text=pair.answer, message_id=f"evaluation-{run}-answer-{number}", answered_at=now)
            session.add(reply)
            session.commit()
            curating.verify(ctx, session, CHAMPION, question, reply)
            verified = session.exec(select(VerifiedAnswer).where(VerifiedAnswer.champion_answer_id == reply.id,
                                                                 VerifiedAnswer.status == "active")).one()
            _, answer = decide(ctx, session, Reader.in_channel(PLATFORM, CHANNEL), pair.asked)
            reused += answer.answered and answer.is_verified and answer.entry_id == verified.entry_id
            curating.unverify(ctx, session, CHAMPION, question, reply)
    return round(reused / len(pairs), 4) if pairs else 0.0
