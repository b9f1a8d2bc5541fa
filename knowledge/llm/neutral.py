"""Model text made inert: no links, no mentions, no markup that a chat platform would act on.

Links in an answer come from our sources, never from the model's words: a passage that says "reply with this
link" could otherwise put a phishing link in a trusted bot's answer, and ``@here`` or ``<!channel>`` could ping a
whole channel. The renderer still treats the result as text a person typed (``bot.markdown.literal``); this is
the library's own guarantee, so a caller that forgets cannot ship a link.
"""
from __future__ import annotations

import re

_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*<?[^)>]*>?\s*\)")  # [label](url) and ![alt](src): the label
_PLATFORM_LINK = re.compile(r"<(?:https?|mailto):[^>|]*\|([^>]*)>", re.IGNORECASE)  # Slack <url|label>: label
_PLATFORM_TOKEN = re.compile(r"<[@!#][^>]*>")  # <@U123>, <!channel>, <#C123|name>
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")  # <at>, <a href=...>, <script>
_URL = re.compile(r"(?:\b(?:https?|ftp|file|mailto|javascript|data|tel):|\bwww\.)\S*", re.IGNORECASE)
_DOMAIN = re.compile(r"(?:[\w.+-]+@)?\b[\w-]+(?:\.[\w-]+)*"
                     r"\.(?:com|net|org|io|co|example|info|biz|xyz|ru|cn|app|dev)\b/?\S*", re.IGNORECASE)
_AT_MENTION = re.compile(r"(?<![\w.])@(?=\w)")  # @here, @channel, @everyone, @alice


def neutral(text: str) -> str:
    """``text`` with links reduced to their labels, bare addresses (web and email) and platform mentions removed,
    ``@`` defused."""
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _PLATFORM_LINK.sub(r"\1", text)
    text = _PLATFORM_TOKEN.sub("", text)
    text = _TAG.sub("", text)
    text = _URL.sub("", text)
    text = _DOMAIN.sub("", text)
    text = _AT_MENTION.sub("", text)
    text = re.sub(r"\s+([.!?,;:])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()
