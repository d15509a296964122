"""The fields of a document that state its provenance: for each aspect (author, recipient, date,
place, original language, archive, kind), where the stored text states it.

Read by qa.sourcing.provenance, which answers questions about a document as a source. Each is cut
at the field's own characters (the title's "X to Y", the signature after "Sincerely yours,", the
date line, the dateline, the Original Language field, the citation and source note), so a quote made
from it is verbatim; a document without the field states nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from typing import NamedTuple

from qa.words import DOCUMENT_KINDS, FULL_DATE, MONTH_NAMES
from vectorstore.documents import Document, Section
from vectorstore.text import strip_span


class Aspect(Enum):
    """What a provenance question asks about its document."""

    AUTHOR = "who wrote or signed it"
    RECIPIENT = "to whom it was addressed"
    DATE = "its date"
    PLACE = "where it was written"
    LANGUAGE = "its original language"
    ARCHIVE = "where the original is kept"
    KIND = "what kind of document it is"


class Stated(NamedTuple):
    """Where a document states an aspect of itself, ``text[start:end]``, and how an answer says
    it: the template says what the field is, and its ``{}`` takes the quote with its citation
    number."""

    template: str
    start: int
    end: int


def _section(document: Document, name: str) -> Section | None:
    return next((s for s in document.sections if s.name == name), None)


def _titled(document: Document) -> Section | None:
    """The title field, when the document has one (plain text has none)."""
    return _section(document, "Title")


_KIND_PHRASE = re.compile(
    rf"(?:[A-Z][\w-]*\s+){{0,3}}?(?:{DOCUMENT_KINDS})(?:\s+of\s+(?:Conversation|the\s+Record|Telephone\s+Conversation))?\b",
    re.I,
)
# "X to Y", "Memorandum by X to Y", "Memorandum Prepared by X for Y", "Presented to Y by X",
# "Memorandum of Conversation, Prepared in X".
_FOR = re.compile(r"\b[Pp]repared\s+by\s+(?P<from>.+?)\s+for\s+(?P<to>.+)$")
_BY = re.compile(r"\b(?:by|[Pp]repared\s+in)\s+(?P<from>.+?)(?:\s+to\s+(?P<to>.+))?$")
_TO_BY = re.compile(r"\bto\s+(?P<to>.+?)\s+by\s+(?P<from>.+)$")
_A_TO_B = re.compile(r"(?:No\.\s*\d+\.\s+)?(?P<from>.+?)\s+to\s+(?P<to>.+?)$")


def _parties(document: Document) -> dict[str, tuple[int, int]]:
    """The sender ("from") and recipient ("to") as the title gives them, as text spans."""
    title = _titled(document)
    if title is None:
        return {}
    start, end = title.start, title.end
    text = document.text
    while end > start and text[end - 1] in ".,; ":
        end -= 1
    head = _KIND_PHRASE.match(text, start, end)
    if head:
        start = head.end()
        while start < end and text[start] in ", ":
            start += 1
    patterns = (_FOR.search, _TO_BY.search, _BY.search, _A_TO_B.match) if head else (_A_TO_B.match,)
    for find in patterns:
        found = find(text, start, end)
        if found:
            return {k: found.span(k) for k in ("from", "to") if found.group(k)}
    return {}


def _author(document: Document) -> list[Stated]:
    found: list[Stated] = []
    signed = _signature(document)
    if signed:
        found.append(Stated("It is signed {}", *signed))
    sender = _parties(document).get("from")
    if sender and (not signed or document.text[slice(*signed)] != document.text[slice(*sender)]):
        found.append(Stated("The record's title gives the sender as {}", *sender))
    return found


def _recipient(document: Document) -> list[Stated]:
    to = _parties(document).get("to")
    return [Stated("The record's title gives the addressee as {}", *to)] if to else []


def _date(document: Document) -> list[Stated]:
    dated = _section(document, "Date")
    if dated:
        return [Stated("The record is dated {}", dated.start, dated.end)]
    if _titled(document) is None:
        return []
    # Undated in the layout: a full date on the first or last line of the body.
    for line in _edge_lines(document):
        found = FULL_DATE.search(document.text, *line)
        if found:
            return [Stated("The text is dated {}", *found.span())]
    return []


def _place(document: Document) -> list[Stated]:
    """The place a dateline opens with: "Taipei" of "Taipei, January 24, 1951."."""
    dateline = _section(document, "Dateline")
    if dateline is None:
        return []
    month = re.compile(rf"\b(?:{MONTH_NAMES})\b|\b\d{{1,2}}\s+(?:{MONTH_NAMES})\b")
    found = month.search(document.text, dateline.start, dateline.end)
    start, end = dateline.start, found.start() if found else dateline.start
    while end > start and document.text[end - 1] in ",[] \n":
        end -= 1
    while start < end and document.text[start] in "[ ":
        start += 1
    return [Stated("The dateline places it at {}", start, end)] if end > start else []


def _language(document: Document) -> list[Stated]:
    found = _section(document, "Original Language")
    if found is None:
        return []
    return [Stated("The record gives its original language as {}", found.start, found.end)]


def _archive(document: Document) -> list[Stated]:
    found: list[Stated] = []
    citation = _section(document, "Citation")
    if citation:
        start, end = citation.start, citation.end
        url = document.text.find(" <http", start, end)
        end = url if url >= 0 else end
        # The archive follows the title and date the citation opens with.
        date = FULL_DATE.search(document.text, start, end)
        if date:
            start = date.end()
            while start < end and document.text[start] in ", ":
                start += 1
        found.append(Stated("The archival citation is {}", *strip_span(document.text, start, end)))
    note = _section(document, "Source Note")
    if note:
        found.append(Stated("The source note gives the file: {}", note.start, note.end))
    return found


def _kind(document: Document) -> list[Stated]:
    title = _titled(document)
    if title:
        head = _KIND_PHRASE.match(document.text, title.start, title.end)
        if head:
            return [Stated("The record's title calls it a {}", *head.span())]
    note = _section(document, "Source Note")
    if note:
        found = re.search(rf"\b(?:{DOCUMENT_KINDS})\b", document.text[note.start : note.end], re.I)
        if found:
            start, end = note.start + found.start(), note.start + found.end()
            return [Stated("Its source note calls it a {}", start, end)]
    return []


def _signature(document: Document) -> tuple[int, int] | None:
    """The signature line: the first name after a complimentary close ("Sincerely yours,"), or
    else the last line of the body when it is a short run of capitalised words."""
    body = _section(document, "Contents")
    if body is None or _titled(document) is None:
        return None
    lines = _lines(document.text, body.start, body.end)
    for i, (start, end) in enumerate(lines):
        if _CLOSE.search(document.text, start, end):
            for later in lines[i + 1 : i + 4]:
                if _is_signature(document.text[slice(*later)]):
                    return later
    for start, end in reversed(lines):
        line = document.text[start:end]
        if ":" in line or line.startswith("["):
            continue
        return (start, end) if _is_signature(line) else None
    return None


_CLOSE = re.compile(
    r"\b(?:yours|obedient\s+servant|respectfully|sincerely|cordially|faithfully)\b,?\s*$|"
    r"\bI\s+(?:have|am)\b.*(?:\[etc\.?\]|&c)\.?,?\s*$",
    re.I,
)
_WORD = re.compile(r"[\w'’.\[\]-]+")  # noqa: RUF001


def _is_signature(line: str) -> bool:
    """A few capitalised words and no figures ("Thomas D. Cabot", "FILIPPOV [Stalin]", "D. P.
    HEAP, Captain of Engineers"): a date or place line is not a signature."""
    if any(c.isdigit() for c in line):
        return False
    name = line.split(",")[0]
    words = _WORD.findall(name)
    return 0 < len(words) <= 5 and all(w[0].isupper() or w[0] == "[" for w in words)


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for line in text[start:end].split("\n"):
        span = strip_span(text, cursor, cursor + len(line))
        if span[1] > span[0]:
            spans.append(span)
        cursor += len(line) + 1
    return spans


def _edge_lines(document: Document) -> list[tuple[int, int]]:
    body = _section(document, "Contents")
    if body is None:
        return []
    lines = _lines(document.text, body.start, body.end)
    return [*lines[:2], *lines[-2:]]


_FIELDS: dict[Aspect, Callable[[Document], list[Stated]]] = {
    Aspect.AUTHOR: _author,
    Aspect.RECIPIENT: _recipient,
    Aspect.DATE: _date,
    Aspect.PLACE: _place,
    Aspect.LANGUAGE: _language,
    Aspect.ARCHIVE: _archive,
    Aspect.KIND: _kind,
}


def stated(document: Document, aspect: Aspect) -> list[Stated]:
    """Where `document` states `aspect`, each with how an answer says it (none when it does not)."""
    return _FIELDS[aspect](document)
