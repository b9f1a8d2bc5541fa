"""A Notion page's block tree, read with pagination, and written as the Markdown a person would have written.

Headings stay headings and tables stay tables, so the chunker keeps a page's sections apart and a table's rows
together. Lists (bulleted, numbered, to-do) keep their nesting; a toggle is its summary with its body below; a
quote and a callout are quotes (a callout with its icon); code is a fenced block in its language. A child page or
child database is left out: it is a page of its own, synced under its own key. Images, files, embeds and other
blocks without text of their own are dropped, except for their caption.

The reading (``read_tree``) and the writing (``to_markdown``) are apart so the writing is a pure function, tested
on block JSON alone; the reading takes the one call it needs (list a block's children from a cursor).
"""
from __future__ import annotations

from typing import Callable

ListChildren = Callable[[str, "str | None"], dict]  # (block id, start cursor) -> one page of children, as Notion sends
HEADINGS = {"heading_1": "#", "heading_2": "##", "heading_3": "###"}
SKIPPED = {"child_page", "child_database", "table_of_contents", "breadcrumb", "unsupported", "link_to_page",
           "template"}
MAX_DEPTH = 32  # nesting Notion allows in practice is far less; a deeper tree is cut, not followed forever


def read_tree(list_children: ListChildren, block_id: str, depth: int = 0) -> list[dict]:
    """Every block under ``block_id``, in order, each with its own children under ``"children"``, following
    ``next_cursor`` whatever page size the server chose. Child pages are not entered: they sync on their own."""
    blocks: list[dict] = []
    cursor: str | None = None
    while True:
        answer = list_children(block_id, cursor)
        for block in answer.get("results") or []:
            if block.get("has_children") and block.get("type") not in SKIPPED and depth < MAX_DEPTH:
                block = {**block, "children": read_tree(list_children, block["id"], depth + 1)}
            blocks.append(block)
        cursor = answer.get("next_cursor")
        if not answer.get("has_more") or not cursor:
            return blocks


def to_markdown(blocks: list[dict]) -> str:
    """The page's text as Markdown; empty when it has none."""
    return "\n".join(_blocks(blocks, "")).strip()


def rich_text(parts: list[dict] | None) -> str:
    """Notion rich text as inline Markdown: bold, italic, strikethrough, code and links kept."""
    out = []
    for part in parts or []:
        text = part.get("plain_text") or ""
        if not text:
            continue
        marks = part.get("annotations") or {}
        if marks.get("code"):
            text = f"`{text}`"
        else:
            stripped = text.strip()
            if stripped and (marks.get("bold") or marks.get("italic") or marks.get("strikethrough")):
                wrap = ("**" if marks.get("bold") else "") + ("*" if marks.get("italic") else "") + (
                    "~~" if marks.get("strikethrough") else "")
                text = text.replace(stripped, f"{wrap}{stripped}{wrap[::-1]}", 1)
        if part.get("href"):
            text = f"[{text}]({part['href']})"
        out.append(text)
    return "".join(out)


def _blocks(blocks: list[dict], indent: str) -> list[str]:
    lines: list[str] = []
    number, previous = 0, ""
    for block in blocks:
        kind = block.get("type") or ""
        number = number + 1 if kind == "numbered_list_item" else 0
        rendered = _block(block, kind, indent, number)
        if not rendered:
            continue
        if lines and not (_is_item(kind) and _is_item(previous)):
            lines.append("")  # a blank line between blocks, none inside one list
        lines.extend(rendered)
        previous = kind
    return lines


def _is_item(kind: str) -> bool:
    return kind in ("bulleted_list_item", "numbered_list_item", "to_do")


def _block(block: dict, kind: str, indent: str, number: int) -> list[str]:
    if kind in SKIPPED:
        return []
    body = block.get(kind) or {}
    text = rich_text(body.get("rich_text"))
    children = block.get("children") or []
    if kind in HEADINGS:
        lines = [f"{HEADINGS[kind]} {text}"] if text else []
        return lines + ([""] + _blocks(children, indent) if children else [])  # a toggle heading's body
    if _is_item(kind):
        marker = {"bulleted_list_item": "-", "numbered_list_item": f"{number}."}.get(kind) or (
            "- [x]" if body.get("checked") else "- [ ]")
        return [f"{indent}{marker} {text}"] + _blocks(children, indent + "    ")
    if kind == "code":
        language = body.get("language") or ""
        code = "".join(part.get("plain_text") or "" for part in body.get("rich_text") or [])
        return [f"{indent}```{'' if language == 'plain text' else language}", *code.splitlines(), f"{indent}```"]
    if kind in ("quote", "callout"):
        icon = (body.get("icon") or {}).get("emoji") or "" if kind == "callout" else ""
        inner = ([f"{icon} {text}".strip()] if text or icon else []) + _blocks(children, "")
        return [f"{indent}> {line}".rstrip() for line in inner]
    if kind == "toggle":
        return [f"{indent}{text}" if text else "", *_blocks(children, indent)] if text or children else []
    if kind == "table":
        return _table(children, bool(body.get("has_column_header")), indent)
    if kind == "divider":
        return [f"{indent}---"]
    if kind == "equation":
        expression = body.get("expression") or ""
        return [f"{indent}$$ {expression} $$"] if expression else []
    if kind in ("bookmark", "embed", "link_preview"):
        caption = rich_text(body.get("caption")) or body.get("url") or ""
        return [f"{indent}{caption}"] if caption else []
    if kind in ("image", "video", "file", "pdf", "audio"):
        caption = rich_text(body.get("caption"))
        return [f"{indent}{caption}"] if caption else []
    own = [f"{indent}{text}"] if text else []  # paragraph, and anything new that carries rich text
    return own + (_blocks(children, indent) if children else [])  # columns, synced blocks: their children


def _table(rows: list[dict], header: bool, indent: str) -> list[str]:
    cells = [[rich_text(cell).replace("|", "\\|").replace("\n", " ") for cell in
              (row.get("table_row") or {}).get("cells") or []] for row in rows if row.get("type") == "table_row"]
    if not cells:
        return []
    width = max(len(row) for row in cells)
    cells = [row + [""] * (width - len(row)) for row in cells]
    if not header:
        cells.insert(0, [""] * width)  # Markdown tables need a header row; Notion's may have none
    line = lambda row: f"{indent}| " + " | ".join(row) + " |"  # noqa: E731
    return [line(cells[0]), f"{indent}|" + " --- |" * width, *map(line, cells[1:])]
