"""Confluence's storage format (XHTML with ``ac:`` and ``ri:`` elements) as Markdown a person would have written.

Headings, lists, links and tables become their Markdown forms, so the chunker keeps a page's sections apart and a
table stays a table. Confluence's own elements are turned into what they show on the page: a code macro into a
fenced block, an info, note, tip or warning panel into a quote that says which it is, an expand section into its
title and body, a status lozenge into its word, a link to another page into its text, a task into a checkbox
item. Macros that only show other content (a table of contents, child pages, Jira issues, anchors) and images
carry no text of the page's own and are dropped.
"""
from __future__ import annotations

import re

PANELS = {"info": "Info", "note": "Note", "tip": "Tip", "warning": "Warning", "error": "Error", "success": "Success",
          "panel": ""}
CODE_MACROS = {"code", "noformat"}
DROPPED_MACROS = {"toc", "toc-zone", "anchor", "jira", "jiraissues", "children", "pagetree", "pagetreesearch",
                  "recently-updated", "attachments", "contentbylabel", "livesearch", "create-from-template",
                  "profile", "gallery", "viewfile", "view-file", "roadmap", "blog-posts"}
DROPPED_ELEMENTS = ("ac:image", "ac:placeholder", "ac:parameter", "ri:user", "ac:emoticon", "ac:task-id",
                    "ac:task-uuid")
_BLANK_LINES = re.compile(r"\n{3,}")


def storage_to_markdown(storage: str) -> str:
    """The Markdown text of a page whose body is ``storage``; empty when the page shows no text."""
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(storage, "html.parser")
    for macro in reversed(soup.find_all(["ac:structured-macro", "ac:macro"])):  # innermost first
        _replace_macro(soup, macro)
    for link in soup.find_all("ac:link"):
        link.replace_with(_link_text(link))
    for task in soup.find_all("ac:task"):
        _replace_task(soup, task)
    for moment in soup.find_all("time"):
        moment.replace_with(moment.get("datetime") or moment.get_text())
    for element in soup.find_all(DROPPED_ELEMENTS):
        element.decompose()
    for element in soup.find_all(re.compile(r"^(ac|ri):")):
        element.unwrap()  # layouts, task lists, comment markers: their content is the page's
    for cell in soup.find_all(["td", "th"]):
        for text in cell.find_all(string=True):
            if "|" in text:
                text.replace_with(text.replace("|", "\\|"))  # a bar inside a cell would split it
    converter = MarkdownConverter(heading_style="ATX", bullets="-", escape_underscores=False,
                                  escape_asterisks=False, code_language_callback=lambda pre: pre.get("data-language"))
    markdown = converter.convert_soup(soup).replace("\xa0", " ")  # Confluence's editor writes &nbsp; freely
    return _BLANK_LINES.sub("\n\n", markdown).strip()


def _replace_macro(soup, macro) -> None:
    name = (macro.get("ac:name") or "").lower()
    parameters = {parameter.get("ac:name") or "": parameter.get_text(" ", strip=True)
                  for parameter in macro.find_all("ac:parameter", recursive=False)}
    plain = macro.find("ac:plain-text-body", recursive=False)
    rich = macro.find("ac:rich-text-body", recursive=False)
    if name in DROPPED_MACROS:
        macro.decompose()
    elif name in CODE_MACROS or (plain is not None and rich is None):
        block = soup.new_tag("pre")
        if parameters.get("language"):
            block["data-language"] = parameters["language"]
        block.string = plain.get_text() if plain is not None else ""
        macro.replace_with(block)
    elif name in PANELS or name == "expand":
        label = PANELS.get(name, "")
        heading = ": ".join(part for part in (label, parameters.get("title", "")) if part)
        wrapper = soup.new_tag("blockquote" if name in PANELS else "div")
        if heading:
            strong = soup.new_tag("strong")
            strong.string = heading
            paragraph = soup.new_tag("p")
            paragraph.append(strong)
            wrapper.append(paragraph)
        if rich is not None:
            wrapper.extend(list(rich.contents))
        macro.replace_with(wrapper)
    elif name == "status":
        macro.replace_with(parameters.get("title") or parameters.get("colour") or "")
    elif rich is not None:
        rich.extract()
        macro.replace_with(rich)
        rich.unwrap()
    else:
        macro.decompose()


def _link_text(link) -> str:
    """What a link to a page, a blog post or an attachment reads as: its own text, else the target's name."""
    body = link.find(["ac:plain-text-link-body", "ac:link-body"])
    if body is not None and body.get_text(strip=True):
        return body.get_text(" ", strip=True)
    for target in link.find_all(["ri:page", "ri:blog-post", "ri:attachment", "ri:space"]):
        name = target.get("ri:content-title") or target.get("ri:filename") or target.get("ri:space-key")
        if name:
            return name
    return ""


def _replace_task(soup, task) -> None:
    status = task.find("ac:task-status")
    body = task.find("ac:task-body")
    item = soup.new_tag("li")
    item.append("[x] " if status is not None and status.get_text(strip=True) == "complete" else "[ ] ")
    if body is not None:
        item.extend(list(body.contents))
    task.replace_with(item)
    parent = item.parent
    if parent is not None and parent.name == "ac:task-list":
        parent.name = "ul"
