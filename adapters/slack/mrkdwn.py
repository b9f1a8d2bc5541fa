"""The core's Markdown as Slack mrkdwn: ``*bold*``, ``<url|label>``, bullets, tables as a preformatted block.

Every character of text is escaped (``&``, ``<``, ``>``), so nothing in a reply, however it got there, can become
``<!channel>``, a mention or a link that was not written as a Markdown link.
"""
from __future__ import annotations

from markdown_it.tree import SyntaxTreeNode

from bot.markdown import Renderer, plain

_PLAIN = Renderer()


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_text(markdown: str) -> str:
    """For fields Slack shows without formatting but still scans for mentions (notification text)."""
    return escape(plain(markdown))


class Mrkdwn(Renderer):
    bullet = "•"

    def escape(self, text: str) -> str:
        return escape(text)

    def strong(self, text: str) -> str:
        return f"*{text}*" if text.strip() else text

    def em(self, text: str) -> str:
        return f"_{text}_" if text.strip() else text

    def strike(self, text: str) -> str:
        return f"~{text}~" if text.strip() else text

    def code(self, text: str) -> str:
        return f"`{escape(text)}`"

    def code_block(self, text: str) -> str:
        return f"```\n{escape(text)}\n```"

    def heading(self, text: str) -> str:
        return self.strong(text)

    def link(self, label: str, url: str) -> str:
        target = escape(url).replace("|", "%7C")
        return f"<{target}>" if label in ("", escape(url)) else f"<{target}|{label}>"

    def table_cell(self, nodes: list[SyntaxTreeNode]) -> str:
        return _PLAIN.inline(nodes)  # shown in a preformatted block, where marks would be literal

    def table(self, header: list[str], rows: list[list[str]]) -> str:
        """Slack has no tables: a preformatted block keeps the columns lined up under their header."""
        return self.code_block(super().table(header, rows))


_MRKDWN = Mrkdwn()


def to_mrkdwn(markdown: str) -> str:
    return _MRKDWN.render(markdown)
