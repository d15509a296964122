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
    MONTH_NAMES,
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
_POSSESSIVE = re.compile(r"['’]s?$")  # noqa: RUF001
# Words that open a clause with a capital, beyond qa.words.OPENERS.
_CLAUSE_OPENERS = frozenset(
    {"although", "though", "please", "following", "finally", "when", "while", "since"}
    | {"after", "before", "unless", "because", "meanwhile", "nevertheless", "accordingly"}
    | {"received", "dear", "neither", "yet", "outside", "therefore", "however", "subject"}
)
# Bodies beyond qa.words.ORGANISATION_WORDS, and peoples acting as one ("Chinese Communists").
_BODIES = frozenset(
    terms(
        "mission group board conference league regime fleet communists nationalists allies company"
    )
)
# A title or office makes a name a person's ("Admiral Lalor", "Foreign Minister of Pakistan",
# "Secretary of State"); an organisation's word wins before it ("General Assembly").
_ROLE_NAMES = (
    *PERSONAL_TITLES, "Chargé", "Governor", "King", "Queen", "Emperor", "Prince", "Princess",
    "Lord", "Marquis", "Count", "Duke", "Viceroy", "Senator", "Commander", "Envoy", "Attaché",
    "Generalissimo", "Major", "Messrs", "Representative", "Delegate",
)  # fmt: skip
_ROLES = frozenset(t for role in _ROLE_NAMES for t in terms(role))
# A name with an initial ("Robert M", "John A. Smith") or a romanised Chinese given name
# ("Chen Cho-lin", "Wei Tao-ming").
_PERSON_SHAPE = re.compile(
    r"^[A-Z][a-z]+ [A-Z]$|\b[A-Z]\.? [A-Z][a-z]+$|^[A-Z][a-z]+ [A-Z][a-z]+-[a-z]+$"
)


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
        opening = not re.search(r"[A-Za-z0-9]", _LEADING_LABEL.sub("", text[:at], count=1))
        if opening and " " not in name:  # capitalised because it opens the sentence
            continue
        name = _POSSESSIVE.sub("", name)
        first, _, rest = name.partition(" ")
        while rest and _opens(first):  # "That the UN", "My Dear Sir", "Although General ..."
            at += len(first) + 1
            name = re.sub(r"^(?:(?:of|the|for)\s+)+", "", rest)
            first, _, rest = name.partition(" ")
        if _opens(first) and not rest:  # "Please", "Finally"
            continue
        words = [t for t in terms(name) if t not in DIRECTIONS]
        if len(name) < 3 or not words or all(is_nationality(t) for t in words):
            continue
        if words[0] in CALENDAR:
            continue
        found[start + at] = name
    return found


def _opens(word: str) -> bool:
    """Whether a capitalised word is one that opens a clause, not a name ("Although", "Please",
    "Consequently")."""
    lower = word.lower()
    return not terms(word) or lower in OPENERS or lower in _CLAUSE_OPENERS or lower.endswith("ly")


def _is_heading(text: str) -> bool:
    """Whether a line is a heading in title case ("Strength of Chinese Communist Ties"): its
    words are names only by their capitals."""
    words = re.findall(r"[A-Za-z][\w'’-]*", text)  # noqa: RUF001
    content = [w for w in words if w.lower() not in ("of", "the", "and", "for", "in", "on", "to")]
    return (
        len(content) >= 3
        and not text.rstrip().endswith(".")
        and all(w[0].isupper() for w in content)
    )


def glossary(document: Document) -> list[GlossaryEntry]:
    """People, places, organisations and dates the document names, each cited at the sentence
    that first mentions it."""
    start, end = body_of(document)
    sentences = split_sentences(document.text, start, end)
    entries: dict[str, GlossaryEntry] = {}
    for sentence in sentences:
        text = document.text[sentence.start : sentence.end]
        if _is_heading(text):
            continue
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
    for term, entry in entries.items():
        if entry.kind == "person" and _role_and_noun(term, document):
            entries[term] = entry.model_copy(update={"kind": "other"})
        elif entry.kind == "other" and _named_as_person(term, document, entries):
            entries[term] = entry.model_copy(update={"kind": "person"})
        elif entry.kind == "other" and _named_as_place(term, document):
            entries[term] = entry.model_copy(update={"kind": "place"})
    order = {"person": 0, "organisation": 1, "place": 2, "date": 3, "other": 4}
    return sorted(entries.values(), key=lambda e: (order[e.kind], e.term.lower()))


def _named_as_person(term: str, document: Document, entries: dict[str, GlossaryEntry]) -> bool:
    """Whether a lone name ("Rusk") is elsewhere in the record a person's: the last word of a
    person's name in the glossary, or written after a title anywhere in the record, its title and
    footnotes included ("Secretary Rusk", "Mr. Rusk")."""
    if " " in term:
        return False
    if any(e.kind == "person" and k.split()[-1] == term for k, e in entries.items()):
        return True
    titled = rf"\b(?:{'|'.join(_ROLE_NAMES)})\.?\s+{re.escape(term)}\b"
    return re.search(titled, document.text) is not None


def _role_and_noun(term: str, document: Document) -> bool:
    """Whether a title word is an adjective before a common noun that the record writes in lower
    case elsewhere ("General Situation", not "General Bradley")."""
    role, _, rest = term.partition(" ")
    if not rest or " " in rest or not set(terms(role)) & _ROLES:
        return False
    return re.search(rf"\b{re.escape(rest.lower())}\b", document.text) is not None


def _named_as_place(term: str, document: Document) -> bool:
    """Whether a name is elsewhere in the record a place's: after "in", "at", "from" ... ("the
    Chinese in Burma"), or opening a dateline ("Taipei, February 27")."""
    name = re.escape(term)
    where = rf"\b(?:in|at|near|from|via|toward|towards)\s+(?:the\s+)?{name}\b(?![ \t]+\w)"
    dated = rf"\b{name},\s+(?:\d{{1,2}}\s+)?(?:{MONTH_NAMES})"
    return re.search(f"{where}|{dated}", document.text) is not None


def kind_of_name(name: str, before: str) -> Kind:
    """What a name names, by its words and the words before it (`before` ends with the name's
    first character: "FILIPPOV [" marks an identification, a person)."""
    words = set(terms(name))
    before, first = before[:-1], before[-1:]
    if words & ORGANISATION_WORDS or words & _BODIES:
        return "organisation"
    if _TITLES.search(before) or first == "[" or words & _ROLES or _PERSON_SHAPE.search(name):
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
