"""Lessons learned: replies in the weekly prompt's thread are kept as candidates, and a ✅ on one by a champion
of that channel's team or topic (see ``may_promote``) adds it to the knowledge base as verified knowledge.

An extension of the core: it is asked only about thread replies and reactions the core did not claim.
"""
from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.tables.curation import CurationAudit
from bot.tables.lessons import CANDIDATE, PROMOTED, PROMOTING, Lesson, LessonPrompt
from bot.events import Action, Edit, Reaction, ThreadReply
from bot.people.profiles import display_name
from bot.people.audiences import Reader, place_audience, verified_collection
from bot.config import LorebotConfig

log = logging.getLogger("lorebot.lessons")

VERIFY_EMOJI = "white_check_mark"


LESSON_SOURCE = "lesson"
QUESTION_CHARS = 300


def _name(ctx, person) -> str:
    namer = getattr(ctx, "person_name", None)
    if callable(namer):
        return namer(person)
    return display_name(ctx.config, person)


def may_promote(ctx, person, platform: str, channel: str) -> bool:
    """Whether this person's ✅ promotes lessons shared in this channel: a team's lessons channel belongs to the
    champions of that team (people of the team who champion a topic), a topic's channel to that topic's
    champions. A channel that is neither (``jobs.lessons.channels``, company-wide) is any champion's."""
    teams = [name for name, team in ctx.config.teams.items() if team.lessons_channel.get(platform) == channel]
    topics = [name for name, topic in ctx.config.topics.items() if topic.channel.get(platform) == channel]
    if not ctx.is_champion(person):
        return False
    if not teams and not topics:
        return True
    handle = ctx.config.handle_for(person.platform, person.id)
    team = ctx.config.people[handle].team if handle else None
    return team in teams or any(ctx.is_champion(person, topic) for topic in topics)


def _lesson_at(session, platform: str, channel: str, message_id: str) -> Lesson | None:
    return session.exec(select(Lesson).where(Lesson.platform == platform, Lesson.channel == channel,
                                             Lesson.message_id == message_id)).first()


class LessonsExtension:
    """Captures lessons in prompt threads and promotes them on a champion's ✅."""

    def handle_thread_reply(self, ctx, event: ThreadReply) -> bool:
        where = event.where
        with ctx.session() as session:
            prompt = session.exec(select(LessonPrompt).where(
                LessonPrompt.platform == where.platform, LessonPrompt.channel == where.channel,
                LessonPrompt.message_id == where.thread,
            )).first()
            if prompt is None or not event.text.strip():
                return False
            lesson = Lesson(
                prompt_id=prompt.id, platform=where.platform, channel=where.channel, message_id=event.message_id,
                author_id=event.person.key, author_name=_name(ctx, event.person),
                author_handle=ctx.config.handle_for(event.person.platform, event.person.id),
                text=event.text.strip(), shared_at=ctx.clock(),
            )
            session.add(lesson)
            try:
                session.commit()
                log.info("lesson %s captured in prompt %s", lesson.id, prompt.id)
            except IntegrityError:
                session.rollback()  # the same reply delivered twice
        return True

    def handle_reaction(self, ctx, event: Reaction) -> bool:
        if event.emoji != VERIFY_EMOJI:
            return False
        if not event.added:
            return self._withdraw(ctx, event)
        ref = event.message
        with ctx.session() as session:
            lesson = _lesson_at(session, ref.address.platform, ref.address.channel, ref.message_id)
            if lesson is None:
                return False
            if not may_promote(ctx, event.person, lesson.platform, lesson.channel):
                return False  # not curation; the core may keep it as feedback
            # Take the lesson with one conditional update so two deliveries or replicas promote it once.
            taken = session.execute(
                update(Lesson).where(Lesson.id == lesson.id, Lesson.status == CANDIDATE)
                # when it started: see bot.recovery.curation_recovery
                .values(status=PROMOTING, promoted_at=ctx.clock())
            ).rowcount
            session.commit()
            if taken != 1:
                return True
            name = _name(ctx, event.person)
            try:
                entry_id = ctx.knowledge.add_entry(
                    lesson.text[:QUESTION_CHARS], lesson.text, source=LESSON_SOURCE, verified_by=name,
                    collection=lesson_collection(ctx.config, lesson),
                )
            except Exception:
                session.execute(update(Lesson).where(Lesson.id == lesson.id).values(status=CANDIDATE))
                session.commit()
                raise
            now = ctx.clock()
            session.execute(update(Lesson).where(Lesson.id == lesson.id).values(
                status=PROMOTED, promoted_by=event.person.key, promoted_at=now, entry_id=entry_id,
            ))
            session.add(CurationAudit(actor_id=event.person.key, action="promote_lesson", reason=f"lesson {lesson.id}",
                                      at=now))
            session.commit()
            log.info("lesson %s promoted to entry %s", lesson.id, entry_id)
        return True

    def _withdraw(self, ctx, event: Reaction) -> bool:
        """The promoting champion removed their ✅: the lesson leaves the knowledge base again."""
        ref = event.message
        with ctx.session() as session:
            lesson = session.exec(select(Lesson).where(
                Lesson.platform == ref.address.platform, Lesson.channel == ref.address.channel,
                Lesson.message_id == ref.message_id, Lesson.status == PROMOTED,
                Lesson.promoted_by == event.person.key,
            )).first()
            if lesson is None:
                return False
            entry_id = lesson.entry_id
            lesson.status, lesson.entry_id, lesson.promoted_by, lesson.promoted_at = CANDIDATE, None, None, None
            session.add(lesson)
            session.add(CurationAudit(actor_id=event.person.key, action="withdraw_lesson",
                                      reason=f"lesson {lesson.id}", at=ctx.clock()))
            session.commit()
            if entry_id is not None:  # after the commit: a crash leaves an entry nothing holds (curation_recovery)
                ctx.knowledge.remove_entry(entry_id)
            log.info("lesson %s withdrawn", lesson.id)
        return True

    def handle_edit(self, ctx, event: Edit) -> bool:
        """The author reworded their lesson: a later ✅ promotes the new words. A promoted lesson's entry keeps
        the words that were promoted (taking the ✅ off and putting it back promotes the new ones); anyone
        else's edit changes nothing."""
        with ctx.session() as session:
            lesson = _lesson_at(session, event.where.platform, event.where.channel, event.message_id)
            if lesson is None:
                return False
            text = event.text.strip()
            if lesson.author_id != event.person.key or not text:
                log.info("edit of lesson %s ignored", lesson.id)
                return True
            lesson.text = text
            session.add(lesson)
            session.commit()
            log.info("lesson %s edited (%s)", lesson.id, lesson.status)
        return True

    def handle_action(self, ctx, event: Action) -> bool:
        return False


def lesson_collection(config: LorebotConfig, lesson: Lesson) -> str:
    """A lesson shared in a restricted channel stays readable only by that channel's audience."""
    return verified_collection(place_audience(config, Reader.in_channel(lesson.platform, lesson.channel)))
