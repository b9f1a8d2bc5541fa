"""The weekly digests' text: ``render`` (a manager's teams) and ``render_org`` (an admin's organisation) turn the
figures of ``digest_figures`` into the one message each reader gets, the same text ``--dry-run`` prints.
"""
from __future__ import annotations

from datetime import timedelta

from bot.context import LorebotContext
from bot.curation.impact import Impact
from bot.messages import impact_figures, llm_skipped_line, source_health_line
from bot.replies import Reply
from jobs import messages
from jobs.digest_figures import TOP_KNOWLEDGE, OrgWeek, TeamWeek
from jobs.render import duration, said


def _change(now: int, before: int, *, short: bool = False) -> str:
    n = now - before
    if short:
        template = messages.DIGEST_CHANGE_UP_SHORT if n > 0 else (
            messages.DIGEST_CHANGE_DOWN_SHORT if n < 0 else messages.DIGEST_CHANGE_SAME_SHORT)
    else:
        template = messages.DIGEST_CHANGE_UP if n > 0 else (
            messages.DIGEST_CHANGE_DOWN if n < 0 else messages.DIGEST_CHANGE_SAME)
    return template.format(n=abs(n))


def _figure_lines(week: TeamWeek) -> list[str]:
    """Each figure beside last week's: asked, how it was answered, per topic, time to a champion's answer."""
    before = week.previous or TeamWeek(team=week.team, start=week.start, end=week.end)
    lines = [messages.DIGEST_ASKED.format(asked=week.asked, change=_change(week.asked, before.asked))]
    for what, count, previous in [(messages.DIGEST_BY_BOT, week.by_bot, before.by_bot),
                                  (messages.DIGEST_BY_CHAMPIONS, week.by_champions, before.by_champions),
                                  (messages.DIGEST_STILL_OPEN, week.still_open, before.still_open),
                                  (messages.DIGEST_NOT_HELPFUL, week.not_helpful, before.not_helpful)]:
        lines.append(messages.DIGEST_FIGURE.format(what=what, count=count, share=week.share(count),
                                                   change=_change(count, previous)))
    topics = sorted(set(week.topics) | set(before.topics),
                    key=lambda t: (-week.topics.get(t, 0), -before.topics.get(t, 0), t or "~"))
    lines.append(messages.DIGEST_TOPICS.format(topics=", ".join(
        messages.DIGEST_TOPIC.format(topic=topic or messages.DIGEST_NO_TOPIC, count=week.topics.get(topic, 0),
                                     change=_change(week.topics.get(topic, 0), before.topics.get(topic, 0),
                                                    short=True))
        for topic in topics)))
    if week.median_to_champion is None:
        lines.append(messages.DIGEST_NO_MEDIAN)
    else:
        lines.append(messages.DIGEST_MEDIAN.format(
            duration=duration(week.median_to_champion),
            before=messages.DIGEST_MEDIAN_BEFORE.format(duration=duration(before.median_to_champion))
            if before.median_to_champion is not None else messages.DIGEST_MEDIAN_NONE_BEFORE))
    return lines


def _gap_lines(week: TeamWeek) -> list[str]:
    if not week.gaps:
        return [messages.DIGEST_NO_GAPS] if week.asked else []
    lines = [messages.DIGEST_GAPS_HEADER]
    for gap in week.gaps:
        if gap.example is None:
            lines.append(messages.DIGEST_GAP_UNQUOTED.format(count=gap.count))
        elif gap.label:
            lines.append(messages.DIGEST_GAP_NAMED.format(label=said(gap.label, 60), count=gap.count,
                                                          example=said(gap.example, 120), link=gap.link).rstrip())
        else:
            lines.append(messages.DIGEST_GAP_LINE.format(count=gap.count, example=said(gap.example, 120),
                                                         link=gap.link).rstrip())
    return lines


def _champion_lines(champions: list[Impact], asked: int) -> list[str]:
    """Each helpful champion's week, a line per topic (``bot.curation.impact`` defines the figures)."""
    if not champions:
        return [messages.DIGEST_NO_CHAMPIONS] if asked else []
    return [messages.DIGEST_CHAMPIONS_HEADER, *(messages.DIGEST_CHAMPION_LINE.format(
        name=said(c.name), topic=c.topic or messages.DIGEST_NO_TOPIC,
        figures=impact_figures(c.answers, c.verified, c.median_to_answer, c.served)) for c in champions)]


def _title(template: str, week: TeamWeek, team: str, tz) -> str:
    return template.format(team=team, start=week.start.astimezone(tz).strftime("%d %b"),
                           end=(week.end - timedelta(seconds=1)).astimezone(tz).strftime("%d %b"))


def render(ctx: LorebotContext, weeks: list[TeamWeek]) -> Reply:
    """One message for a manager, one section per team they lead."""
    sections = []
    for week in weeks:
        lines = []
        if len(weeks) > 1:
            lines.append(messages.DIGEST_TEAM_SECTION.format(team=week.team))
        if week.asked:
            lines.extend(_figure_lines(week))
        elif week.previous is not None and week.previous.asked:
            lines.append(messages.DIGEST_NO_QUESTIONS_BEFORE.format(before=week.previous.asked))
        else:
            lines.append(messages.DIGEST_NO_QUESTIONS)
        lines.extend(_gap_lines(week))
        lines.append(messages.DIGEST_NEW_KNOWLEDGE.format(verified=len(week.new_verified),
                                                          lessons=week.lessons_shared,
                                                          promoted=len(week.lessons_promoted)))
        lines.extend(messages.DIGEST_KNOWLEDGE_LINE.format(text=said(text, 100))
                     for text in [t for t in [*week.new_verified, *week.lessons_promoted] if t][:TOP_KNOWLEDGE])
        lines.extend(_champion_lines(week.champions, week.asked))
        sections.append("\n".join(lines))
    team = weeks[0].team if len(weeks) == 1 else ", ".join(w.team for w in weeks)
    return Reply(title=_title(messages.DIGEST_TITLE, weeks[0], team, ctx.config.tz), text="\n\n".join(sections),
                 context=messages.DIGEST_CONTEXT)


def render_org(ctx: LorebotContext, org: OrgWeek) -> Reply:
    """The admins' digest: everyone's figures and gaps, a line per team, then the askers in no team, and the
    verified answers worth adding to the handbook."""
    everyone = org.everyone
    lines = [*_figure_lines(everyone), *_gap_lines(everyone)] if everyone.asked else [messages.DIGEST_ORG_NO_QUESTIONS]
    lines.extend(_champion_lines(org.champions, everyone.asked))
    sections = ["\n".join(lines)]
    if org.teams:
        sections.append("\n".join([messages.DIGEST_TEAMS_HEADER, *(messages.DIGEST_TEAM_LINE.format(
            team=said(week.team), asked=week.asked,
            change=_change(week.asked, week.previous.asked if week.previous else 0),
            bot=week.share(week.by_bot), open=week.still_open) for week in org.teams)]))
    unassigned = org.unassigned
    if unassigned.asked or (unassigned.previous and unassigned.previous.asked):
        sections.append("\n".join([messages.DIGEST_UNASSIGNED_HEADER, *_figure_lines(unassigned),
                                   *_gap_lines(unassigned)]))
    else:
        sections.append(messages.DIGEST_UNASSIGNED_NONE)
    if org.handbook_gaps:
        sections.append("\n".join([messages.DIGEST_HANDBOOK_HEADER, *(messages.DIGEST_HANDBOOK_LINE.format(
            question=said(gap.question, 120), answer=said(gap.answer, 200), champion=said(gap.champion))
            for gap in org.handbook_gaps)]))
    if org.troubled_sources:
        sections.append("\n".join([messages.DIGEST_SOURCES_HEADER, *(
            f"• {source_health_line(health, ctx.config.tz)}" for health in org.troubled_sources)]))
    if org.llm_skipped is not None:
        sections.append(llm_skipped_line(org.llm_skipped, ctx.config.tz))
    return Reply(title=_title(messages.DIGEST_ORG_TITLE, everyone, "", ctx.config.tz), text="\n\n".join(sections),
                 context=messages.DIGEST_ORG_CONTEXT)
