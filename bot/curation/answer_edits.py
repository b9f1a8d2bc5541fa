"""A champion edits an answer they gave: what gets verified is what the message says now.

Before verification the edit replaces the stored answer (and the copy relayed to the asker is updated), so a
later ✅ or Verify verifies the words the champion settled on, never the first draft.

After verification the edit still replaces the stored answer and the relayed copy (the asker reads what the
champion wrote), but the verified knowledge keeps the words that were verified: a verification vouches for
the text it saw. The champion is told so; taking the ✅ off and putting it back verifies the new words.

Edits by anyone but the answer's author change nothing (logged by id only).
"""
from __future__ import annotations

import logging

from sqlmodel import Session, select

from bot import messages
from bot.addresses import Address, MessageRef
from bot.context import LorebotContext
from bot.events import Edit
from bot.tables.curation import VerifiedAnswer
from bot.tables.questions import ChampionAnswer, Question, RoutedPost

log = logging.getLogger(__name__)


def handle_edit(ctx: LorebotContext, event: Edit) -> bool:
    """False when the edited message is no champion's answer (extensions may own it)."""
    with ctx.session() as session:
        found = _answer_edited(session, event)
        if found is None:
            return False
        answer, question = found
        if answer.champion_id != event.person.key:
            log.info("edit of champion answer %s by someone else ignored", answer.id)
            return True
        text = event.text.strip()
        if not text or text == answer.text:
            return True
        answer.text = text
        session.add(answer)
        session.commit()
        verified = session.exec(select(VerifiedAnswer.id).where(
            VerifiedAnswer.champion_answer_id == answer.id, VerifiedAnswer.status == "active")).first()
        log.info("champion answer %s edited%s", answer.id, " after verification" if verified else "")
    if answer.relay_message_id:
        relay = MessageRef(Address(question.platform, question.channel, question.thread), answer.relay_message_id)
        try:
            name = answer.champion_name or ctx.person_name(event.person)
            ctx.messenger.update(relay, messages.champion_answered(name, text))
        except Exception as exc:  # noqa: BLE001 - the stored answer is right; the relayed copy is a courtesy
            log.info("relayed copy of answer %s not updated: %s", answer.id, type(exc).__name__)
    if verified is not None:
        ctx.messenger.send(event.where, messages.edited_after_verification())
    return True


def _answer_edited(session: Session, event: Edit) -> tuple[ChampionAnswer, Question] | None:
    """The champion answer that is this message. Message ids are unique within a conversation only, so the
    answer's question must have a routed post, or its own thread, in the conversation the edit came from."""
    where = event.where
    answers = session.exec(select(ChampionAnswer).where(ChampionAnswer.message_id == event.message_id)
                           .order_by(ChampionAnswer.id.desc())).all()
    for answer in answers:
        question = session.get(Question, answer.question_id)
        if question is None or question.platform != where.platform:
            continue
        if question.channel == where.channel or session.exec(select(RoutedPost.id).where(
                RoutedPost.question_id == question.id, RoutedPost.channel == where.channel)).first() is not None:
            return answer, question
    return None
