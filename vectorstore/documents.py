"""Loading: a document file -> a `Document` (its stored text, metadata and section offsets).

Reads the Wilson Center Digital Archive record layout (``**July 13, 1950**``, ``**Title**``,
``**Citation:**``, ``**Summary:**``, ... ``**Contents:**``) and plain .txt/.md files, and the text
of PDF and HTML files (vectorstore.formats). A document's text is what citations index into: for
a PDF or a web page, the text extracted from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path

from vectorstore.errors import LoadError
from vectorstore.formats import html_text, pdf_text
from vectorstore.text import iso_date, strip_span, without_bidi_controls

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf", ".html", ".htm")
MAX_FILE_BYTES = 20_000_000
_BOLD_LINE = re.compile(r"^\*\*(?P<inner>[^*\n]+?)\*\*(?P<rest>[^\n]*)$", re.MULTILINE)
_URL_IN_ANGLES = re.compile(r"\s*<(?P<url>https?://[^>\s]+)>")
_MD_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)


class Part(Enum):
    """Who speaks in a section of a record: the document itself, its editors, or the archive
    that describes it."""

    DOCUMENT = "the document"
    """Its own text: header lines, body, signature (``Contents``; all of a plain text)."""
    EDITORS = "the editors' notes"
    """Footnotes the publishing editors added."""
    SUMMARY = "the archive's summary"
    APPARATUS = "the archive's description"
    """Title, citation, source note, dateline: what the archive says about the document."""


_PARTS = {"Contents": Part.DOCUMENT, "Footnotes": Part.EDITORS, "Summary": Part.SUMMARY}


@dataclass(frozen=True)
class Section:
    """A named part of a document's text: ``text[start:end]`` is its body."""

    name: str
    start: int
    end: int

    @property
    def part(self) -> Part:
        """Who speaks in it."""
        return part_of(self.name)


def part_of(section: str) -> Part:
    """Who speaks in the section called `section`."""
    return _PARTS.get(section, Part.APPARATUS)


@dataclass(frozen=True)
class Document:
    """One document as stored: the text every citation offset points into, and its metadata."""

    id: str
    title: str
    text: str
    sections: tuple[Section, ...]
    source: str
    date: str | None = None
    citation: str | None = None
    url: str | None = None
    summary: str | None = None
    original_language: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    added_by: str | None = None
    """Who added it to the library, where that is known (an upload: "a visitor, through the page");
    None for the bundled telegram and the operator's own `archive-qa ingest`."""

    def self_description(self) -> str:
        """What the document says about itself: its title, summary, source note and dateline.
        From its metadata, so a catalogue entry read without its text says it too."""
        described = [v for k, v in self.extra.items() if k != "Document"]
        return " ".join([self.title, self.summary or "", *described])

    def section_at(self, offset: int) -> str:
        """The name of the section holding character `offset` ("" outside every section)."""
        for section in self.sections:
            if section.start <= offset < section.end:
                return section.name
        return ""


def load_document(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """Read one document file; raise `LoadError` with what to do when it cannot be used."""
    if path.is_dir():
        raise LoadError(f"{path} is a folder: pass the files in it, e.g. {path}/*.txt")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(SUPPORTED_SUFFIXES)
        raise LoadError(
            f"{path.name}: unsupported file type {path.suffix or '(none)'!r}; "
            f"archive-qa reads {kinds}. Convert the document to plain text first."
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(_too_big(path.name, size, max_bytes))
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return document_from_bytes(raw, path.name, max_bytes=max_bytes)


def document_from_bytes(raw: bytes, name: str, *, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """A document from a file's bytes and its name (an upload): the suffix says how to read it."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(SUPPORTED_SUFFIXES)
        raise LoadError(
            f"{name}: unsupported file type {suffix or '(none)'!r}; archive-qa reads {kinds}. "
            "Convert the document to one of them first."
        )
    if len(raw) > max_bytes:
        raise LoadError(_too_big(name, len(raw), max_bytes))
    if suffix == ".pdf":
        text, title = pdf_text(raw, name)
    elif suffix in (".html", ".htm"):
        text, title = html_text(raw, name)
    else:
        text, title = _decode(raw, name), None
    document = parse_document(text, source=name)
    # A PDF's or a page's own title names it better than its file name, unless the text carries
    # the archive record layout with a title of its own.
    titled = any(s.name == "Title" for s in document.sections)
    if title and not titled:
        return replace(document, title=without_bidi_controls(title))
    return document


def _too_big(name: str, size: int, limit: int) -> str:
    return (
        f"{name} is {size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB limit: "
        "split it into smaller files."
    )


def parse_document(text: str, *, source: str) -> Document:
    """Parse document text (archive record layout, or plain text) into a `Document`. Its file
    name and title lose any character that would change their reading order (the text keeps
    them: citations quote it as it is)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    source = without_bidi_controls(source)
    if not text:
        raise LoadError(f"{source} is empty: there is nothing to ask about.")
    headings = list(_BOLD_LINE.finditer(text))
    if not any(_is_section_heading(h) for h in headings):
        document = _plain_document(text, source)
    else:
        document = _layout_document(text, source, headings)
    return replace(document, title=without_bidi_controls(document.title))


def _decode(raw: bytes, name: str) -> str:
    if b"\x00" in raw[:8192]:
        raise LoadError(f"{name} looks like a binary file, not text: save it as UTF-8 text.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"{name} is not UTF-8 text (bad byte at position {exc.start}): "
            "re-save it as UTF-8 and ingest it again."
        ) from exc


def _is_section_heading(match: re.Match[str]) -> bool:
    inner = match["inner"].strip()
    return inner.endswith(":") and len(inner) <= 60


def _layout_document(text: str, source: str, headings: list[re.Match[str]]) -> Document:
    sections, date = _sections(text, headings)
    body = {s.name.lower(): text[s.start : s.end] for s in sections}
    citation_text = body.get("citation")
    url = None
    if citation_text:
        found = _URL_IN_ANGLES.search(citation_text)
        if found:
            url = found["url"]
            citation_text = _URL_IN_ANGLES.sub("", citation_text).strip()
    return Document(
        id=_document_id(url, source),
        title=body.get("title") or _title_from_name(source),
        text=text,
        sections=tuple(sorted(sections, key=lambda s: s.start)),
        source=source,
        date=date,
        citation=citation_text or None,
        url=url,
        summary=body.get("summary") or None,
        original_language=body.get("original language") or None,
        extra={
            s.name: text[s.start : s.end]
            for s in sections
            if s.name.lower() in {"source note", "dateline", "document"}
        },
    )


def _sections(text: str, headings: list[re.Match[str]]) -> tuple[list[Section], str | None]:
    """The sections of a text in the record layout (the bold lines before the first heading are
    its date and title, then each heading's body), and its date in ISO form."""
    first = next(i for i, h in enumerate(headings) if _is_section_heading(h))
    # Bold lines inside a section's body are emphasis, not boundaries.
    bounds = headings[:first] + [h for h in headings[first:] if _is_section_heading(h)]
    sections: list[Section] = []
    preamble: list[Section] = []
    for i, heading in enumerate(bounds):
        end = bounds[i + 1].start() if i + 1 < len(bounds) else len(text)
        if i >= first:
            name = heading["inner"].strip().rstrip(":").strip()
            sections.append(_trimmed(text, name, heading.start("rest"), end))
        else:
            preamble.append(_trimmed(text, heading["inner"].strip(), heading.start("inner"), end))
    date, titled = None, None
    for part in preamble:
        iso = iso_date(part.name) if date is None else None
        if iso is not None:
            date = iso
            sections.insert(0, Section("Date", part.start, part.start + len(part.name)))
        elif titled is None:
            titled = Section("Title", part.start, part.start + len(part.name))
    return ([titled, *sections] if titled is not None else sections), date


def _plain_document(text: str, source: str) -> Document:
    heading = _MD_HEADING.search(text)
    title = heading["title"] if heading else _title_from_name(source)
    return Document(
        id=_document_id(None, source),
        title=title,
        text=text,
        sections=(Section("Contents", 0, len(text)),),
        source=source,
    )


def _trimmed(text: str, name: str, start: int, end: int) -> Section:
    return Section(name, *strip_span(text, start, end))


def _title_from_name(source: str) -> str:
    return Path(source).stem.replace("_", " ").replace("-", " ").strip() or source


def _document_id(url: str | None, source: str) -> str:
    """A stable id: from the archive URL when there is one, else from the file name.

    It must not depend on the content, so that an edited file replaces its old version.
    """
    if url:
        parts = [p for p in url.split("?")[0].split("/") if p][-2:]
        basis = "-".join(parts)
    else:
        basis = Path(source).stem
    slug = re.sub(r"[^a-z0-9]+", "-", basis.lower()).strip("-")
    return slug or "document"
