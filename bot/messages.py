"""Everything the core says to people, in one place: short, friendly, and saying what happens next."""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.asking.answering import Answer
from bot.markdown import link as markdown_link
from bot.markdown import literal, plain
from bot.curation.provenance import verified_line
from bot.replies import (ASK_CHAMPION, HELPFUL, NOT_HELPFUL, PIN, SAME_AS, SUGGESTION_NO, SUGGESTION_YES, VERIFY,
                         Reply, ReplyAction, SourceRef)


def _names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _people(names: list[str]) -> str:
    """Names are typed by people: shown as written, never as formatting."""
    return _names([literal(name) for name in names])


# How champions curate, in Slack's and the console's words; platforms without these reactions (Teams) say it
# their own way by replacing these exact phrases.
ROUTED_VERIFY_HINT = "react ✅ on an answer to make it verified knowledge"
ANSWER_VERIFY_HINT = "React ✅ on the answer (or press Verify) to make it verified knowledge."
REVERIFY_HINT = "To verify your edit, take the ✅ off and put it back."
PIN_NEEDS_VERIFIED = "Only verified answers can be pinned: react ✅ on it first, then 📌."


def _topic(topic: str | None) -> str:
    return f"the {topic} champions" if topic else "our champions"


def answer(answer: Answer, question_id: int, now: datetime, unreadable: tuple[str, ...] = ()) -> Reply:
    context = _provenance(answer, now) if answer.is_verified else _answer_context(answer)
    # A model's words are shown as written, never as formatting, links or mentions.
    text = literal(answer.answer) if answer.generated else answer.answer
    value = str(question_id)
    return _with_answer(text, answer, unreadable, context, (
        ReplyAction(HELPFUL, value, "Helpful", "primary"),
        ReplyAction(NOT_HELPFUL, value, "Not helpful"),
        ReplyAction(ASK_CHAMPION, value, "Ask a champion"),
    ))


def suggestion(answer: Answer, question_id: int, now: datetime, unreadable: tuple[str, ...] = ()) -> Reply:
    """A verified answer to a question that may be the asker's: shown, but the asker decides."""
    text = (f"Champions answered a similar question: “{literal(answer.verified_question or '')}”\n\n"
            f"{answer.answer}\n\nDoes this answer yours?")
    value = str(question_id)
    return _with_answer(text, answer, unreadable, _provenance(answer, now), (
        ReplyAction(SUGGESTION_YES, value, "Yes, thanks", "primary"),
        ReplyAction(SUGGESTION_NO, value, "No, ask a champion"),
    ))


def _with_answer(text: str, answer: Answer, unreadable: tuple[str, ...], context: str,
                 actions: tuple[ReplyAction, ...]) -> Reply:
    if unreadable:
        text += "\n\n" + attachments_skipped(unreadable)
    return Reply(text=text, sources=_source_refs(answer), actions=actions, context=context)


def generated_label(answer: Answer, sources: str = "these sources:") -> str:
    """Says a generated answer is generated, and from what."""
    return f"Written by {answer.generated_by} from {sources}"


FALLBACK_NOTE = "a passage from the sources (the written answer was not available)"


def _answer_context(answer: Answer) -> str:
    confidence = f"Confidence {round(answer.confidence * 100)}%"
    if answer.generated:
        return f"{literal(generated_label(answer, 'the sources listed'))} · {confidence}"
    return f"{confidence} · {FALLBACK_NOTE}" if answer.fallback_reason else confidence


def suggestion_accepted() -> Reply:
    return Reply(text="Great, glad that answered it! I'll recognise your wording of this question from now on.")


def _provenance(answer: Answer, now: datetime) -> str:
    question = literal(answer.verified_question) if answer.verified_question else None
    return verified_line(question, literal(answer.verified_by or "a champion"), answer.verified_at, now)


def _source_refs(answer: Answer) -> tuple[SourceRef, ...]:
    return tuple(SourceRef(title=s.title, source=s.source or s.title, snippet=s.snippet, verified_by=s.verified_by,
                           url=s.url) for s in answer.sources)


def answer_text(answer: Answer, now: datetime) -> str:
    """Plain text for the terminal."""
    body = plain(answer.answer)
    if answer.answered:
        lines = [body, ""]
        if answer.verified_by:
            lines.append(verified_line(answer.verified_question, answer.verified_by, answer.verified_at, now))
        lines.append(f"Confidence {round(answer.confidence * 100)}%"
                     + (f" · {FALLBACK_NOTE}" if answer.fallback_reason else ""))
        if answer.generated:
            lines.append(generated_label(answer))
    elif answer.suggested:
        lines = [f"Champions answered a similar question: “{answer.verified_question}”", "", body, "",
                 verified_line(answer.verified_question, answer.verified_by, answer.verified_at, now),
                 "If this doesn't answer yours, ask in chat and I'll pass it to a champion."]
    else:
        lines = ["I'm not sure about this one: nothing in the knowledge base answers it with confidence."]
        if answer.sources:
            lines.append("These might be related:")
    if answer.sources:
        if not answer.generated:  # a written answer's label already leads into its sources
            lines.append("Sources:")
        for number, source in enumerate(answer.sources, 1):
            lines.append(f"  {number}. {source.source or source.title}")
            if source.url:
                lines.append(f"     {source.url}")
    return "\n".join(lines)


def routed(topic: str | None, champion_names: list[str], unreadable: tuple[str, ...] = ()) -> Reply:
    text = (f"I'm not sure about this one, so I've asked {_topic(topic)} ({_people(champion_names)}). "
            "They'll answer right here in this thread.")
    if unreadable:
        text += " " + attachments_skipped(unreadable)
    return Reply(text=text)


def rerouted(topic: str | None, champion_names: list[str]) -> Reply:
    return Reply(text=f"Thanks for telling me. I've asked {_topic(topic)} ({_people(champion_names)}); "
                      "they'll answer right here in this thread.")


def no_champions(topic: str | None) -> Reply:
    where = f"for {topic} questions" if topic else "for this topic"
    return Reply(text=f"I'm not sure about this one, and no champions are set up {where} yet. "
                      "Try rephrasing it, or ask your team lead.")


def champions_unreachable(topic: str | None) -> Reply:
    return Reply(text=f"I'm not sure about this one, and I couldn't reach {_topic(topic)} just now. "
                      "Please try again in a little while, or ask your team lead.")


def already_with_champions(topic: str | None) -> Reply:
    return Reply(text=f"This question is already with {_topic(topic)}; they'll answer right here in this thread.")


def routed_post(asker_name: str, question: str, topic: str | None, link: str | None,
                question_id: int | None = None, similar: tuple[tuple[int, str], ...] = ()) -> Reply:
    """``similar`` are (entry id, verified question) pairs that may already answer it: one click each."""
    quoted = "\n".join(f"> {literal(line)}" for line in question.splitlines() or [""])
    see = f"{markdown_link('Open the conversation', link)}. " if link else ""
    actions = tuple(ReplyAction(SAME_AS, f"{question_id}:{entry_id}", f"Same as “{_clip(verified, 60)}”")
                    for entry_id, verified in similar) if question_id is not None else ()
    offer = " Or, if an answer we verified already covers it, press its *Same as…* button." if actions else ""
    return Reply(
        title=f"A question for {_topic(topic)}",
        text=f"**{literal(asker_name)}** asked:\n{quoted}",
        context=(f"{see}Reply in this thread to answer; {ROUTED_VERIFY_HINT}.{offer}"
                 + (f" Question {question_id}." if question_id is not None else "")),
        actions=actions,
    )


def same_as_sent(asker_name: str, verified_question: str) -> Reply:
    return Reply(text=f"Done: I've sent {literal(asker_name)} the verified answer to “{literal(verified_question)}”, "
                      "and I'll recognise this wording from now on.")


def same_as_too_late() -> Reply:
    return Reply(text="This question has already been answered, so I left it as it is.")


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def champion_answered(champion_name: str, text: str) -> Reply:
    return Reply(text=f"**{literal(champion_name)}** answered:\n{literal(text)}")


def champion_answer_passed_on(asker_name: str, champion_answer_id: int, relayed: bool = True) -> Reply:
    return Reply(
        text=f"Thanks! I've passed your answer on to {literal(asker_name)}." if relayed else "Thanks for answering!",
        context=ANSWER_VERIFY_HINT,
        actions=(ReplyAction(VERIFY, str(champion_answer_id), "Verify", "primary"),),
    )


def edited_after_verification() -> Reply:
    return Reply(text="This answer was already verified, so the verified copy keeps its earlier words. "
                      + REVERIFY_HINT)


def verified(champion_name: str, pin: int | None = None, topic: str | None = None) -> Reply:
    """``pin``: the verified answer's id, to offer its champion the Pin button right here."""
    return Reply(text=f"✅ Verified by @{literal(champion_name)}. Next time anyone asks this, I'll answer right away.",
                 actions=_pin_action(pin), context=_pin_hint(topic) if pin is not None else None)


def verified_for_champion(topic: str | None, pin: int | None = None) -> Reply:
    """What the champion who verified sees where they acted: done, and how to pin it."""
    return Reply(text="✅ Verified. I'll give this answer whenever anyone asks it.",
                 actions=_pin_action(pin), context=_pin_hint(topic) if pin is not None else None)


def already_pinned(topic: str | None) -> Reply:
    return Reply(text=f"📌 It's already the go-to answer for {topic or 'this topic'}.")


def _pin_action(pin: int | None) -> tuple[ReplyAction, ...]:
    return (ReplyAction(PIN, str(pin), "Pin"),) if pin is not None else ()


def _pin_hint(topic: str | None) -> str:
    return f"Champions of {topic or 'this topic'} can press Pin to make it the go-to answer."


def verified_source(topic: str | None) -> str:
    """The source a verified answer is shown with in the knowledge base."""
    return f"Verified answer › {topic or 'general'}"


def source_rejected(source: str | None = None) -> Reply:
    named = f"“{literal(source)}”" if source else "that source"
    return Reply(text=f"Got it: I won't offer {named} for this question again.")


def source_restored(source: str | None = None) -> Reply:
    named = f"“{literal(source)}”" if source else "that source"
    return Reply(text=f"Undone: I may offer {named} for this question again.")


def unverified() -> Reply:
    return Reply(text="Undone: that answer is no longer verified knowledge.")


def unpinned(topic: str | None) -> Reply:
    return Reply(text=f"Unpinned: {topic or 'this topic'} has no go-to answer now.")


def curation_needs_an_answer() -> Reply:
    return Reply(text="That reaction curates an answer: put it on a champion's reply or on my answer with sources, "
                      "not on the question.")


def pinned(topic: str | None) -> Reply:
    return Reply(text=f"📌 Pinned as the go-to answer for {topic or 'this topic'}.")


def pin_needs_verified() -> Reply:
    return Reply(text=PIN_NEEDS_VERIFIED)


def only_champions_verify(topic: str | None, act: str = "verify") -> Reply:
    return Reply(text=f"Only {_topic(topic)} can {act} answers. I've noted your feedback, thanks!")


def only_the_asker() -> Reply:
    return Reply(text="Only the person who asked can use these buttons. Ask me yourself and you'll get your own.")


def thanks_for_feedback() -> Reply:
    return Reply(text="Thanks for letting me know!")


def attachments_skipped(names: tuple[str, ...]) -> str:
    return (f"I can't read {_names([f'_{literal(name)}_' for name in names])} yet, so I only looked at your message. "
            "Paste the text you want me to check.")


def attachments_only(names: tuple[str, ...]) -> Reply:
    return Reply(text=f"I can't read {_names([f'_{literal(name)}_' for name in names])} yet. "
                      "Paste the text or type your question, and I'll take a look.")


def empty_question() -> Reply:
    return Reply(text="Ask me a question in a message, for example: _How many days of leave do I get?_")


def same_as_restricted() -> Reply:
    return Reply(text="That answer is restricted and the asker may not read it. Please reply in the thread instead.")


def action_expired() -> Reply:
    return Reply(text="That button no longer works. Ask your question again and I'll take a fresh look.")


def something_went_wrong() -> Reply:
    return Reply(text="Sorry, something went wrong on my side and I couldn't finish that. "
                      "Please try again in a minute.")


def joined_open_question() -> Reply:
    return Reply(text="Someone asked this already; I'll send you the answer here as soon as a champion replies.")


def reassigned(question_id: int, topic: str, champion_names: list[str], routed: bool) -> Reply:
    asked = f"and asked {_topic(topic)} ({_people(champion_names)})" if routed else (
        f"but I couldn't reach {_topic(topic)} just now")
    return Reply(text=f"Done: question {question_id} now belongs to {topic}, {asked}.")


def reassigned_to_asker(topic: str) -> Reply:
    return Reply(text=f"A champion passed your question on to {_topic(topic)}; they'll answer right here.")


def merged(question_id: int, into_id: int) -> Reply:
    return Reply(text=f"Done: question {question_id} joined question {into_id}. Its asker will get the same answer.")


def verified_answer_edited(question_id: int) -> Reply:
    return Reply(text=f"Done: the verified answer to question {question_id} now reads as you wrote it.")


def no_such_question(question_id: str) -> Reply:
    return Reply(text=f"I couldn't find question {literal(question_id)} among your topics' questions. "
                      "Its number is shown on the post that asked you.")


def unknown_topic(topic: str, topics: list[str]) -> Reply:
    return Reply(text=f"There is no topic called {literal(topic)}. Topics: {', '.join(topics) or 'none yet'}.")


def not_waiting(question_id: int) -> Reply:
    return Reply(text=f"Question {question_id} isn't waiting for champions any more, so I left it as it is.")


def already_in_topic(question_id: int, topic: str) -> Reply:
    return Reply(text=f"Question {question_id} already belongs to {topic}.")


def cannot_merge(question_id: int, into_id: int) -> Reply:
    return Reply(text=f"I can't merge question {question_id} into {into_id}: both must be waiting for champions, "
                      "and asked where the same people may read the answer.")


def no_verified_answer(question_id: int) -> Reply:
    return Reply(text=f"Question {question_id} has no verified answer to edit.")


def champion_command_usage() -> Reply:
    return Reply(text="Champion commands: `reassign ID TOPIC`, `merge ID INTO_ID`, `editverified ID NEW ANSWER`. "
                      "The question's ID is shown on the post that asked you.")


def reverification_confirmed() -> Reply:
    return Reply(text="Thanks! The answer stays verified.")


def reverification_outdated() -> Reply:
    return Reply(text="Thanks! It's marked outdated and ranks lower now. "
                      "Verify a better answer with ✅ when you have one.")


def reverification_closed() -> Reply:
    return Reply(text="This check is already closed; nothing changed.")


def reverification_not_yours() -> Reply:
    return Reply(text="Only the answer's champions can confirm it.")


def llm_skipped_line(health, tz) -> str:
    """One line for an admin while the LLM is being skipped (its breaker is open): since when and why, and
    what askers get meanwhile. ``health`` is ``bot.tables.llm_health.LlmHealth``."""
    since = f" since {health.since.astimezone(tz):%a %d %b %H:%M}" if health.since else ""
    reason = f": {literal(health.last_reason)}" if health.last_reason else ""
    return (f"⚠️ The LLM is being skipped{since} after {health.consecutive_failures} failure(s) in a row{reason}. "
            "Answers are extracts until it responds again.")


def source_health_line(health, tz) -> str:
    """One line on a source for an admin (App Home, ``lorebot stats``, the admins' digest): what is wrong
    first, else how many documents it holds and when it last synced. Plain words, Markdown-safe."""
    name = literal(health.name)
    if health.last_error:
        return f"⚠️ {name}: the last sync failed: {literal(health.last_error)}"
    if health.failures:
        first = health.failures[0]
        more = f" (and {len(health.failures) - 1} more)" if len(health.failures) > 1 else ""
        return (f"⚠️ {name}: {len(health.failures)} document(s) failed and will be retried: "
                f"{literal(first.url or first.key)}: {literal(first.reason)}{more}")
    if health.last_counts.get("removal_blocked"):
        return f"⚠️ {name}: {literal(health.last_counts['removal_blocked'])}"
    if health.last_success is None:
        return f"{name}: not synced yet (lorebot sync {health.name})"
    return f"✅ {name}: {health.documents} document(s), synced {health.last_success.astimezone(tz):%a %d %b %H:%M}"


# Durations, as every figure shows them
MINUTES = "{m} min"
HOURS = "{h} h"
HOURS_MINUTES = "{h} h {m} min"
DAYS_HOURS = "{d} d {h} h"


def duration(value: timedelta) -> str:
    minutes = int(round(value.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return DAYS_HOURS.format(d=days, h=hours)
    if hours and mins:
        return HOURS_MINUTES.format(h=hours, m=mins)
    if hours:
        return HOURS.format(h=hours)
    return MINUTES.format(m=mins)


def impact_figures(answers: int, verified: int, median: timedelta | None, served: int) -> str:
    """A champion's figures in one phrase, the same in the digests, App Home, ``/stats`` and the shout-out."""
    parts = [f"{answers} answer(s)", f"{verified} verified"]
    if median is not None:
        parts.append(f"{duration(median)} median to answer")
    parts.append(f"served {served} later asker(s)")
    return ", ".join(parts)


IMPACT_TITLE = "Your impact, last {days} days"
IMPACT_NONE = "No answers, verifications or reuses of your answers in the last {days} days yet."
IMPACT_CONTEXT = "Each later asker served is someone who got your verified answer at once."


def own_impact(impact, days: int) -> Reply:
    """A champion's own figures (``/stats``); ``impact`` is ``bot.curation.impact.Impact`` or None."""
    text = IMPACT_NONE.format(days=days) if impact is None else (
        impact_figures(impact.answers, impact.verified, impact.median_to_answer, impact.served) + ".")
    return Reply(title=IMPACT_TITLE.format(days=days), text=text, context=IMPACT_CONTEXT)


def stats_for_champions() -> Reply:
    return Reply(text="/stats shows a champion how their answers helped. Ask me a question any time.")
