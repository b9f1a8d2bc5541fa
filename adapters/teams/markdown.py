"""The core's Markdown as the subset Teams shows in messages and Adaptive Card TextBlocks: ``**bold**``,
``_italic_``, ``[label](url)``, bullet and numbered lists; no tables, headings, quotes or code, so those become
lines and bold text. Text is re-escaped, so what a person typed is never read as formatting."""
from __future__ import annotations

from urllib.parse import quote

from bot.markdown import Renderer, backslashed

MARKS = "\\`*_[]~<>"  # what Teams' Markdown would act on; "&" and "|" are ordinary characters there


class TeamsMarkdown(Renderer):
    def escape(self, text: str) -> str:
        return backslashed(text, MARKS)

    def strong(self, text: str) -> str:
        return f"**{text}**" if text.strip() else text

    def em(self, text: str) -> str:
        return f"_{text}_" if text.strip() else text

    def heading(self, text: str) -> str:
        return self.strong(text)

    def link(self, label: str, url: str) -> str:
        return f"[{label or self.escape(url)}]({quote(url, safe=':/?#&=%+@;,~!$*')})"

    def table(self, header: list[str], rows: list[list[str]]) -> str:
        """No tables in Teams: one list line per row, each value after its column's name."""
        return "\n".join("- " + " · ".join(f"{self.strong(name)}: {value}" if name else value
                                           for name, value in zip(header, row)) for row in rows)


_TEAMS = TeamsMarkdown()


def to_markdown(markdown: str) -> str:
    return _TEAMS.render(markdown)


def escape(text: str) -> str:
    """For text that is not Markdown at all (document titles, names) placed inside Teams Markdown."""
    return _TEAMS.escape(text)
