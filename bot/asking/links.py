"""Where a source can be read, as a link under the answer.

A document that names its own address (front matter ``url:``, an HTML canonical link) is linked there.
Otherwise its collection's ``base_url`` is followed by the document's path under the folder it was ingested
from: Markdown and HTML pages drop their extension, as wikis and static sites publish them
(``policies/leave.md`` -> ``BASE/policies/leave``), and other files (PDF, Word, text) keep their name, as
attachments do. Verified answers have no document and so no link. Characters that would end a link early in
Slack (``|``, ``>``) or in Markdown (``(``, ``)``, spaces) are percent-encoded.
"""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Mapping
from urllib.parse import quote

from bot.config import CollectionConfig
from knowledge.loaders import HTML, MARKDOWN
from knowledge.types import Hit

PAGE_SUFFIXES = MARKDOWN | HTML  # published as pages, without their extension
_URL_SAFE = "/:?#[]@!$&'*+,;=%~"  # reserved characters kept as they are; "%" keeps encoded ones encoded


def source_url(hit: Hit, collections: Mapping[str, CollectionConfig]) -> str | None:
    """The hit's own address, else its collection's base URL joined with its path; None when neither."""
    if hit.url:
        return quote(hit.url, safe=_URL_SAFE)
    collection = collections.get(hit.collection)
    if hit.kind != "chunk" or collection is None or collection.base_url is None or not hit.relative_path:
        return None
    return collection.base_url + quote(page_path(hit.relative_path), safe="/")


def page_path(relative_path: str) -> str:
    """``policies/leave.md`` -> ``policies/leave``; ``forms/claim.pdf`` stays as it is."""
    path = PurePosixPath(relative_path)
    return path.with_suffix("").as_posix() if path.suffix.lower() in PAGE_SUFFIXES else relative_path
