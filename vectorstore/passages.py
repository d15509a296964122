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
from functools import lru_cache

from vectorstore.documents import Document, Section
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
        Passage(id=i, document=document, section=name, start=start, end=end)
        for i, name, start, end in _split(document.id, document.text, document.sections, most_chars)
    ]


def passage_at(document: Document, offset: int) -> Passage | None:
    """The passage of `document` holding character `offset`, if one does."""
    for i, name, start, end in _split(document.id, document.text, document.sections, PASSAGE_CHARS):
        if start <= offset < end:
            return Passage(id=i, document=document, section=name, start=start, end=end)
    return None


# The latest documents split, kept: an answer reads the passage after a retrieved one in the
# same document, and the next question about it reads it again.
_SPLITS_KEPT = 256


@lru_cache(maxsize=_SPLITS_KEPT)
def _split(
    document_id: str, text: str, sections: tuple[Section, ...], most_chars: int
) -> tuple[tuple[str, str, int, int], ...]:
    return tuple(
        (_passage_id(document_id, section.name, span, text[span.start : span.end]),
         section.name, span.start, span.end)
        for section in sections
        if section.name not in SKIPPED_SECTIONS
        for span in _pack(text, section.start, section.end, most_chars)
    )  # fmt: skip


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
