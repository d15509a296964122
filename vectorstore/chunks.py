"""Chunking: a `Document` -> `Chunk`s of whole sentences, each with its section and offsets.

Chunks follow paragraphs and never cut a sentence (vectorstore.text splits both); sentences are
also the unit of citation, which the answerers cut from the same splitter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from vectorstore.documents import Document
from vectorstore.text import Span, paragraphs, split_sentences

CHUNK_CHARS = 350
# Sections that are about the document rather than in it are indexed too: a title or a summary
# answers "who sent this?" as well as the body does.
SKIPPED_SECTIONS = frozenset({"Date", "Document", "Original Language"})


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of a record; ``document.text[start:end] == text``."""

    id: str
    document_id: str
    section: str
    start: int
    end: int
    text: str


def split_document(document: Document, *, chunk_chars: int = CHUNK_CHARS) -> list[Chunk]:
    """Split a record into chunks of whole sentences within one paragraph run and one section."""
    chunks: list[Chunk] = []
    for section in document.sections:
        if section.name in SKIPPED_SECTIONS:
            continue
        for span in _pack(document.text, section.start, section.end, chunk_chars):
            piece = document.text[span.start : span.end]
            chunks.append(
                Chunk(
                    id=_chunk_id(document.id, section.name, span, piece),
                    document_id=document.id,
                    section=section.name,
                    start=span.start,
                    end=span.end,
                    text=piece,
                )
            )
    return chunks


def _pack(text: str, start: int, end: int, limit: int) -> Iterator[Span]:
    """Greedily pack consecutive sentences into spans of at most `limit` characters.

    A paragraph break ends a chunk once it holds half the limit, so chunks follow paragraphs
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


def _chunk_id(document_id: str, section: str, span: Span, piece: str) -> str:
    digest = hashlib.sha256(f"{document_id}\x1f{section}\x1f{span.start}\x1f{piece}".encode())
    return f"{document_id}:{digest.hexdigest()[:16]}"
