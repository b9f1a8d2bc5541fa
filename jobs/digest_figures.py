"""The weekly digests' figures: what each team asked, learned and could not find in the week before a run, beside
the week before that, and the whole organisation's week, where askers in no team count too (``team_week``,
``org_week``; tested against hand-computed values). Only numbers and the questions they rest on, read from the
store under the digest's audience rule; ``digest_text`` turns them into messages.
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlmodel import Session, select

from bot.people import audiences
from bot.addresses import Address, MessageRef
from bot.people.audiences import Reader
from bot.context import LorebotContext
from bot.curation.impact import Impact, impact, questions_by_id
from bot.tables import llm_health
from bot.replies import NOT_HELPFUL
from bot.tables.curation import VerifiedAnswer
from bot.tables.feedback import Feedback
from bot.tables.lessons import PROMOTED, Lesson
from bot.tables.people import PersonRow
from bot.tables.questions import Question
from jobs import messages, themes
from jobs.handbook_gaps import HandbookGap, handbook_gaps
from jobs.render import thread_link
from jobs.verified import verified
from knowledge.sources.status import source_health


WEEK = timedelta(days=7)
TOP_CHAMPIONS = 3
TOP_KNOWLEDGE = 3
NOT_HELPFUL_KINDS = (NOT_HELPFUL, "-1")  # the asker's button, or a 👎 on the answer


@dataclass
class Gap:
    count: int
    example: str | None  # None when every question of the theme is private or restricted for the reader
    label: str | None = None  # the theme's name, from the words of the questions the reader may read
    link: str = ""  # "[open thread](url)" to the example's thread


@dataclass
class TeamWeek:
    team: str
    start: datetime
    end: datetime
    asked: int = 0
    by_bot: int = 0
    by_champions: int = 0
    still_open: int = 0
    not_helpful: int = 0  # answered by Lorebot, and the asker said it did not help
    median_to_champion: timedelta | None = None
    topics: dict[str | None, int] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    new_verified: list[str | None] = field(default_factory=list)  # None: not to be quoted to the reader
    lessons_shared: int = 0
    lessons_promoted: list[str | None] = field(default_factory=list)
    champions: list[Impact] = field(default_factory=list)  # the most helpful, a row per champion and topic
    previous: "TeamWeek | None" = None  # the week before, its figures only

    def share(self, part: int) -> int:
        return round(100 * part / self.asked) if self.asked else 0


@dataclass
class OrgWeek:
    """The whole organisation's week, for an admin: everyone, each team, and the askers in no team."""

    everyone: TeamWeek
    teams: list[TeamWeek]
    unassigned: TeamWeek
    troubled_sources: list = field(default_factory=list)  # SourceHealth of each source needing an admin's look
    llm_skipped: object | None = None  # bot.tables.llm_health.LlmHealth while the LLM is being skipped
    handbook_gaps: list[HandbookGap] = field(default_factory=list)  # verified answers no document covers
    champions: list[Impact] = field(default_factory=list)  # everyone's most helpful, a row per champion and topic


Members = tuple[set[str], set[tuple[str, str]]]


def team_members(ctx: LorebotContext, session: Session, team: str) -> Members:
    """The team's config handles and the (platform, user id) pairs the bot has seen for it."""
    handles = {handle for handle, person in ctx.config.people.items() if person.team == team}
    ids = person_ids(ctx, handles)
    for row in session.exec(select(PersonRow).where(PersonRow.team == team)).all():
        ids.add((row.platform, row.user_id))
    return handles, ids


def person_ids(ctx: LorebotContext, handles: set[str]) -> set[tuple[str, str]]:
    """The (platform, user id) pairs lorebot.toml gives these people, and the console's, which is the handle."""
    ids = {(platform, user_id) for handle in handles for platform, user_id in ctx.config.people[handle].ids.items()}
    return ids | {("console", handle) for handle in handles}


def _belongs(members: Members) -> Callable[[Question], bool]:
    handles, ids = members
    return lambda question: question.asker_handle in handles or (question.platform, question.asker_id) in ids


def _quotable(ctx: LorebotContext, reader: Reader) -> Callable[[Question | None], bool]:
    def quotable(question: Question | None) -> bool:
        return question is not None and not question.private and audiences.may_read_all(
            ctx.config, reader, audiences.loads(question.audience))
    return quotable


def _asked(session: Session, start: datetime, end: datetime, belongs: Callable[[Question], bool]) -> list[Question]:
    return [q for q in session.exec(
        select(Question).where(Question.asked_at >= start, Question.asked_at < end).order_by(Question.asked_at, Question.id)
    ).all() if belongs(q)]


def _not_helpful(session: Session, asked: list[Question]) -> set[int]:
    """The questions whose asker said Lorebot's answer did not help (the button, or a 👎 on the answer)."""
    by_id = {q.id: q for q in asked}
    if not by_id:
        return set()
    rows = session.exec(select(Feedback).where(Feedback.question_id.in_(list(by_id)),
                                               Feedback.kind.in_(NOT_HELPFUL_KINDS))).all()
    return {row.question_id for row in rows
            if row.person_id == f"{by_id[row.question_id].platform}:{by_id[row.question_id].asker_id}"}


def _figures(ctx: LorebotContext, session: Session, name: str, end: datetime, belongs: Callable[[Question], bool],
             reader: Reader | None, previous: bool = True) -> tuple[TeamWeek, list[Question]]:
    """The figures every digest shows, for the askers ``belongs`` picks: counts, per topic, gaps (quoted as
    ``reader`` may read them; no gaps without a reader) and the same figures for the week before."""
    start = end - WEEK
    week = TeamWeek(team=name, start=start, end=end)
    asked = _asked(session, start, end, belongs)
    unhelpful = _not_helpful(session, asked)
    week.asked = len(asked)
    week.by_bot = sum(1 for q in asked if q.resolved_by == "bot" and q.id not in unhelpful)
    week.by_champions = sum(1 for q in asked if q.resolved_by == "champion")
    week.still_open = sum(1 for q in asked if q.resolved_by is None and q.status != "closed")
    week.not_helpful = len(unhelpful)
    week.topics = dict(Counter(q.topic for q in asked))

    waits = [q.champion_answered_at - (q.routed_at or q.asked_at) for q in asked
             if q.champion_answered_at is not None and q.champion_answered_at >= (q.routed_at or q.asked_at)]
    week.median_to_champion = statistics.median(waits) if waits else None
    if previous:
        week.previous, _ = _figures(ctx, session, name, start, belongs, None, previous=False)
    if reader is not None:
        week.gaps = _gaps(ctx, session, asked, unhelpful, end, reader)
    return week, asked


def _gaps(ctx: LorebotContext, session: Session, asked: list[Question], unhelpful: set[int], end: datetime,
          reader: Reader) -> list[Gap]:
    """What Lorebot could not answer well, grouped into named themes. A question answered and verified (or asked
    in the words of one) is knowledge now, never a gap."""
    quotable = _quotable(ctx, reader)
    threshold = ctx.config.answers.answer_threshold
    known = verified(session, before=end)
    gap_questions = [q for q in asked if not known.covers(q) and (
        q.resolved_by != "bot" or q.id in unhelpful or (q.confidence is not None and q.confidence < threshold))]
    grouped = themes.group([q.text for q in gap_questions], themes.embed_function(ctx.knowledge))
    readable = [q.text for q in gap_questions if quotable(q)]
    gaps = []
    for theme in grouped[: ctx.config.jobs.digest.max_gaps]:
        members = [gap_questions[i] for i in theme.members if quotable(gap_questions[i])]
        example = members[0] if members else None
        gaps.append(Gap(
            count=theme.count, example=example.text if example else None,
            label=themes.label([q.text for q in members], readable) if members else None,
            link=_thread_link(ctx, example) if example else "",
        ))
    return gaps


def _thread_link(ctx: LorebotContext, question: Question) -> str:
    root = question.thread or question.message_id
    if not root:
        return ""
    return thread_link(ctx, MessageRef(Address(question.platform, question.channel, root), root))


def team_week(ctx: LorebotContext, session: Session, team: str, end: datetime,
              reader: Reader | None = None) -> TeamWeek:
    """The team's week as ``reader`` (the team's manager unless given) may read it: every question counts, but
    only what the reader may read is quoted (never a direct message's words, never a restricted collection's
    question to someone outside its audience)."""
    handles, ids = team_members(ctx, session, team)
    in_team = _belongs((handles, ids))
    reader = reader or Reader.of_handle(ctx.config.teams[team].manager)
    week, asked = _figures(ctx, session, team, end, in_team, reader)
    start = week.start

    team_champion_keys = {f"{p}:{u}" for p, u in ids}
    verified_rows = session.exec(select(VerifiedAnswer).where(
        VerifiedAnswer.verified_at >= start, VerifiedAnswer.verified_at < end, VerifiedAnswer.status == "active",
    ).order_by(VerifiedAnswer.verified_at, VerifiedAnswer.id)).all()
    questions = questions_by_id(session, {v.question_id for v in verified_rows})
    team_question_ids = {qid for qid, q in questions.items() if in_team(q)}
    # A verified answer is knowledge now: its question is quoted to whoever may read its audience.
    week.new_verified = [v.question_text if audiences.may_read_all(ctx.config, reader, audiences.loads(
        questions[v.question_id].audience if v.question_id in questions else "[]")) else None
        for v in verified_rows if v.question_id in team_question_ids or v.champion_id in team_champion_keys]

    channels = {(platform, channel) for platform, channel in ctx.config.teams[team].lessons_channel.items()}
    lessons = [lesson for lesson in session.exec(
        select(Lesson).where(Lesson.shared_at >= start, Lesson.shared_at < end).order_by(Lesson.shared_at, Lesson.id)
    ).all() if lesson.author_handle in handles or lesson.author_id in team_champion_keys
        or (lesson.platform, lesson.channel) in channels]
    week.lessons_shared = len(lessons)
    week.lessons_promoted = [
        lesson.text if audiences.may_read_all(ctx.config, reader, audiences.place_audience(
            ctx.config, Reader.in_channel(lesson.platform, lesson.channel))) else None
        for lesson in lessons if lesson.status == PROMOTED]

    week.champions = most_helpful(impact(session, start, end, concerns=in_team))
    return week


def org_week(ctx: LorebotContext, session: Session, end: datetime, reader: Reader) -> OrgWeek:
    """Everyone's week for an admin, quoted as ``reader`` may read it; askers in no team get their own section,
    so every question counts in some digest."""
    belongs = {team: _belongs(team_members(ctx, session, team)) for team in ctx.config.teams}
    everyone, _ = _figures(ctx, session, messages.DIGEST_EVERYONE, end, lambda q: True, reader)
    teams = [_figures(ctx, session, team, end, in_team, None)[0] for team, in_team in belongs.items()]
    unassigned, _ = _figures(ctx, session, messages.DIGEST_UNASSIGNED, end,
                             lambda q: not any(in_team(q) for in_team in belongs.values()), reader)
    return OrgWeek(everyone=everyone, teams=teams, unassigned=unassigned, troubled_sources=_troubled_sources(ctx),
                   llm_skipped=llm_health.skipped(ctx.engine) if ctx.config.llm else None,
                   handbook_gaps=handbook_gaps(ctx, session, end, reader),
                   champions=most_helpful(impact(session, everyone.start, end)))


def _troubled_sources(ctx: LorebotContext) -> list:
    """Sources whose last sync failed, or with documents waiting for another try, or with removals held back."""
    if not ctx.config.sources or ctx.knowledge is None:
        return []
    return [health for health in source_health(ctx.knowledge.engine, list(ctx.config.sources)) if not health.healthy]


def most_helpful(rows: list[Impact], top: int = TOP_CHAMPIONS) -> list[Impact]:
    """The rows of the ``top`` champions who helped most over all their topics, each champion's rows together,
    their busiest topic first."""
    helped: dict[str, int] = defaultdict(int)
    for row in rows:
        helped[row.champion_id] += row.helped
    chosen = sorted(helped, key=lambda key: (-helped[key], min(r.name for r in rows if r.champion_id == key)))[:top]
    return [row for key in chosen for row in rows if row.champion_id == key]
