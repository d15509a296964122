"""Passages: a `Document` -> `Passage`s of whole sentences, each with its section and offsets.

A passage is what archive-qa stores, finds and cites from: whole sentences of one section, within
one run of paragraphs (vectorstore.text splits both), never more than `PASSAGE_CHARS` unless one
sentence is. Sentences are also the unit of citation, which the answerers cut with the same
splitter. The store keeps passages in the Chroma collection ``archive_qa_chunks``, and the answer
contract names a passage's id ``chunk_id``: both were named before passages were called passages,
and keep their names for the stores and clients made since.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from vectorstore.documents import Document
from vectorstore.text import Span, paragraphs, split_sentences

PASSAGE_CHARS = 350
# Sections that are about the document rather than in it are indexed too: a title or a summary
# answers "who sent this?" as well as the body does.
SKIPPED_SECTIONS = frozenset({"Date", "Document", "Original Language"})


# Compared by identity: two passages are the same passage when they are one object (comparing
# their documents' whole texts would be slow and says nothing more).
@dataclass(frozen=True, eq=False)
class Passage:
    """A piece of a document's text, ``document.text[start:end]``, and (when a search found it)
    how near it is to the question."""

    id: str
    document: Document
    section: str
    start: int
    end: int
    score: float = 0.0
    """Its cosine similarity to the question it was found for (0 when it was not searched for)."""

    @property
    def text(self) -> str:
        """The passage's words, as the document's stored text has them."""
        return self.document.text[self.start : self.end]

    @property
    def document_id(self) -> str:
        """The id of the document it is a passage of."""
        return self.document.id


def split_document(document: Document, *, most_chars: int = PASSAGE_CHARS) -> list[Passage]:
    """Split a document into passages of whole sentences within one paragraph run and one
    section."""
    return [
        _passage(document, section.name, span)
        for section in document.sections
        if section.name not in SKIPPED_SECTIONS
        for span in _pack(document.text, section.start, section.end, most_chars)
    ]


def passage_at(document: Document, offset: int) -> Passage | None:
    """The passage of `document` holding character `offset`, if one does (only the section
    holding it is split)."""
    for section in document.sections:
        if section.start <= offset < section.end and section.name not in SKIPPED_SECTIONS:
            for span in _pack(document.text, section.start, section.end, PASSAGE_CHARS):
                if span.start <= offset < span.end:
                    return _passage(document, section.name, span)
    return None


def _passage(document: Document, section: str, span: Span) -> Passage:
    piece = document.text[span.start : span.end]
    passage_id = _passage_id(document.id, section, span, piece)
    return Passage(passage_id, document, section, span.start, span.end)


def _pack(text: str, start: int, end: int, limit: int) -> Iterator[Span]:
    """Greedily pack consecutive sentences into spans of at most `limit` characters.

    A paragraph break ends a passage once it holds half the limit, so passages follow paragraphs
    where paragraphs are long enough to stand alone.
    """
    current: Span | None = None
    for paragraph in paragraphs(text, start, end):
        for sentence in split_sentences(text, paragraph.start, paragraph.end):
            if current is not None and sentence.end - current.start > limit:
                yield current
                current = None
            current = Span(current.start if current else sentence.start, sentence.end)
        if current is not None and current.end - current.start >= limit // 2:
            yield current
            current = None
    if current is not None:
        yield current


def _passage_id(document_id: str, section: str, span: Span, piece: str) -> str:
    digest = hashlib.sha256(f"{document_id}\x1f{section}\x1f{span.start}\x1f{piece}".encode())
    return f"{document_id}:{digest.hexdigest()[:16]}"


def document_of(passage_id: str) -> str:
    """The id of the document a passage belongs to (passage ids are ``document_id:digest``)."""
    return passage_id.rpartition(":")[0]
