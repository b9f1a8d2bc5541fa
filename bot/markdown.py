"""The one text convention of the core: CommonMark (``**bold**``, ``_italic_``, ``[label](url)``, lists, tables,
``> quote``). Adapters never parse it themselves: they subclass `Renderer` and spell each mark their platform's
way, so a new platform changes one small class and cannot get the structure wrong.

Text people typed (questions, names, a champion's answer) goes through `literal` before it is put in a reply, so
their stars, brackets and angle brackets stay characters and never turn into formatting, links or mentions.
"""
from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

# Indented code and raw HTML are off: text from PDFs and web pages is often indented or holds stray tags, and
# neither should turn into a code block or vanish.
_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable(["code", "html_block", "html_inline"])
MARKS = "\\`*_[]<>&|~"  # everything CommonMark could read as formatting, a link, an entity or a table cell
_LINE_START_MARKS = re.compile(r"^([ \t]*)([#>+=-]|\d+(?=[.)]))", re.MULTILINE)


def literal(text: str) -> str:
    """``text`` as Markdown that shows exactly these characters: what a person typed is never formatting."""
    return backslashed(text, MARKS)


def backslashed(text: str, marks: str) -> str:
    """``text`` with each of ``marks`` backslash-escaped, and the line starts that would open a heading, quote,
    list or underline escaped too (a dialect with fewer marks passes its own)."""
    escaped = re.sub("([" + re.escape(marks) + "])", r"\\\1", text)
    return _LINE_START_MARKS.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, mark = match.group(1), match.group(2)
    return indent + mark + "\\" if mark[0].isdigit() else indent + "\\" + mark


def link(label: str, url: str) -> str:
    """A Markdown link whose URL may hold spaces or brackets without breaking it."""
    url = url.replace("<", "%3C").replace(">", "%3E")
    return f"[{label}](<{url}>)" if re.search(r"[\s()]", url) else f"[{label}]({url})"


def parse(text: str) -> SyntaxTreeNode:
    return SyntaxTreeNode(_PARSER.parse(text))


def plain(text: str) -> str:
    """The text without any marks, for places that show no formatting (titles, previews, the terminal)."""
    return _PLAIN.render(text)


class Renderer:
    """Renders the core's Markdown as plain text; platforms override the marks they can show.

    Block methods return finished text; inline methods receive already-rendered pieces, so escaping happens
    exactly once, in `escape`, on the characters the writer meant literally.
    """

    paragraph_break = "\n\n"
    bullet = "-"

    def render(self, text: str) -> str:
        return self.blocks(parse(text).children).strip()

    # Blocks

    def blocks(self, nodes: list[SyntaxTreeNode]) -> str:
        rendered = [self.block(node) for node in nodes]
        return self.paragraph_break.join(part for part in rendered if part)

    def block(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind == "paragraph":
            return self.inline(node.children)
        if kind == "heading":
            return self.heading(self.inline(node.children))
        if kind in ("bullet_list", "ordered_list"):
            return self.listing(node)
        if kind == "blockquote":
            return self.quote(self.blocks(node.children))
        if kind == "table":
            return self.table(*self._cells(node))
        if kind == "fence":
            return self.code_block(node.content.rstrip("\n"))
        if kind == "hr":
            return "———"
        return self.escape(node.content)

    def listing(self, node: SyntaxTreeNode) -> str:
        """One line per item; an item's own paragraphs and nested lists are indented under its marker."""
        start = int(node.attrs.get("start", 1)) if node.type == "ordered_list" else None
        lines = []
        for number, item in enumerate(node.children, start or 1):
            marker = f"{number}." if start is not None else self.bullet
            body = self.blocks(item.children).replace(self.paragraph_break, "\n")
            lines.append(marker + " " + body.replace("\n", "\n   "))
        return "\n".join(lines)

    def heading(self, text: str) -> str:
        return text

    def quote(self, text: str) -> str:
        return "\n".join("> " + line for line in text.splitlines())

    def code_block(self, text: str) -> str:
        return self.escape(text)

    def table(self, header: list[str], rows: list[list[str]]) -> str:
        """Aligned columns, the header underlined: readable in a fixed-width font."""
        widths = [max(len(row[i]) if i < len(row) else 0 for row in (header, *rows)) for i in range(len(header))]
        lines = [header, ["-" * width for width in widths], *rows]
        return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
                         for line in lines)

    def _cells(self, table: SyntaxTreeNode) -> tuple[list[str], list[list[str]]]:
        rows = [row for section in table.children for row in section.children]
        cells = [[self.table_cell(cell.children) for cell in row.children] for row in rows]
        return (cells[0], cells[1:]) if cells else ([], [])

    def table_cell(self, nodes: list[SyntaxTreeNode]) -> str:
        return self.inline(nodes)

    # Inline

    def inline(self, nodes: list[SyntaxTreeNode]) -> str:
        return "".join(self.span(node) for node in nodes)

    def span(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind == "inline":
            return self.inline(node.children)
        if kind == "text":
            return self.escape(node.content)
        if kind in ("softbreak", "hardbreak"):
            return "\n"
        if kind == "code_inline":
            return self.code(node.content)
        if kind == "strong":
            return self.strong(self.inline(node.children))
        if kind == "em":
            return self.em(self.inline(node.children))
        if kind == "s":
            return self.strike(self.inline(node.children))
        if kind in ("link", "image"):
            label = self.inline(node.children) or self.escape(str(node.attrs.get("alt", "")))
            return self.link(label, str(node.attrs.get("href") or node.attrs.get("src") or ""))
        return self.escape(node.content)

    def escape(self, text: str) -> str:
        return text

    def strong(self, text: str) -> str:
        return text

    def em(self, text: str) -> str:
        return text

    def strike(self, text: str) -> str:
        return text

    def code(self, text: str) -> str:
        return self.escape(text)

    def link(self, label: str, url: str) -> str:
        return url if label in ("", url) else f"{label} ({url})"


_PLAIN = Renderer()
