"""Candidate sentences: the retrieved passages read as a reader would, sentence by sentence.

Every retrieved passage is split into sentences, each read with the words around it (the two
sentences before it, the one after, the paragraph before it and what its document says about
itself). The record's structure decides what else is read: a sentence that points back ("such a
demand", "4. Consequently, ...") is read together with the sentences it points to, and one found
just after a retrieved passage joins it; a conclusion ("Hence, ...") is quoted with the sentence
it draws on.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import NamedTuple

from qa.words import MONTH_NAMES
from vectorstore.documents import Document, Part, Section
from vectorstore.passages import Passage, passage_at
from vectorstore.remembered import Kept, text_key
from vectorstore.text import LIST_LABEL, paragraphs, split_sentences, terms

# Neighbouring sentences read with each sentence: enough for "such a demand" to find the demand
# two sentences up; one after, for a sentence that a list or an example continues.
_BEFORE, _AFTER = 2, 1
# A name stays in play for about a paragraph: it is near a sentence when it is this many
# characters before it ("Dr. Wallace" opens a telegram whose next paragraph says "his death").
_RECENT = 1200
_CONCLUSION = r"(?:hence|therefore|thus|consequently|accordingly)\b"
# Sentences read together with the two before them: those that point back ("such a demand"),
# conclusions ("Hence, ..."), and list items, which continue the sentence that introduced the list.
_POINTS_BACK = re.compile(
    r"\b(?:such|this|these|those|same)\b|^\W*(?:it|they|he|she)\b|^\W*(?:\d{1,2}|[a-h])[.)]\s|"
    rf"^\W*{_CONCLUSION}",
    re.I,
)
_CONCLUDES = re.compile(rf"^\W*(?:{LIST_LABEL.pattern}\s+)?{_CONCLUSION}", re.I)


# The archive's labelled lines of a record, each read whole as one field: its file and kind
# ("CA Files: Lot 59 D 228: Telegram"), its dateline with a time, its place in the published volume.
_FIELD_SECTIONS = ("Source Note", "Dateline", "Document")
# A line of the document's own text stands alone as a field when it is at most this long and
# opens or closes the text: a date and place line, "top secret", "No. 97.]", "[Received March
# 4—9:15 a.m.]", a signature.
_FIELD_LINE = 100
# A label standing for what follows it ("Present", "Transmit to ZHOU ENLAI the following:") is
# quoted with the paragraph under it, when that is short enough to quote: the list it introduces.
_LABEL = re.compile(r"^(?:[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,2}|.{1,80}:)$")  # noqa: RUF001
_LISTED = 600
# Sections and documents' field lines kept as read (vectorstore.remembered), and sentences read in
# the sections kept: about 9 KB each (mostly the words around them), so at most about 45 MB.
_SECTIONS_KEPT = 128
_SENTENCES_KEPT = 5000


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage with the words around it."""

    passage: Passage
    start: int
    end: int
    text: str
    own: frozenset[str]
    context: frozenset[str]
    """Words of the two sentences before it, the one after it, and the document's title and
    summary."""
    lead_in: str
    """The sentences before it, when it points back to them ("such a demand"); else empty."""
    about: frozenset[str]
    """Words of the document's title, summary, source note and dateline."""
    recent: frozenset[str] = frozenset()
    """Words of the text just before it in its section: a name mentioned there is in play."""
    grounds: int | None = None
    """Where the sentence before it starts, when it draws a conclusion from it ("Hence, ...")."""
    retrieved: bool = True
    """False for a sentence read after a retrieved passage because it points back into it."""
    index: int = 0
    """Its place among the sentences of its section."""
    paragraph: int = 0
    """Which paragraph of its section it is in."""
    field: bool = False
    """Whether it is a labelled or standing line of the record (`field_lines`), not prose."""
    label: frozenset[str] = frozenset()
    """A field's label, as word stems: the words before its colon ("Copies: Stalin (2),
    Molotov", "CA Files: Lot 59 D 228") and its section's name for the archive's lines."""
    listed: int | None = None
    """Where the list it introduces ends, when it is a label ("Present") over a list."""
    found: int = 0
    """How many other documents were found before its own, in the retrieved passages' order."""

    @property
    def quoted(self) -> tuple[int, int]:
        """The span to quote: the sentence, with the one it concludes from when it has one, and
        the list under it when it is a label."""
        start = self.start if self.grounds is None else self.grounds
        return (start, self.end if self.listed is None else self.listed)


def candidate_sentences(
    passages: list[Passage], *, fields_of: list[Passage] | None = None
) -> list[Candidate]:
    """The sentences of the retrieved passages, and after each passage the sentences that point
    back into it: "We consider such a demand ..." belongs with the passage that says what the
    demand was, even where the splitting put it in the next passage. With them, the field lines
    of the documents of `fields_of` (by default, of `passages`)."""
    retrieved = passages if fields_of is None else fields_of
    # How many other documents were found before each one.
    order = {d: i for i, d in enumerate(dict.fromkeys(p.document_id for p in retrieved))}
    sections: dict[tuple[str, str], _Section] = {}
    read: list[tuple[Passage, _Section, list[int]]] = []
    for passage in passages:
        key = (passage.document_id, passage.section)
        if key not in sections:
            sections[key] = _Section.of(passage.document, passage.section)
        section = sections[key]
        within = [
            i
            for i, (s, e) in enumerate(section.sentences)
            if passage.start <= s and e <= passage.end
        ]
        read.append((passage, section, within))
    candidates = [
        _candidate(passage, section, i, order) for passage, section, within in read for i in within
    ]
    seen = {(c.passage.document_id, c.start) for c in candidates}
    candidates += _pointing_back(read, seen, order)
    return _with_fields(candidates, retrieved, order)


class FieldLine(NamedTuple):
    """A labelled or standing line of a record: where it is, and whether it closes the text."""

    section: str
    start: int
    end: int
    closes: bool = False
    """One of the short lines that close the document's text (a signature, a distribution)."""


def field_lines(document: Document) -> list[FieldLine]:
    """The record's labelled and standing lines: the short lines that open and close the
    document's own text (a date and place, a classification, a number, a received line, a
    signature), then the archive's source note, dateline and document line."""
    return [line for line, _ in _read_fields(document)]


def _read_fields(document: Document) -> tuple[tuple[FieldLine, _FieldRead], ...]:
    """Each field line of a document, read (or as read before)."""
    key = (text_key(document), document.sections)
    return _FIELDS.get(key, lambda: _field_lines(document.text, document.sections))


def _field_lines(
    text: str, sections: tuple[Section, ...]
) -> tuple[tuple[FieldLine, _FieldRead], ...]:
    found = []
    for section in sections:
        if section.part is not Part.DOCUMENT:
            continue
        lines = [span for span in _lines(text, section.start, section.end)
                 if text[span[0] : span[1]].strip("[]().,;: ")]  # fmt: skip
        opening = _while_short(text, lines)
        closing = _while_short(text, lines[len(opening) :][::-1])
        found += [FieldLine(section.name, s, e) for s, e in opening]
        found += [FieldLine(section.name, s, e, closes=True) for s, e in closing]
    found += [FieldLine(s.name, s.start, s.end) for s in sections if s.name in _FIELD_SECTIONS]
    return tuple((line, _read_field(line, text[line.start : line.end])) for line in found)


class _FieldRead(NamedTuple):
    text: str
    own: frozenset[str]
    label: frozenset[str]


def _read_field(line: FieldLine, text: str) -> _FieldRead:
    return _FieldRead(text, frozenset(terms(text)), _label(line, text))


# "Copies: Stalin (2), Molotov": a label of at most three words before a colon.
_LABELLED = re.compile(r"^\W*((?:[\w'’-]+\s+){0,2}[\w'’-]+)\s*:")  # noqa: RUF001
# What a standing line is, told by its shape, in the words a question asks for it with: "What
# number ...?" ("No. 185.]"), "At what time ...?" ("27 February 1951—11:46 p. m."), "On which
# pages ...?", "What is its file reference?" ("884.014/41", "Lot 59 D 228"), "Who signed ...?" (a
# closing line that is a name), "What classification ...?" (an opening line of a few words in one
# case: "top secret", "CONFIDENTIAL").
_SHAPES = (
    (re.compile(r"\b(?:No|Nos|Number)\.?\s*\d+|^\W*\d+\W*$", re.I), "number"),
    (
        re.compile(
            r"\b\d{1,2}:\d\d\b|\b\d{1,2}(?:\.\s?\d\d)?\s?[ap]\.\s?m\b|\b(?:noon|midnight)\b", re.I
        ),
        "time hour",
    ),
    (re.compile(rf"\b(?:{MONTH_NAMES})\b|\b1[6-9]\d\d\b|\b\d{{1,2}}\.\d{{1,2}}\.\d\d\b"), "date"),
    (re.compile(r"\bpp?\.\s*\d+"), "page"),
    (re.compile(r"\b\d{3}[A-Z]?\.[\w.-]*/|\bLot\s+\d"), "file reference"),
)
# A name: a few words, each capitalised or in brackets ("JOSEPH A. WRIGHT.", "FILIPPOV [Stalin]").
_SIGNED = re.compile(r"^\W*(?:(?:[A-Z][\w.'’-]*|\[[^\]]+\])[,.]?\s*){1,5}$")  # noqa: RUF001
_MARKING = re.compile(
    r"^\W*(?:[a-z]+(?:\s+[a-z]+){0,3}|[A-Z]+(?:\s+[A-Z]+){0,3})\W*$"
    r"|^\[[A-Z][a-z]+(?:\s+[a-z]+){0,3}\.?\]$"  # the source note's "[Confidential.]"
)


def _label(line: FieldLine, text: str) -> frozenset[str]:
    """A field's label: the words before its colon, for the archive's lines the name of their
    section ("source note", "dateline"), and the words for what its shape says it is.
    Cross-validated, naming the section helped (1,101 right of 2,079 against 1,074), though
    "source" in "Is this a reliable source?" then reads as the source note."""
    named = _LABELLED.match(text)
    own = terms(named.group(1)) if named else []
    if not named and _LABEL.match(text):
        own = terms(text)  # a label standing alone over its list: "Present"
    # The section "Document" is the volume's numbering, not what a question means by the word.
    if line.section not in ("Contents", "Document"):
        own += terms(line.section)
    shape = [words for pattern, words in _SHAPES if pattern.search(text)]
    if line.section == "Document":
        shape = [words for words in shape if words != "number"]  # the volume's, not the writer's
    if line.closes and _SIGNED.match(text) and not named:
        shape.append("signed signature wrote author")
    if not line.closes and line.section in ("Contents", "Source Note") and _MARKING.match(text):
        shape.append("classification marking")
    return frozenset(own + terms(" ".join(shape)))


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, cursor = [], start
    for line in text[start:end].split("\n"):
        stripped = line.strip()
        if stripped:
            first = cursor + line.index(stripped)
            spans.append((first, first + len(stripped)))
        cursor += len(line) + 1
    return spans


def _while_short(text: str, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The first of `lines` while they are short and not prose: "The Quaxley shipment of
    tungsten left Tientsin on 4 March 1951 ..." is a one-line memo's text, not a field."""
    short = []
    for start, end in lines:
        if end - start > _FIELD_LINE or len(_LOWER_WORD.findall(text, start, end)) >= _PROSE:
            break
        short.append((start, end))
    return short


# A line with this many words in lower case is prose: a date and place line, a signature or a
# marking has few ("Legation of the United States, Lima, Peru, October 29, 1884." has two).
_PROSE = 8
_LOWER_WORD = re.compile(r"\b[a-z]+\b")


def _with_fields(
    candidates: list[Candidate], passages: list[Passage], order: dict[str, int]
) -> list[Candidate]:
    """The candidates, those that are field lines marked, and the field lines of every document
    a passage was retrieved from that no passage brought, each in its section. A line whose
    words the document already has as a candidate is not read twice (the dateline is also the
    text's first line): the same words are no rival answer to themselves."""
    seen = {(c.passage.document_id, c.start): i for i, c in enumerate(candidates)}
    said = {(c.passage.document_id, c.text) for c in candidates}
    best: dict[str, Passage] = {}
    for p in passages:
        if p.document_id not in best or p.score > best[p.document_id].score:
            best[p.document_id] = p
    added = []
    for document_id, top in best.items():
        document = top.document
        about = _about(document.self_description())
        for line, read in _read_fields(document):  # the document's own lines first
            section, start, end = line.section, line.start, line.end
            if (document_id, start) in seen:
                i = seen[(document_id, start)]
                label = _label(line, candidates[i].text)
                candidates[i] = replace(candidates[i], field=True, label=label)
                continue
            text, own, label = read
            if (document_id, text) in said:
                continue
            said.add((document_id, text))
            held = Passage("", document, section, start, end, score=top.score)
            found = order.get(document_id, len(order))
            line_read = Candidate(
                held, start, end, text, own, about, "", about, field=True, label=label, found=found
            )
            added.append(line_read)
    return candidates + added


@dataclass(eq=False)
class _Section:
    """A section of a document as a reader reads it: its sentences and where its paragraphs
    start, what the document says about itself, and the sentences read in it so far."""

    sentences: list[tuple[int, int]]
    paragraphs: list[int]
    about: frozenset[str]
    paragraph_ends: list[int]
    readings: dict[int, _Reading] = field(default_factory=dict, repr=False)
    holders: dict[int, tuple[str, str, int, int] | None] = field(default_factory=dict, repr=False)
    """The passages found to hold sentences read after a retrieved one, by where they start:
    id, section and bounds, not the `Passage`, whose document would keep its text alive."""

    def list_under(self, end: int) -> int | None:
        """Where the paragraph after the one ending at `end` ends, when it is short enough to
        quote with a label: the list the label introduces."""
        i = bisect_right(self.paragraphs, end)
        if i >= len(self.paragraphs) or bisect_right(self.paragraph_ends, end) != i:
            return None  # no paragraph after, or the label is not a paragraph's end
        close = self.paragraph_ends[i]
        return close if close - self.paragraphs[i] <= _LISTED else None

    def reading(self, text: str, i: int) -> _Reading:
        """Sentence `i` of the section (of a document whose text is `text`), read with its
        neighbours (once: then kept while the section is)."""
        if i not in self.readings:
            self.readings[i] = _read_sentence(self, text, i)
        return self.readings[i]

    def holding(self, document: Document, offset: int) -> Passage | None:
        """The passage of `document` holding `offset` (found once: then kept)."""
        if offset not in self.holders:
            found = passage_at(document, offset)
            held = None if found is None else (found.id, found.section, found.start, found.end)
            self.holders[offset] = held
        kept = self.holders[offset]
        return None if kept is None else Passage(kept[0], document, *kept[1:])

    @staticmethod
    def of(document: Document, name: str) -> _Section:
        """The section called `name` of `document`, read (or as read before)."""
        section = next(s for s in document.sections if s.name == name)
        about = document.self_description()
        key = (text_key(document), section.start, section.end, about)
        return _SECTIONS.get(key, lambda: _read_section(document.text, section, about))


def _read_section(text: str, section: Section, about: str) -> _Section:
    spans = split_sentences(text, section.start, section.end)
    runs = list(paragraphs(text, section.start, section.end))
    return _Section(
        [(sp.start, sp.end) for sp in spans],
        [p.start for p in runs],
        _about(about),
        [p.end for p in runs],
    )


@lru_cache(maxsize=_SECTIONS_KEPT)
def _about(self_description: str) -> frozenset[str]:
    return frozenset(terms(self_description))


_SECTIONS: Kept[_Section] = Kept(
    _SECTIONS_KEPT, budget=_SENTENCES_KEPT, weight=lambda section: len(section.readings)
)
_FIELDS: Kept[tuple[tuple[FieldLine, _FieldRead], ...]] = Kept(_SECTIONS_KEPT)


def _pointing_back(
    read: list[tuple[Passage, _Section, list[int]]],
    seen: set[tuple[str, int]],
    order: dict[str, int],
) -> list[Candidate]:
    """The sentences just after each passage that point back into it (not already read), each
    in the passage that holds it."""
    found: list[Candidate] = []
    for passage, section, within in read:
        after = range(within[-1] + 1, within[-1] + 1 + _BEFORE) if within else range(0)
        for i in after:
            if (
                i >= len(section.sentences)
                or (passage.document_id, section.sentences[i][0]) in seen
            ):
                continue
            following = _candidate(passage, section, i, order)
            if not following.lead_in:
                continue
            seen.add((passage.document_id, following.start))
            holding = section.holding(passage.document, following.start)
            if holding is None:
                continue
            held = replace(holding, score=passage.score)
            found.append(replace(following, passage=held, retrieved=False))
    return found


class _Reading(NamedTuple):
    """What a candidate is besides its passage: a sentence read with its neighbours."""

    start: int
    end: int
    text: str
    own: frozenset[str]
    context: frozenset[str]
    lead_in: str
    recent: frozenset[str]
    grounds: int | None
    listed: int | None
    paragraph: int


def _candidate(passage: Passage, section: _Section, i: int, order: dict[str, int]) -> Candidate:
    """Sentence `i` of its section, read with its neighbours, as a candidate of `passage`
    (`order`: the documents' places in the order they were found)."""
    r = section.reading(passage.document.text, i)
    return Candidate(
        passage, r.start, r.end, r.text, r.own, r.context, r.lead_in, section.about, r.recent,
        r.grounds, index=i, paragraph=r.paragraph, listed=r.listed,
        found=order.get(passage.document_id, len(order)),
    )  # fmt: skip


def _read_sentence(section: _Section, text: str, i: int) -> _Reading:
    sentences = section.sentences
    start, end = sentences[i]
    before = sentences[max(0, i - _BEFORE) : i]
    around = before + sentences[i + 1 : i + 1 + _AFTER]
    context = section.about.union(*(terms(text[s:e]) for s, e in around))
    sentence = text[start:end]
    lead_in = " ".join(text[s:e] for s, e in before) if _POINTS_BACK.search(sentence) else ""
    listed = section.list_under(end) if _LABEL.match(sentence) else None
    first = sentences[bisect_left(sentences, (start - _RECENT,), hi=i)][0]
    recent = frozenset(terms(text[first:start]))
    grounds = sentences[i - 1][0] if i > 0 and _CONCLUDES.match(sentence) else None
    return _Reading(
        start, end, sentence, frozenset(terms(sentence)), context, lead_in, recent, grounds, listed,
        bisect_right(section.paragraphs, start),
    )  # fmt: skip
