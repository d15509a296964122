"""A minimal text PDF, written by hand, so the tests need no PDF-writing library."""

from __future__ import annotations

import re
import zlib


def text_pdf(paragraphs: list[str], *, title: str | None = None) -> bytes:
    """A one-page PDF whose text layer holds `paragraphs`, one line each (ASCII only)."""
    lines = []
    for i, paragraph in enumerate(paragraphs):
        escaped = paragraph.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        lines.append(f"BT /F1 11 Tf 50 {760 - 30 * i} Td ({escaped}) Tj ET")
    stream = "\n".join(lines).encode("latin-1")
    info = f"<< /Title ({title}) >>" if title else "<< >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        info.encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def bomb_pdf(unpacked_bytes: int = 300_000_000) -> bytes:
    """A one-page PDF of 0.3 MB whose content stream inflates to `unpacked_bytes` of spaces."""
    stream = zlib.compress(b"BT /F1 12 Tf (x) Tj ET " + b" " * unpacked_bytes, 9)
    page = text_pdf(["x"])
    text = b"BT /F1 11 Tf 50 760 Td (x) Tj ET"
    plain = b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"
    packed = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
    return _with_offsets(page.replace(plain, packed + b"\nendstream"))


def _with_offsets(pdf: bytes) -> bytes:
    """`pdf` with its cross-reference table rewritten for objects that moved."""
    body, _, _ = pdf.partition(b"xref\n")
    offsets = [m.start() for m in re.finditer(rb"(?m)^\d+ 0 obj\n", body)]
    table = b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    table += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n"
    return body + table + trailer % (len(offsets) + 1, len(body))
