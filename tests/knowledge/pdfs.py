"""Real PDFs built by hand, so tests need no PDF writer: pages that all show one given content stream."""
from __future__ import annotations

import zlib


def pdf_with_text(lines: list[str]) -> bytes:
    """A minimal PDF with one page of text, a line per entry."""
    text_ops = " ".join(f"({line}) Tj 0 -16 Td" for line in lines)
    return pdf_with_content(f"BT /F1 12 Tf 72 720 Td {text_ops} ET".encode())


def slow_pdf(pages: int = 10) -> bytes:
    """A 12 KB PDF whose every page draws a character 380,000 times (just inside pypdf's own limit on the work
    per content stream): pypdf takes 10 to 20 s a page to extract its text, minutes for the file. The shape of a
    file crafted to hold up a reader."""
    return pdf_with_content(b"BT /F1 12 Tf " + b"(a) Tj 1 0 Td " * 380_000 + b"ET", pages=pages, compress=True)


def pdf_with_content(stream: bytes, *, pages: int = 1, compress: bool = False) -> bytes:
    stream_filter = b""
    if compress:
        stream, stream_filter = zlib.compress(stream, 9), b" /Filter /FlateDecode"
    kids = " ".join(f"{6 + page} 0 R" for page in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Font << /F1 5 0 R >> >>",
        b"<< /Length " + str(len(stream)).encode() + stream_filter + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ] + [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources 3 0 R >>"] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
