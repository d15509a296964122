"""A document's glossary and timeline: the names and dates it mentions, each cited verbatim at
the sentence that states it.

Names are found by their capitals (not a sentence's first word alone, not a lone nationality) and
told apart by their words and the words before them: "Security Council" is an organisation,
"Ambassador Roshchin" a person, "in Moscow" a place.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Literal

from pydantic import BaseModel

from qa.answer import Citation, cite
from qa.words import (
    CALENDAR,
    DIRECTIONS,
    FULL_DATE,
    OPENERS,
    ORGANISATION_WORDS,
    PERSONAL_TITLES,
    PLACE_WORDS,
    is_nationality,
)
from vectorstore.documents import Document
from vectorstore.text import LIST_LABEL, iso_date, split_sentences, terms

Kind = Literal["person", "place", "organisation", "date", "other"]
# Capitalised runs, allowing "of", "the", "for" inside ("Secretary of State"), and a bracketed
# identification after a pseudonym ("FILIPPOV [Stalin]").
_NAME = re.compile(
    r"\[?(?:[A-Z][\w'’-]*)(?:[ \t]+(?:(?:of|the|for)[ \t]+)?[A-Z][\w'’-]*)*\]?"  # noqa: RUF001
)
_TITLES = re.compile(rf"\b(?:{'|'.join(PERSONAL_TITLES)})\.?\s+$")
_PLACE_BEFORE = re.compile(r"\b(?:in|at|near|inside|toward|towards)\s+(?:the\s+)?$", re.I)
_LEADING_LABEL = re.compile(rf"^{LIST_LABEL.pattern}")


class GlossaryEntry(BaseModel):
    term: str
    kind: Kind
    source: Citation


class TimelineEntry(BaseModel):
    date: str
    """ISO date (YYYY-MM-DD), for sorting."""
    label: str
    source: Citation


def body_of(document: Document) -> tuple[int, int]:
    """Where the document's own text is (its Contents), as offsets; all of it without one."""
    contents = next((s for s in document.sections if s.name == "Contents"), None)
    return (contents.start, contents.end) if contents else (0, len(document.text))


def mentions(document: Document) -> Counter[str]:
    """Names in the document's body and how often each is mentioned."""
    start, end = body_of(document)
    counts: Counter[str] = Counter()
    for sentence in split_sentences(document.text, start, end):
        counts.update(names_in(document, sentence.start, sentence.end).values())
    return counts


def names_in(document: Document, start: int, end: int) -> dict[int, str]:
    """The names in ``document.text[start:end]`` by offset: capitalised runs, not the first word
    of a sentence alone, not a lone nationality; shouted header words ("SOVIET AMBASSADOR") only
    where the document also writes them as a name ("Zhou Enlai")."""
    found: dict[int, str] = {}
    text = document.text[start:end]
    for match in _NAME.finditer(text):
        name = match.group().strip("[]. ")
        shouted = list(itertools.takewhile(lambda w: w.isupper() and len(w) > 1, name.split()))
        if shouted:
            name = " ".join(shouted).title()
            if len(name) < 4 or name not in document.text:
                continue
        at = match.start()
        if not re.search(r"[A-Za-z0-9]", _LEADING_LABEL.sub("", text[:at], count=1)):
            # Capitalised because it opens the sentence: a function word or an adverb is not
            # part of the name ("That the UN", "Concurrently Chinese Communist forces").
            first, _, rest = name.partition(" ")
            if not rest:
                continue
            if not terms(first) or first.lower().endswith("ly") or first.lower() in OPENERS:
                at += len(first) + 1
                name = re.sub(r"^(?:(?:of|the|for)\s+)+", "", rest)
        words = [t for t in terms(name) if t not in DIRECTIONS]
        if len(name) < 3 or not words or all(is_nationality(t) for t in words):
            continue
        if words[0] in CALENDAR:
            continue
        found[start + at] = name
    return found


def glossary(document: Document) -> list[GlossaryEntry]:
    """People, places, organisations and dates the document names, each cited at the sentence
    that first mentions it."""
    start, end = body_of(document)
    sentences = split_sentences(document.text, start, end)
    entries: dict[str, GlossaryEntry] = {}
    for sentence in sentences:
        text = document.text[sentence.start : sentence.end]
        for found in FULL_DATE.finditer(text):
            term = found.group()
            if term not in entries:
                entries[term] = GlossaryEntry(
                    term=term, kind="date", source=cite(document, sentence.start, sentence.end)
                )
        for at, term in names_in(document, sentence.start, sentence.end).items():
            if term in entries or FULL_DATE.search(term):
                continue
            kind = kind_of_name(term, document.text[max(0, at - 30) : at + 1])
            entries[term] = GlossaryEntry(
                term=term, kind=kind, source=cite(document, sentence.start, sentence.end)
            )
    order = {"person": 0, "organisation": 1, "place": 2, "date": 3, "other": 4}
    return sorted(entries.values(), key=lambda e: (order[e.kind], e.term.lower()))


def kind_of_name(name: str, before: str) -> Kind:
    """What a name names, by its words and the words before it (`before` ends with the name's
    first character: "FILIPPOV [" marks an identification, a person)."""
    words = set(terms(name))
    before, first = before[:-1], before[-1:]
    if words & ORGANISATION_WORDS:
        return "organisation"
    if _TITLES.search(before) or first == "[":
        return "person"
    if _PLACE_BEFORE.search(before) or words & PLACE_WORDS:
        return "place"
    return "other"


def timeline(documents: list[Document]) -> list[TimelineEntry]:
    """Dated events, earliest first: each document on its date (cited at its title), and each
    sentence that gives a full date (cited whole)."""
    entries = []
    for document in documents:
        title = next((s for s in document.sections if s.name == "Title"), None)
        if document.date and len(document.date) == 10 and title is not None:
            entries.append(
                TimelineEntry(date=document.date, label=document.title,
                              source=cite(document, title.start, title.end))
            )  # fmt: skip
        start, end = body_of(document)
        for sentence in split_sentences(document.text, start, end):
            text = document.text[sentence.start : sentence.end]
            for found in FULL_DATE.finditer(text):
                iso = _iso(found)
                if iso:
                    label = " ".join(text.split())
                    entries.append(
                        TimelineEntry(date=iso, label=label,
                                      source=cite(document, sentence.start, sentence.end))
                    )  # fmt: skip
    unique = {(e.date, e.source.document_id, e.source.start): e for e in entries}
    return sorted(unique.values(), key=lambda e: (e.date, e.source.document_id, e.source.start))


def _iso(found: re.Match[str]) -> str | None:
    return iso_date(f"{found['d1'] or found['d2']} {found['m1'] or found['m2']} {found['y']}")
