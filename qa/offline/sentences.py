"""Candidate sentences: the retrieved passages read as a reader would, sentence by sentence.

Every retrieved chunk is split into sentences, each read with the words around it (the two
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

from qa.retrieval import Passage
from vectorstore.chunks import Chunk, split_document
from vectorstore.documents import Document
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


def read_candidates(passages: list[Passage]) -> list[Candidate]:
    """The sentences of the retrieved passages, and after each passage the sentences that point
    back into it: "We consider such a demand ..." belongs with the passage that says what the
    demand was, even where the chunking put it in the next chunk."""
    sentences_of: dict[tuple[str, str], list[tuple[int, int]]] = {}
    paragraphs_of: dict[tuple[str, str], list[int]] = {}
    about_of: dict[str, frozenset[str]] = {}
    read: list[tuple[Passage, list[tuple[int, int]], list[int]]] = []
    for passage in passages:
        document, chunk = passage.document, passage.chunk
        if (document.id, chunk.section) not in sentences_of:
            section = next(s for s in document.sections if s.name == chunk.section)
            spans = split_sentences(document.text, section.start, section.end)
            sentences_of[document.id, chunk.section] = [(sp.start, sp.end) for sp in spans]
            paragraphs_of[document.id, chunk.section] = [
                p.start for p in paragraphs(document.text, section.start, section.end)
            ]
            about_of[document.id] = frozenset(terms(self_description(document)))
        sentences = sentences_of[document.id, chunk.section]
        within = [i for i, (s, e) in enumerate(sentences) if s >= chunk.start and e <= chunk.end]
        read.append((passage, sentences, within))
    candidates = [
        _candidate(passage, sentences, i, about_of[passage.document.id])
        for passage, sentences, within in read
        for i in within
    ]

    seen = {(c.passage.document.id, c.start) for c in candidates}
    chunks_of: dict[str, list[Chunk]] = {}
    for passage, sentences, within in read:
        after = range(within[-1] + 1, within[-1] + 1 + _BEFORE) if within else range(0)
        for i in after:
            if i >= len(sentences) or (passage.document.id, sentences[i][0]) in seen:
                continue
            following = _candidate(passage, sentences, i, about_of[passage.document.id])
            if following.lead_in:
                seen.add((passage.document.id, following.start))
                document = passage.document
                if document.id not in chunks_of:
                    chunks_of[document.id] = split_document(document)
                chunk = next(
                    c for c in chunks_of[document.id] if c.start <= following.start < c.end
                )
                candidates.append(
                    replace(following, passage=replace(passage, chunk=chunk), retrieved=False)
                )
    return [
        replace(c, paragraph=bisect_right(paragraphs_of[_place(c)], c.start)) for c in candidates
    ]


def _place(candidate: Candidate) -> tuple[str, str]:
    return candidate.passage.document.id, candidate.passage.chunk.section


def self_description(document: Document) -> str:
    """What a record says about itself: its title, summary, source note and dateline."""
    described = [s for s in document.sections if s.name in _DESCRIPTIVE_SECTIONS]
    return " ".join([document.title, *(document.text[s.start : s.end] for s in described)])


def _candidate(
    passage: Passage, sentences: list[tuple[int, int]], i: int, about: frozenset[str]
) -> Candidate:
    """Sentence `i` of `sentences` (spans into the passage's record), read with its neighbours."""
    text = passage.document.text
    start, end = sentences[i]
    before = sentences[max(0, i - _BEFORE) : i]
    around = before + sentences[i + 1 : i + 1 + _AFTER]
    context = about.union(*(terms(text[s:e]) for s, e in around))
    sentence = text[start:end]
    lead_in = " ".join(text[s:e] for s, e in before) if _POINTS_BACK.search(sentence) else ""
    first = sentences[bisect_left(sentences, (start - _RECENT,), hi=i)][0]
    recent = frozenset(terms(text[first:start]))
    grounds = sentences[i - 1][0] if i > 0 and _CONCLUDES.match(sentence) else None
    return Candidate(
        passage, start, end, sentence, frozenset(terms(sentence)), context, lead_in, about, recent,
        grounds, index=i,
    )  # fmt: skip
