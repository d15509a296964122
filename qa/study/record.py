"""The two voices of a record that the glossary and the timeline read apart: its own text (the
Contents) and the editors' footnotes, with the markers in the text that point to them; and the
short stretch of a sentence that they quote for one mention.

FRUS and Wilson Center records end with a **Footnotes:** section of lines "[n] note"; the text
cites them with "[n]" right after the word they gloss ("Ralph Clough,[1]").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vectorstore.documents import Document

_NOTE = re.compile(r"^\[(\d+)\][ \t]*(\S.*?)[ \t]*$", re.M)
_MARKER = re.compile(r"\[(\d+)\]")
# Where a clause ends: a semicolon, a colon not inside a time ("03:15"), a dash.
_CLAUSE_BREAK = re.compile(r";|:(?!\d)|\u2014| \u2013 ")
_WORD = re.compile(r"\S+")
QUOTE_WORDS = 30
"""A sentence longer than this is quoted by its clause, or by a window of words, around a
mention."""


@dataclass(frozen=True)
class Footnote:
    """One editors' note: ``document.text[start:end]`` is its text, without its "[n]" marker."""

    number: int
    start: int
    end: int


def body_of(document: Document) -> tuple[int, int]:
    """Where the document's own text is (its Contents), as offsets; all of it without one."""
    contents = next((s for s in document.sections if s.name == "Contents"), None)
    return (contents.start, contents.end) if contents else (0, len(document.text))


def footnotes_of(document: Document) -> list[Footnote]:
    """The editors' footnotes of the document, in order (none for a record without them)."""
    section = next((s for s in document.sections if s.name == "Footnotes"), None)
    if section is None:
        return []
    return [
        Footnote(int(note[1]), note.start(2), note.end(2))
        for note in _NOTE.finditer(document.text, section.start, section.end)
    ]


def markers_of(document: Document) -> dict[int, int]:
    """The footnote markers in the document's own text: the offset where each "[n]" starts, and
    n."""
    start, end = body_of(document)
    return {m.start(): int(m[1]) for m in _MARKER.finditer(document.text, start, end)}


def clause_around(text: str, start: int, end: int, at: int, until: int) -> tuple[int, int]:
    """The stretch of the sentence ``text[start:end]`` to quote for the mention
    ``text[at:until]``: the sentence when it is short, else the clause holding the mention, else
    about QUOTE_WORDS words around it; always whole words, whitespace trimmed."""
    if len(_WORD.findall(text, start, end)) <= QUOTE_WORDS:
        return start, end
    breaks = [m for m in _CLAUSE_BREAK.finditer(text, start, end)]
    left = max((m.end() for m in breaks if m.end() <= at), default=start)
    right = min((m.start() for m in breaks if m.start() >= until), default=end)
    words = [m for m in _WORD.finditer(text, left, right)]
    if len(words) > QUOTE_WORDS:
        index = next((i for i, w in enumerate(words) if w.end() > at), 0)
        first = max(0, min(index - QUOTE_WORDS // 2, len(words) - QUOTE_WORDS))
        last = min(len(words), first + QUOTE_WORDS)
        while last < len(words) and words[last - 1].start() < until:
            last += 1
        left, right = words[first].start(), words[last - 1].end()
    left, right = _stripped(text, left, right)
    return (left, right) if left < right else (start, end)


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` without the whitespace and stray commas at its edges."""
    while start < end and (text[start].isspace() or text[start] == ","):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end
