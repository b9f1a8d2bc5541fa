"""What the Slack adapter itself says (everything else comes from the core's messages)."""
from __future__ import annotations

ASK_USAGE = "Ask me something after the command, for example: `/ask How many days of leave do I get?`"
LOREBOT_USAGE = ("Champions' commands, best used in your DM with Lorebot: `/lorebot reassign ID TOPIC`, "
                 "`/lorebot merge ID INTO_ID`, `/lorebot editverified ID NEW ANSWER`, `/lorebot stats`.")
ASK_RECEIVED = "Looking that up for you… the answer will appear in this channel."
WORKSPACE_NOT_SERVED = (
    "Sorry, I can only help people in the workspace that added me. "
    "Please ask your contact there to look it up for you."
)
NO_WORKSPACE = "Slack did not say which workspace SLACK_BOT_TOKEN belongs to; list it under [slack] workspaces"
HOME_TITLE = "Lorebot"
HOME_INTRO = "Ask me anything about how we work: send me a direct message, mention @Lorebot, or use `/ask`."
HOME_WAITING = "*Waiting for you* ({count}): questions routed to your topics"
HOME_NOTHING_WAITING = "Nothing is waiting for you. Thank you for keeping answers flowing!"
HOME_IMPACT = "*{title}*"
HOME_RECENT = "*Your recent questions*"
HOME_SOURCES = "*Sources* (you are an admin): how each one is syncing"
HOME_NO_QUESTIONS = "You have not asked anything yet. Try me!"
HOME_QUESTION = "• {text} — _{status}_{link}"
STATUS_LABELS = {
    "answered": "answered by Lorebot",
    "suggested": "waiting for your Yes or No",
    "routed": "with a champion",
    "joined": "asked before; waiting for a champion",
    "champion_answered": "answered by a champion",
    "verified": "verified",
    "closed": "closed",
}
ASSISTANT_GREETING = ("Hi! Ask me anything about how we work. I answer from our documents and what our champions "
                      "have checked, and pass on what I can't answer.")
ASSISTANT_PROMPTS_TITLE = "Often asked:"
ASSISTANT_SEARCHING = "is searching…"
