"""Who may press a question's buttons, and from where.

A button's value is only a question (or answer) id, and ids can be forged: Teams card data comes from the
client, and even a genuine Slack click can carry an id typed into a crafted payload. So an action counts only
when it comes from a place where that question's button was shown (the asker's conversation and thread, or
one of its routed posts) and from someone entitled to press it there (the asker or a champion of the topic
for the asker's buttons; a champion of the topic for the champions' buttons).

An action from anywhere else is answered like an unknown id ("that button no longer works"): the answer
says nothing about whether the question exists. Someone in the right place but not entitled (a colleague in a
channel thread) is told who may press it; they can see that thread anyway, so nothing leaks.
"""
from __future__ import annotations

from sqlmodel import Session, select

from bot.addresses import Address, Person
from bot.context import LorebotContext
from bot.tables.questions import Question, RoutedPost


def is_asker(question: Question, person: Person) -> bool:
    return (person.platform, person.id) == (question.platform, question.asker_id)


def in_place(where: Address, platform: str, channel: str, thread: str | None) -> bool:
    """The click came from that conversation, in that thread. A conversation without threads (a Teams chat,
    where the adapter may not know a message's thread) is matched by the conversation alone."""
    if (where.platform, where.channel) != (platform, channel):
        return False
    return where.thread is None or where.thread == thread


def in_askers_thread(question: Question, where: Address) -> bool:
    """The click came from the asker's conversation, in the question's thread (a Teams personal chat, matched
    by the conversation alone, is the asker's own anyway)."""
    return in_place(where, question.platform, question.channel, question.thread)


def in_routed_post(session: Session, question: Question, where: Address) -> bool:
    """The click came from the thread of one of the posts that asked the champions about this question."""
    if not where.thread:
        return False
    post = session.exec(select(RoutedPost.id).where(
        RoutedPost.question_id == question.id, RoutedPost.platform == where.platform,
        RoutedPost.channel == where.channel, RoutedPost.message_id == where.thread)).first()
    return post is not None


def may_give_feedback(ctx: LorebotContext, question: Question, person: Person) -> bool:
    """The asker's buttons (Helpful, Not helpful, Ask a champion, Yes / No): the asker, or a champion of the
    question's topic who looks after it."""
    return is_asker(question, person) or ctx.is_champion(person, question.topic)


def may_steer(ctx: LorebotContext, question: Question, person: Person) -> bool:
    """Reassign, merge and edit-verified are typed commands, not buttons shown somewhere, so they carry no place
    to check: they count for a champion of the question's topic, wherever typed, and for nobody else. Everyone
    else is answered as for an unknown id, so the commands tell nothing about questions outside one's topics."""
    return ctx.is_champion(person, question.topic)
