"""One loader per file format. Each turns a file into Markdown-like text (``#`` headings, blank-line paragraphs)
so a single heading-aware chunker serves every format.

A loader raises ``UnreadableFile`` with a short reason; ingest skips that file and goes on. Loaders parse the
bytes they are given (the very bytes ingest hashed, so the stored text always matches its hash), and refuse
what would expand past ``MAX_TEXT_CHARACTERS`` or, for Word documents, ``MAX_UNPACKED_BYTES``: a 0.35 MB
document can unpack to gigabytes.

An HTML page is read for its main content (readability-lxml finds the element that holds it), so a web page's
navigation, sidebars, cookie banner and footer are not indexed; headings, paragraphs, list items and table cells
of that element become the text. Sources hand over bytes with a media type
(``MEDIA_TYPES``), which picks the same loader as the matching file extension.

A document may name its own web address: ``url:`` in a Markdown file's YAML front matter, or an HTML page's
``<link rel="canonical">``. It is kept when it is an absolute http(s) URL (``knowledge.urls``), and the front
matter itself never reaches the text.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

from knowledge.urls import web_url

MARKDOWN = {".md", ".markdown"}
TEXT = {".txt", ".text", ".rst"}
HTML = {".html", ".htm"}
PDF = {".pdf"}
DOCX = {".docx"}
SUPPORTED = MARKDOWN | TEXT | HTML | PDF | DOCX
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MEDIA_TYPES = {  # a source's media type -> the extension whose loader reads it
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/plain": ".txt",
    "text/x-rst": ".rst",
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    DOCX_MEDIA_TYPE: ".docx",
}
TEXT_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
MAX_TEXT_CHARACTERS = 5_000_000  # about 2,500 pages; a longer "document" is a dump, not a policy
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a Word document's parts once unzipped
MAX_FRONT_MATTER_CHARACTERS = 64 * 1024  # a closing "---" further down is a rule in the text, not front matter
_FRONT_MATTER = re.compile(r"---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|$)", flags=re.DOTALL)


class UnreadableFile(Exception):
    """The file cannot be turned into text; the message says why in a few words."""


@dataclass(frozen=True)
class LoadedDocument:
    title: str
    text: str  # Markdown-like: "#" headings and blank-line separated paragraphs
    url: str | None = None  # the document's own web address, when it names one


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED


_SUFFIX_MEDIA_TYPES = {**{suffix: "text/markdown" for suffix in MARKDOWN}, **{suffix: "text/plain" for suffix in TEXT},
                       ".rst": "text/x-rst", **{suffix: "text/html" for suffix in HTML}, ".pdf": "application/pdf",
                       ".docx": DOCX_MEDIA_TYPE}


def suffix_for(media_type: str) -> str | None:
    """The extension whose loader reads this media type (parameters such as ``; charset=`` ignored)."""
    return MEDIA_TYPES.get(media_type.split(";", 1)[0].strip().lower())


def media_type_of(name: str) -> str | None:
    """The media type a file name's extension stands for, among those the loaders read; None for any other."""
    return _SUFFIX_MEDIA_TYPES.get(PurePosixPath(name).suffix.lower())


def load(path: Path, data: bytes | None = None) -> LoadedDocument:
    """The document in ``data`` (the file's bytes, read here when not given), named after ``path``."""
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnreadableFile(f"unsupported file type {path.suffix or '(none)'}")
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableFile(f"cannot read the file ({exc.strerror or exc})") from None
    text, url = loader(data)
    if len(text) > MAX_TEXT_CHARACTERS:
        raise UnreadableFile(f"too much text ({len(text):,} characters; at most {MAX_TEXT_CHARACTERS:,})")
    if not text.strip():
        raise UnreadableFile("no text found")
    return LoadedDocument(title=title_of(text, path), text=text, url=url)


def title_of(text: str, path: Path) -> str:
    """The first top-level heading, else the file name in words."""
    match = re.search(r"^#\s+(.+?)\s*#*\s*$", text, flags=re.MULTILINE)
    if match:
        return match.group(1).strip()
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or path.name


def decode_text(data: bytes) -> str:
    """UTF-8 when it is, else the common single-byte encodings of office documents (never fails)."""
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")  # pragma: no cover - latin-1 decodes any byte


def _read_text(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise UnreadableFile("looks like a binary file, not text")
    return decode_text(data).replace("\r\n", "\n").replace("\r", "\n")


def _load_markdown(data: bytes) -> tuple[str, str | None]:
    text, fields = split_front_matter(_read_text(data))
    return text, web_url(fields.get("url"))


def split_front_matter(text: str) -> tuple[str, dict]:
    """The text without its YAML front matter (a mapping between ``---`` lines at the very start), and that
    mapping. Anything else that starts with ``---`` (a rule, a setext heading) is text and stays."""
    import yaml

    match = _FRONT_MATTER.match(text[:MAX_FRONT_MATTER_CHARACTERS])
    if match is None:
        return text, {}
    try:
        fields = yaml.safe_load(match.group(1) or "")
    except (yaml.YAMLError, RecursionError):  # malformed, or nested past the parser's depth
        return text, {}
    if fields is None:
        fields = {}
    if not isinstance(fields, dict):
        return text, {}
    return text[match.end():], fields


def _load_html(data: bytes) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup

    markup = _read_text(data)
    soup = BeautifulSoup(markup, "html.parser")
    canonical = soup.find("link", rel="canonical", href=True)
    url = web_url(canonical["href"]) if canonical is not None else None
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    main = _main_content(markup)
    return _page_text(BeautifulSoup(main, "html.parser") if main else soup, title), url


def _main_content(markup: str) -> str | None:
    """The HTML of the element that holds the page's main content; None when the page has none to find."""
    from readability import Document
    from readability.readability import Unparseable

    try:
        return Document(markup).summary(html_partial=True) or None
    except (Unparseable, ValueError, TypeError):
        return None


def _page_text(soup, title: str) -> str:
    """Every heading, paragraph, list item and cell, as Markdown-like blocks; what is left of navigation and
    footers when the main content is the whole page is dropped."""
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript"]):
        tag.decompose()
    blocks: list[str] = []
    body = soup.body or soup
    has_h1 = body.find("h1") is not None
    if title and not has_h1:
        blocks.append(f"# {title}")
    for element in body.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "td", "dd", "dt"]):
        if element.find_parent(["p", "li", "td", "dd", "dt"]) is not None:
            continue  # nested: its parent already contributed the text
        text = element.get_text(" ", strip=True)
        if not text:
            continue
        if element.name.startswith("h"):
            blocks.append("#" * int(element.name[1]) + " " + text)
        elif element.name == "li":
            blocks.append(f"- {text}")
        else:
            blocks.append(text)
    return "\n\n".join(blocks)


def _load_pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableFile("the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableFile(f"not a readable PDF ({exc.__class__.__name__})") from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on damaged files
        raise UnreadableFile(f"not a readable PDF ({exc.__class__.__name__})") from None
    paragraphs = []
    for page in pages:
        # PDF text breaks lines mid-sentence; join lines, keep blank-line paragraph breaks.
        for block in re.split(r"\n\s*\n", page):
            joined = re.sub(r"\s*\n\s*", " ", block).strip()
            if joined:
                paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def _load_docx(data: bytes) -> str:
    import zipfile

    from docx import Document

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableFile(f"not a readable Word document ({exc.__class__.__name__})") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnreadableFile(f"unpacks to {unpacked / 2**20:,.0f} MB (at most {MAX_UNPACKED_BYTES // 2**20} MB)")
    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableFile(f"not a readable Word document ({exc.__class__.__name__})") from None
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds on damaged files
        raise UnreadableFile(f"not a readable Word document ({exc.__class__.__name__})") from None
    blocks: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = _heading_level(style)
        blocks.append("#" * level + " " + text if level else text)
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
            if cells:
                blocks.append(" | ".join(cells))
    return "\n\n".join(blocks)


def _heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = re.match(r"Heading (\d)", style)
    return min(int(match.group(1)), 6) if match else 0


def _without_url(parse: Callable[[bytes], str]) -> Callable[[bytes], tuple[str, str | None]]:
    return lambda data: (parse(data), None)


# Each loader returns the text and the document's own web address (None when the format cannot name one).
_LOADERS: dict[str, Callable[[bytes], tuple[str, str | None]]] = {
    **{suffix: _load_markdown for suffix in MARKDOWN},
    **{suffix: _without_url(_read_text) for suffix in TEXT},
    **{suffix: _load_html for suffix in HTML},
    **{suffix: _without_url(_load_pdf) for suffix in PDF},
    **{suffix: _without_url(_load_docx) for suffix in DOCX},
}
