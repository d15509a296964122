"""A collection's timeline: each document on its own date, and the dated events its text and its
editors' footnotes tell, each cited verbatim at the clause that dates it, earliest first.

Dates are read as the records write them: "July 13, 1950", "13 July 1950", "13.7.50" (the
telegrams' day.month.year), and "June 29" with the year of the document's own date, taken only
when the document has a full date (a month-day more than two months after it is of the year
before: a January record's "December 27" is last December).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from pydantic import BaseModel

from qa.answer import Citation, cite
from qa.study.record import body_of, clause_around, footnotes_of
from qa.words import MONTH_NAMES
from vectorstore.documents import Document
from vectorstore.text import split_sentences

_DAY_MONTH = rf"(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{MONTH_NAMES})\b"
_MONTH_DAY = rf"(?P<m2>{MONTH_NAMES})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])"
# The year may follow other days of the same month ("December 18 and 27, 1950", "June 1-13,
# 1882", with an en dash).
_YEAR = r"(?:(?:\s*(?:\u2013|-|and|,)\s*\d{1,2}(?!\d))*,?\s+(?P<y>1[5-9]\d\d|20\d\d)\b)?"
_WRITTEN = re.compile(rf"\b(?:{_DAY_MONTH}|{_MONTH_DAY}){_YEAR}")
_NUMERIC = re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2})(?![\d]|\.\d)")
_MONTHS = {name: n for n, name in enumerate(MONTH_NAMES.split("|"), start=1)}
# How far ahead of its own date a record's yearless date may be and still be of the same year.
_AHEAD = timedelta(days=62)
# The stretch of a body where its dateline repeats the record's own date ("Washington, 2 January
# 1951."): not an event.
_DATELINE_CHARS = 250
_LABEL_WORDS = 14


class TimelineEntry(BaseModel):
    date: str
    """ISO date (YYYY-MM-DD), for sorting."""
    label: str
    """A short description: the document's title, or the dated clause without its date."""
    source: Citation
    """The title, or the sentence or clause that gives the date, verbatim."""
    editors: bool = False
    """Whether the date is told by the editors' footnotes rather than by the document itself."""
    inferred_year: bool = False
    """Whether the text gives no year and the year is the document's own."""


def timeline(documents: list[Document]) -> list[TimelineEntry]:
    """Dated events, earliest first: each document on its date (cited at its title), and each
    date its text and its footnotes give (cited at the clause that gives it), each once."""
    entries = [e for document in documents for e in _entries_of(document)]
    unique: dict[tuple[str, str, str], TimelineEntry] = {}
    for entry in sorted(entries, key=lambda e: (e.date, e.source.document_id, e.source.start)):
        unique.setdefault((entry.date, entry.source.document_id, entry.label.lower()), entry)
    return list(unique.values())


def _entries_of(document: Document) -> list[TimelineEntry]:
    entries = []
    title = next((s for s in document.sections if s.name == "Title"), None)
    if document.date and len(document.date) == 10 and title is not None:
        source = cite(document, title.start, title.end)
        entries.append(TimelineEntry(date=document.date, label=document.title, source=source))
    start, end = body_of(document)
    for sentence in split_sentences(document.text, start, end):
        for entry in _dated(document, sentence.start, sentence.end, editors=False):
            dateline = entry.source.start - start < _DATELINE_CHARS
            if not (dateline and entry.date == document.date and entries):
                entries.append(entry)
    for note in footnotes_of(document):
        for sentence in split_sentences(document.text, note.start, note.end):
            entries.extend(_dated(document, sentence.start, sentence.end, editors=True))
    return entries


def _dated(document: Document, start: int, end: int, *, editors: bool) -> list[TimelineEntry]:
    """The dates that ``document.text[start:end]`` (one sentence) gives, each cited at its
    clause."""
    found = []
    text = document.text
    matches = [*_WRITTEN.finditer(text, start, end), *_NUMERIC.finditer(text, start, end)]
    for match in sorted(matches, key=lambda m: m.start()):
        when = _date_of(match, document.date)
        if when is None:
            continue
        iso, inferred = when
        left, right = clause_around(text, start, end, match.start(), match.end())
        label = _label(text[left : match.start()], text[match.end() : right])
        found.append(
            TimelineEntry(date=iso, label=label or document.title,
                          source=cite(document, left, right), editors=editors,
                          inferred_year=inferred)
        )  # fmt: skip
    return found


def _date_of(match: re.Match[str], own: str | None) -> tuple[str, bool] | None:
    """The ISO date a match writes, and whether its year is the document's own (`own`, ISO)."""
    groups = match.groupdict()
    if "d" in groups:  # 13.7.50
        day, month, year = int(groups["d"]), int(groups["m"]), groups["y"]
        century = own[:2] if own else "19"
        return _valid(int(century + year if len(year) == 2 else year), month, day, False)
    day = int(groups["d1"] or groups["d2"])
    month = _MONTHS[groups["m1"] or groups["m2"]]
    if groups["y"]:
        return _valid(int(groups["y"]), month, day, False)
    if not own or len(own) != 10:
        return None
    anchor = date.fromisoformat(own)
    found = _valid(anchor.year, month, day, True)
    if found and date.fromisoformat(found[0]) > anchor + _AHEAD:
        return _valid(anchor.year - 1, month, day, True)
    return found


def _valid(year: int, month: int, day: int, inferred: bool) -> tuple[str, bool] | None:
    try:
        return date(year, month, day).isoformat(), inferred
    except ValueError:
        return None


def _label(before: str, after: str) -> str:
    """A dated clause as a short description: its words before and after the date, without the
    date's leftovers ("on", "dated", footnote markers), at most _LABEL_WORDS of them."""
    before = re.sub(r"\b(?:on|of|dated|since|until|by|from)\s*$", "", before)
    text = re.sub(r"\[\d+\]", "", f"{before} {after}")
    text = re.sub(r"\s+([,.;:)])", r"\1", " ".join(text.split()))
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text).strip(" ,;:—-")
    words = text.split()
    return " ".join(words[:_LABEL_WORDS]) + ("…" if len(words) > _LABEL_WORDS else "")
