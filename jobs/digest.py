"""The weekly manager digest: what each team asked, learned and could not find in the week before the run.

``team_week`` computes the numbers (tested against hand-computed values); ``render`` turns them into the one
message a manager reads, the same text ``--dry-run`` prints.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot import audiences
from bot.audiences import Reader
from bot.context import LorebotContext
from bot.curation import VerifiedAnswer
from bot.lessons import PROMOTED, Lesson
from bot.people import PersonRow
from bot.questions import ChampionAnswer, Question
from bot.replies import Reply
from jobs import messages, themes
from jobs.outbox import Delivery
from jobs.render import duration, said

NAME = "digest"
WEEK = timedelta(days=7)
TOP_CHAMPIONS = 3
TOP_KNOWLEDGE = 3


@dataclass
class Gap:
    count: int
    example: str | None  # None when every question of the theme is private or restricted for the reader


@dataclass
class ChampionScore:
    name: str
    answers: int
    verified: int


@dataclass
class TeamWeek:
    team: str
    start: datetime
    end: datetime
    asked: int = 0
    by_bot: int = 0
    by_champions: int = 0
    still_open: int = 0
    median_to_champion: timedelta | None = None
    gaps: list[Gap] = field(default_factory=list)
    new_verified: list[str | None] = field(default_factory=list)  # None: not to be quoted to the reader
    lessons_shared: int = 0
    lessons_promoted: list[str | None] = field(default_factory=list)
    champions: list[ChampionScore] = field(default_factory=list)

    def share(self, part: int) -> int:
        return round(100 * part / self.asked) if self.asked else 0


def team_members(ctx: LorebotContext, session: Session, team: str) -> tuple[set[str], set[tuple[str, str]]]:
    """The team's config handles and the (platform, user id) pairs the bot has seen for it."""
    handles = {handle for handle, person in ctx.config.people.items() if person.team == team}
    ids = {(platform, user_id) for handle in handles for platform, user_id in ctx.config.people[handle].ids.items()}
    ids |= {("console", handle) for handle in handles}
    for row in session.exec(select(PersonRow).where(PersonRow.team == team)).all():
        ids.add((row.platform, row.user_id))
    return handles, ids


def team_week(ctx: LorebotContext, session: Session, team: str, end: datetime,
              reader: Reader | None = None) -> TeamWeek:
    """The team's week as ``reader`` (the team's manager unless given) may read it: every question counts, but
    only what the reader may read is quoted (never a direct message's words, never a restricted collection's
    question to someone outside its audience)."""
    start = end - WEEK
    week = TeamWeek(team=team, start=start, end=end)
    handles, ids = team_members(ctx, session, team)
    reader = reader or Reader.of_handle(ctx.config.teams[team].manager)

    def quotable(question: Question | None) -> bool:
        return question is not None and not question.private and audiences.may_read_all(
            ctx.config, reader, audiences.loads(question.audience))

    def in_team(question: Question) -> bool:
        return question.asker_handle in handles or (question.platform, question.asker_id) in ids

    asked = [q for q in session.exec(
        select(Question).where(Question.asked_at >= start, Question.asked_at < end).order_by(Question.asked_at, Question.id)
    ).all() if in_team(q)]
    week.asked = len(asked)
    week.by_bot = sum(1 for q in asked if q.resolved_by == "bot")
    week.by_champions = sum(1 for q in asked if q.resolved_by == "champion")
    week.still_open = sum(1 for q in asked if q.resolved_by is None and q.status != "closed")

    waits = [q.champion_answered_at - (q.routed_at or q.asked_at) for q in asked
             if q.champion_answered_at is not None and q.champion_answered_at >= (q.routed_at or q.asked_at)]
    week.median_to_champion = statistics.median(waits) if waits else None

    threshold = ctx.config.answers.answer_threshold
    gap_questions = [q for q in asked
                     if q.resolved_by != "bot" or (q.confidence is not None and q.confidence < threshold)]
    grouped = themes.group([q.text for q in gap_questions], themes.embed_function(ctx.knowledge))
    week.gaps = [Gap(count=theme.count, example=next(
        (gap_questions[i].text for i in theme.members if quotable(gap_questions[i])), None))
        for theme in grouped[: ctx.config.jobs.digest.max_gaps]]

    asked_ids = {q.id for q in asked}
    team_champion_keys = {f"{p}:{u}" for p, u in ids}
    verified = session.exec(select(VerifiedAnswer).where(
        VerifiedAnswer.verified_at >= start, VerifiedAnswer.verified_at < end, VerifiedAnswer.status == "active",
    ).order_by(VerifiedAnswer.verified_at, VerifiedAnswer.id)).all()
    questions = _questions(session, [v.question_id for v in verified])
    team_question_ids = {qid for qid, q in questions.items() if in_team(q)}
    # A verified answer is knowledge now: its question is quoted to whoever may read its audience.
    week.new_verified = [v.question_text if audiences.may_read_all(ctx.config, reader, audiences.loads(
        questions[v.question_id].audience if v.question_id in questions else "[]")) else None
        for v in verified if v.question_id in team_question_ids or v.champion_id in team_champion_keys]

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

    week.champions = _champions(session, asked_ids, start, end)
    return week


def _questions(session: Session, question_ids: list[int | None]) -> dict[int, Question]:
    wanted = [qid for qid in question_ids if qid is not None]
    if not wanted:
        return {}
    return {q.id: q for q in session.exec(select(Question).where(Question.id.in_(wanted))).all()}


def _champions(session: Session, question_ids: set[int], start: datetime, end: datetime) -> list[ChampionScore]:
    """Champions ranked by this week's answers and verifications on the team's questions."""
    if not question_ids:
        return []
    answered: dict[str, set[int]] = defaultdict(set)
    names: dict[str, str] = {}
    for answer in session.exec(select(ChampionAnswer).where(
            ChampionAnswer.question_id.in_(question_ids), ChampionAnswer.answered_at < end)).all():
        answered[answer.champion_id].add(answer.question_id)
        names[answer.champion_id] = answer.champion_name or answer.champion_id
    verified: dict[str, int] = defaultdict(int)
    for row in session.exec(select(VerifiedAnswer).where(
            VerifiedAnswer.question_id.in_(question_ids), VerifiedAnswer.status == "active",
            VerifiedAnswer.verified_at >= start, VerifiedAnswer.verified_at < end)).all():
        verified[row.champion_id] += 1
        names.setdefault(row.champion_id, row.champion_name or row.champion_id)
    scores = [ChampionScore(name=names[key], answers=len(answered.get(key, ())), verified=verified.get(key, 0))
              for key in names]
    scores.sort(key=lambda s: (-(s.answers + s.verified), -s.answers, s.name))
    return scores[:TOP_CHAMPIONS]


def render(ctx: LorebotContext, weeks: list[TeamWeek]) -> Reply:
    """One message for a manager, one section per team they lead."""
    tz = ctx.config.tz
    sections = []
    for week in weeks:
        lines = []
        if len(weeks) > 1:
            lines.append(f"**{week.team}**")
        if week.asked:
            lines.append(messages.DIGEST_ASKED.format(asked=week.asked, bot=week.share(week.by_bot),
                                                      champions=week.share(week.by_champions),
                                                      open=week.share(week.still_open)))
            lines.append(messages.DIGEST_MEDIAN.format(duration=duration(week.median_to_champion))
                         if week.median_to_champion is not None else messages.DIGEST_NO_MEDIAN)
        else:
            lines.append(messages.DIGEST_NO_QUESTIONS)
        if week.gaps:
            lines.append(messages.DIGEST_GAPS_HEADER)
            lines.extend(messages.DIGEST_GAP_LINE.format(count=gap.count, example=said(gap.example, 120))
                         if gap.example is not None else messages.DIGEST_GAP_UNQUOTED.format(count=gap.count)
                         for gap in week.gaps)
        elif week.asked:
            lines.append(messages.DIGEST_NO_GAPS)
        lines.append(messages.DIGEST_NEW_KNOWLEDGE.format(verified=len(week.new_verified),
                                                          lessons=week.lessons_shared,
                                                          promoted=len(week.lessons_promoted)))
        lines.extend(messages.DIGEST_KNOWLEDGE_LINE.format(text=said(text, 100))
                     for text in [t for t in [*week.new_verified, *week.lessons_promoted] if t][:TOP_KNOWLEDGE])
        if week.champions:
            lines.append(messages.DIGEST_CHAMPIONS_HEADER)
            lines.extend(messages.DIGEST_CHAMPION_LINE.format(name=said(c.name), answers=c.answers, verified=c.verified)
                         for c in week.champions)
        elif week.asked:
            lines.append(messages.DIGEST_NO_CHAMPIONS)
        sections.append("\n".join(lines))
    first = weeks[0]
    title = messages.DIGEST_TITLE.format(
        team=first.team if len(weeks) == 1 else ", ".join(w.team for w in weeks),
        start=first.start.astimezone(tz).strftime("%d %b"),
        end=(first.end - timedelta(seconds=1)).astimezone(tz).strftime("%d %b"),
    )
    return Reply(title=title, text="\n\n".join(sections), context=messages.DIGEST_CONTEXT)


def plan(ctx: LorebotContext, session: Session, at: datetime, *, dry_run: bool) -> list[Delivery]:
    by_manager: dict[str, list[str]] = defaultdict(list)
    for team, settings in ctx.config.teams.items():
        by_manager[settings.manager].append(team)
    deliveries = []
    for manager, teams in by_manager.items():
        person = ctx.reach(manager)
        if person is None:
            continue
        weeks = [team_week(ctx, session, team, at, Reader.of_handle(manager)) for team in teams]
        deliveries.append(Delivery(recipient=f"dm:{manager}", platform=person.platform, kind="dm", target=person.id,
                                   reply=render(ctx, weeks), meta={"teams": teams}))
    return deliveries
