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
from dataclasses import dataclass, replace

from vectorstore.documents import Document
from vectorstore.passages import Passage, split_document
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
# What a document says about itself, read as context for each of its sentences.
_DESCRIPTIVE_SECTIONS = frozenset({"Summary", "Source Note", "Dateline"})


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

    @property
    def quoted(self) -> tuple[int, int]:
        """The span to quote: the sentence, with the one it concludes from when it has one."""
        return (self.start if self.grounds is None else self.grounds, self.end)


def candidate_sentences(passages: list[Passage]) -> list[Candidate]:
    """The sentences of the retrieved passages, and after each passage the sentences that point
    back into it: "We consider such a demand ..." belongs with the passage that says what the
    demand was, even where the splitting put it in the next passage."""
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
        _candidate(passage, section, i) for passage, section, within in read for i in within
    ]
    candidates += _pointing_back(read, {(c.passage.document_id, c.start) for c in candidates})
    return [
        replace(c, paragraph=bisect_right(sections[_place(c)].paragraphs, c.start))
        for c in candidates
    ]


@dataclass(frozen=True)
class _Section:
    """A section of a document as a reader reads it: its sentences and where its paragraphs
    start, and what the document says about itself."""

    sentences: list[tuple[int, int]]
    paragraphs: list[int]
    about: frozenset[str]

    @classmethod
    def of(cls, document: Document, name: str) -> _Section:
        """The section called `name` of `document`, read."""
        section = next(s for s in document.sections if s.name == name)
        spans = split_sentences(document.text, section.start, section.end)
        return cls(
            [(sp.start, sp.end) for sp in spans],
            [p.start for p in paragraphs(document.text, section.start, section.end)],
            frozenset(terms(document.self_description())),
        )


def _pointing_back(
    read: list[tuple[Passage, _Section, list[int]]], seen: set[tuple[str, int]]
) -> list[Candidate]:
    """The sentences just after each passage that point back into it (not already read), each
    in the passage that holds it."""
    found: list[Candidate] = []
    passages_of: dict[str, list[Passage]] = {}
    for passage, section, within in read:
        after = range(within[-1] + 1, within[-1] + 1 + _BEFORE) if within else range(0)
        for i in after:
            if (
                i >= len(section.sentences)
                or (passage.document_id, section.sentences[i][0]) in seen
            ):
                continue
            following = _candidate(passage, section, i)
            if not following.lead_in:
                continue
            seen.add((passage.document_id, following.start))
            document = passage.document
            if document.id not in passages_of:
                passages_of[document.id] = split_document(document)
            holding = next(
                p for p in passages_of[document.id] if p.start <= following.start < p.end
            )
            held = replace(holding, score=passage.score)
            found.append(replace(following, passage=held, retrieved=False))
    return found


def _place(candidate: Candidate) -> tuple[str, str]:
    return candidate.passage.document.id, candidate.passage.section


def _candidate(passage: Passage, section: _Section, i: int) -> Candidate:
    """Sentence `i` of its section, read with its neighbours."""
    text, sentences = passage.document.text, section.sentences
    start, end = sentences[i]
    before = sentences[max(0, i - _BEFORE) : i]
    around = before + sentences[i + 1 : i + 1 + _AFTER]
    context = section.about.union(*(terms(text[s:e]) for s, e in around))
    sentence = text[start:end]
    lead_in = " ".join(text[s:e] for s, e in before) if _POINTS_BACK.search(sentence) else ""
    first = sentences[bisect_left(sentences, (start - _RECENT,), hi=i)][0]
    recent = frozenset(terms(text[first:start]))
    grounds = sentences[i - 1][0] if i > 0 and _CONCLUDES.match(sentence) else None
    return Candidate(
        passage, start, end, sentence, frozenset(terms(sentence)), context, lead_in,
        section.about, recent, grounds, index=i,
    )  # fmt: skip
