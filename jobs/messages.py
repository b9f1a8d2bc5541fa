"""Everything the scheduled jobs say to people, in one place: short, friendly and with one clear next step."""
from __future__ import annotations

# Champion nudges
NUDGE_TITLE = "Questions waiting for you"
NUDGE_INTRO = "{count} question(s) are waiting for a champion's answer, oldest first. Reply in the thread to answer:"
NUDGE_ESCALATED_INTRO = (
    "You're the backup champion: {count} question(s) have waited through several reminders. Could you take them?"
)
NUDGE_LINE = "• {waited} waiting · _{topic}_ · “{text}” {link}"
NUDGE_LINE_ESCALATED = "• {waited} waiting · _{topic}_ · “{text}” {link} (escalated)"
THREAD_LINK = "[open thread]({url})"
NUDGE_CONTEXT = "Answering once teaches Lorebot for everyone who asks next."

# Weekly lessons prompt
LESSONS_TITLE = "What did you learn this week?"
LESSONS_TEXT = (
    "Share one thing you learned this week: a fix, a shortcut, a policy that surprised you. "
    "**Reply in this thread.** A champion's ✅ adds it to what Lorebot knows."
)
LESSONS_CONTEXT = "Weekly lessons learned"

# Monthly thank-you to a team's champions
SHOUT_OUT_TITLE = "Thank you, champions!"
SHOUT_OUT_TEXT = "Thank you, {names}! Your answers helped {team} in {month}."
SHOUT_OUT_CHAMPION = "{name} ({figures})"
SHOUT_OUT_AND = " and "
SHOUT_OUT_CONTEXT = "Every verified answer helps the next person who asks."

# Manager digest (and the admins' organisation-wide one)
DIGEST_TITLE = "{team}: the week of {start} – {end}"
DIGEST_ORG_TITLE = "Everyone: the week of {start} – {end}"
DIGEST_TEAM_SECTION = "**{team}**"  # heads each team's section for a manager of several teams
DIGEST_EVERYONE = "everyone"
DIGEST_UNASSIGNED = "unassigned"
DIGEST_NO_QUESTIONS = "No questions from your team this week."
DIGEST_NO_QUESTIONS_BEFORE = "No questions from your team this week ({before} last week)."
DIGEST_ORG_NO_QUESTIONS = "No questions this week."
DIGEST_ASKED = "**{asked}** question(s) asked ({change})."
DIGEST_FIGURE = "• {what}: **{count}** ({share}%, {change})"
DIGEST_BY_BOT = "answered by Lorebot"
DIGEST_BY_CHAMPIONS = "answered by champions"
DIGEST_STILL_OPEN = "still open"
DIGEST_NOT_HELPFUL = "Lorebot's answer marked Not helpful"
DIGEST_MEDIAN = "Median time to a champion's answer: **{duration}** ({before})."
DIGEST_MEDIAN_BEFORE = "last week {duration}"
DIGEST_MEDIAN_NONE_BEFORE = "none last week"
DIGEST_NO_MEDIAN = "No champion answers this week."
DIGEST_TOPICS = "**By topic**: {topics}"
DIGEST_TOPIC = "{topic} {count} ({change})"
DIGEST_NO_TOPIC = "no topic"
DIGEST_CHANGE_UP = "+{n} vs last week"
DIGEST_CHANGE_DOWN = "−{n} vs last week"
DIGEST_CHANGE_SAME = "same as last week"
DIGEST_CHANGE_UP_SHORT = "+{n}"
DIGEST_CHANGE_DOWN_SHORT = "−{n}"
DIGEST_CHANGE_SAME_SHORT = "±0"
DIGEST_GAPS_HEADER = "**Top knowledge gaps**"
DIGEST_GAP_NAMED = "• **{label}**: {count}×, e.g. “{example}” {link}"
DIGEST_GAP_LINE = "• {count}× e.g. “{example}” {link}"
DIGEST_GAP_UNQUOTED = "• {count}× asked in private or about restricted material (not quoted)"
DIGEST_NO_GAPS = "**Top knowledge gaps**: none, every question was answered with confidence or verified."
DIGEST_NEW_KNOWLEDGE = (
    "**New knowledge**: {verified} verified answer(s), {lessons} lesson(s) shared ({promoted} added)."
)
DIGEST_KNOWLEDGE_LINE = "• {text}"
DIGEST_CHAMPIONS_HEADER = "**Champions this week**"
DIGEST_CHAMPION_LINE = "• {name} · {topic}: {figures}"
DIGEST_NO_CHAMPIONS = "**Champions this week**: nobody needed this week."
DIGEST_TEAMS_HEADER = "**By team**"
DIGEST_TEAM_LINE = "• {team}: **{asked}** question(s) ({change}), {bot}% answered by Lorebot, {open} still open"
DIGEST_UNASSIGNED_HEADER = "**Unassigned**: askers in no team, so no manager sees them"
DIGEST_UNASSIGNED_NONE = "**Unassigned**: none, every asker is in a team."
DIGEST_CONTEXT = "Weekly digest from Lorebot · share the gaps with your champions to close them"
DIGEST_HANDBOOK_HEADER = "**Worth adding to the handbook**: answered in chat, but no document covers it yet"
DIGEST_HANDBOOK_LINE = "• “{question}” — {answer} (verified by {champion})"
DIGEST_SOURCES_HEADER = "**Sources needing a look** (`lorebot sources` has the details)"
DIGEST_ORG_CONTEXT = "Organisation-wide digest from Lorebot, for the admins named in lorebot.toml"

# Re-verification
REVERIFY_TITLE = "Is this answer still right?"
REVERIFY_REASON_AGE = "You verified this {days} days ago. A quick check keeps it trusted."
REVERIFY_REASON_SOURCE = "A document it relies on has changed: {documents}."
REVERIFY_TEXT = "**Q:** {question}\n**A:** {answer}\n\n{reason}"
REVERIFY_CONTEXT = "No answer within {grace} days and it will rank lower as possibly outdated."
REVERIFY_STILL_RIGHT = "Still right"
REVERIFY_OUTDATED = "Outdated"

# Dry run (printed on the terminal, never sent)
DRY_RUN_HEADER = "Would send {count} message(s) for {job} (dry run, nothing sent):"
DRY_RUN_TO = "--- to {recipient} ({platform} {kind} {target})"
DRY_RUN_NOTHING = "Nothing to send for {job}."

# Command line summaries
RUN_SUMMARY = "{job} ({period}): {sent} sent, {unreachable} unreachable, {failed} failed, {retrying} to retry."
RUN_ALREADY = "{job} ({period}) already ran; nothing sent."
RUN_ALREADY_BY_HAND = "{job} already ran by hand today ({period}); nothing sent. It runs again on its schedule."
JOB_LINE = "{name:<{width}} {schedule:<18} next: {next_run}"
JOB_NEVER = "never"
