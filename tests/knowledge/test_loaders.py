"""Each loader turns its format into headed text; a file that cannot be read says why in a few words."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.loaders import UnreadableFile, decode_text, load
from tests.knowledge.pdfs import pdf_with_text


def test_markdown_keeps_headings_and_title(tmp_path: Path) -> None:
    path = tmp_path / "leave.md"
    path.write_text("# Leave policy\n\n## Annual leave\n\nYou get 25 days.\n", encoding="utf-8")
    document = load(path)
    assert document.title == "Leave policy"
    assert "## Annual leave" in document.text


def test_plain_text_in_windows_1252_is_read_not_rejected(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("Caf\xe9 allowance: \x80 15 per day \x96 receipts needed.".encode("latin-1"))
    document = load(path)
    assert "Café allowance: € 15 per day – receipts needed." in document.text
    assert document.title == "Notes"


def test_decode_prefers_utf8() -> None:
    assert decode_text("naïve – ok".encode("utf-8")) == "naïve – ok"


def test_html_headings_become_markdown_and_scripts_vanish(tmp_path: Path) -> None:
    path = tmp_path / "it.html"
    path.write_text(
        "<html><head><title>IT guide</title><script>var x = 'secret';</script></head><body>"
        "<h1>IT guide</h1><h2>VPN</h2><p>Use <b>WireGuard</b> on every network.</p>"
        "<ul><li>Install the client</li><li>Sign in</li></ul></body></html>",
        encoding="utf-8",
    )
    document = load(path)
    assert document.title == "IT guide"
    assert "## VPN" in document.text
    assert "Use WireGuard on every network." in document.text
    assert "- Install the client" in document.text
    assert "secret" not in document.text


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = tmp_path / "benefits.pdf"
    path.write_bytes(pdf_with_text(["Pension matching is 5 percent.", "Dental cover starts after probation."]))
    document = load(path)
    assert "Pension matching is 5 percent." in document.text
    assert "Dental cover" in document.text


def test_corrupt_pdf_is_unreadable_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nthis is not a pdf body\n")
    with pytest.raises(UnreadableFile) as failure:
        load(path)
    assert str(failure.value)
    assert "\n" not in str(failure.value)


def test_docx_headings_and_tables(tmp_path: Path) -> None:
    from docx import Document

    path = tmp_path / "expenses.docx"
    doc = Document()
    doc.add_heading("Expenses", level=1)
    doc.add_heading("Meals", level=2)
    doc.add_paragraph("Meals are capped at 40 pounds a day.")
    table = doc.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Hotel London"
    table.rows[0].cells[1].text = "180 pounds"
    doc.save(path)
    document = load(path)
    assert document.title == "Expenses"
    assert "## Meals" in document.text
    assert "Meals are capped at 40 pounds a day." in document.text
    assert "Hotel London | 180 pounds" in document.text


def test_corrupt_docx_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 definitely not a zip archive")
    with pytest.raises(UnreadableFile, match="Word document"):
        load(path)


def test_empty_and_unsupported_files_are_unreadable(tmp_path: Path) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("   \n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="no text"):
        load(empty)
    image = tmp_path / "logo.png"
    image.write_bytes(b"\x89PNG")
    with pytest.raises(UnreadableFile, match="unsupported"):
        load(image)


def test_markdown_front_matter_names_the_url_and_stays_out_of_the_text(tmp_path: Path) -> None:
    path = tmp_path / "leave.md"
    path.write_text('---\ntitle: Leave\nurl: "https://wiki.example.com/hr/leave"\nowner: people-ops\n---\n'
                    "# Leave policy\n\nYou get 25 days.\n", encoding="utf-8")
    document = load(path)
    assert document.url == "https://wiki.example.com/hr/leave"
    assert document.title == "Leave policy"
    assert "owner" not in document.text and "---" not in document.text and "url" not in document.text
    assert document.text.startswith("# Leave policy")


def test_html_canonical_link_is_the_url(tmp_path: Path) -> None:
    path = tmp_path / "expenses.html"
    path.write_text('<html><head><title>Expenses</title>'
                    '<link rel="canonical" href=" https://intranet.example.com/expenses "></head>'
                    "<body><p>Claim within 30 days.</p></body></html>", encoding="utf-8")
    assert load(path).url == "https://intranet.example.com/expenses"


@pytest.mark.parametrize("name, content", [
    ("plain.md", "# Plain\n\nNo front matter here.\n"),
    ("no-url.md", "---\ntitle: Only a title\n---\n# Plain\n\nText.\n"),
    ("hostile.md", "---\nurl: \"javascript:alert(1)\"\n---\n# Plain\n\nText.\n"),
    ("relative.md", "---\nurl: /hr/leave\n---\n# Plain\n\nText.\n"),
    ("list.md", "---\nurl: [https://a.example.com]\n---\n# Plain\n\nText.\n"),
    ("page.html", '<html><head><link rel="canonical" href="/relative/page"></head><body><p>Hi</p></body></html>'),
    ("bare.html", "<html><body><p>Hi</p></body></html>"),
    ("notes.txt", "url: https://wiki.example.com/notes\n\nText.\n"),
])
def test_documents_without_a_usable_url_have_none(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert load(path).url is None


def test_a_leading_rule_that_is_not_front_matter_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "rule.md"
    path.write_text("---\nJust a line under a rule\n---\n\nMore text.\n", encoding="utf-8")
    document = load(path)
    assert "Just a line under a rule" in document.text and document.url is None


def test_malformed_front_matter_is_left_as_text(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text("---\nurl: [unclosed\n" + "[" * 5000 + "\n---\n# Title\n\nBody.\n", encoding="utf-8")
    document = load(path)
    assert document.url is None and "Body." in document.text
