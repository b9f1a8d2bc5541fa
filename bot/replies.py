"""What the core says, before any platform renders it (Block Kit, Adaptive Card, terminal text)."""
from __future__ import annotations

from dataclasses import dataclass, field

HELPFUL = "helpful"
NOT_HELPFUL = "not_helpful"
ASK_CHAMPION = "ask_champion"
VERIFY = "verify"
REJECT = "reject"
STILL_RIGHT = "still_right"
OUTDATED = "outdated"
SUGGESTION_YES = "suggestion_yes"  # the asker confirms a suggested verified answer answers their question
SUGGESTION_NO = "suggestion_no"
SAME_AS = "same_as"  # a champion answers a routed question with an existing verified answer ("qid:entry id")
PIN = "pin"  # a champion pins a verified answer (its id) as the go-to answer of its topic, as 📌 does
# A champion's typed commands (bot.curation.champion_commands), value "question id:argument".
REASSIGN = "reassign"  # argument: the topic to move the question to
MERGE = "merge"  # argument: the open question it duplicates
EDIT_VERIFIED = "edit_verified"  # argument: the verified answer's new text
STATS = "stats"  # a champion asks for their own figures (bot.curation.own_impact); no value
ACTION_NAMES = (HELPFUL, NOT_HELPFUL, ASK_CHAMPION, VERIFY, REJECT, STILL_RIGHT, OUTDATED, SUGGESTION_YES,
                SUGGESTION_NO, SAME_AS, PIN, REASSIGN, MERGE, EDIT_VERIFIED, STATS)


@dataclass(frozen=True)
class SourceRef:
    """A source shown under an answer."""

    title: str
    source: str  # "Handbook › Leave › Parental leave"
    snippet: str = ""
    verified_by: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ReplyAction:
    """A button: ``name`` from ACTION_NAMES, ``value`` the id it acts on, ``label`` what the person sees."""

    name: str
    value: str
    label: str
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True)
class Reply:
    """A platform-neutral message. ``text``, ``title`` and ``context`` are CommonMark (see `bot.markdown`), with
    anything a person typed passed through `bot.markdown.literal`; each adapter renders it natively and trims
    to its platform's limits."""

    text: str
    sources: tuple[SourceRef, ...] = field(default_factory=tuple)
    actions: tuple[ReplyAction, ...] = field(default_factory=tuple)
    title: str | None = None
    context: str | None = None  # a small grey line, e.g. "✅ Verified by Alice" or "Confidence 82%"
    # The bot's own name for this message (e.g. "question:12"), carried where the platform can keep it (Slack
    # message metadata), so that after a crash ``Messenger.find_sent`` can tell whether it went out.
    ref: str | None = None
