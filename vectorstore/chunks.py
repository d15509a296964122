"""Chunking: a `Record` -> `Chunk`s of whole sentences, each with its section and offsets.

Sentences are the unit of citation, so the splitter is exposed too (`split_sentences`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from vectorstore.records import Record, strip_span

CHUNK_CHARS = 350
# A "sentence" longer than this (a page with no full stops, a table flattened into one line) is
# cut at the last clause or word break before it: a quote must be readable, and an answer small.
MAX_SENTENCE_CHARS = 1000
# Sections that are about the document rather than in it are indexed too: a title or a summary
# answers "who sent this?" as well as the body does.
SKIPPED_SECTIONS = frozenset({"Date", "Document", "Original Language"})

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# A sentence ends at . ! ? (maybe followed by closing quotes or brackets) before whitespace, or
# at a line break: in these records, single line breaks separate heading lines and list items.
_SENTENCE_END = re.compile(r"""(?<=[.!?])["'”’)\]]*(?=\s)|(?=\n)""")  # noqa: RUF001
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Gen|Lt|Col|Maj|Capt|Adm|Sen|Rep|Gov|Amb|Secy|Sec|St|Jr|Sr|No|Nos|Vol|"
    r"p|pp|f|ff|op|d|ll|vol|ed|cf|viz|etc|i\.e|e\.g|U\.S|U\.N|U\.K|a\.m|p\.m)|\b[A-Z])\.$"
)

# A list label opening an item: "1.", "(5)", "b)", "iv.", maybe after a quotation mark.
LIST_LABEL = re.compile(r"""\s*["“(\[]?(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})[.)]""")


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` of a record's stored text."""

    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of a record; ``record.text[start:end] == text``."""

    id: str
    document_id: str
    section: str
    start: int
    end: int
    text: str


def split_record(record: Record, *, chunk_chars: int = CHUNK_CHARS) -> list[Chunk]:
    """Split a record into chunks of whole sentences within one paragraph run and one section."""
    chunks: list[Chunk] = []
    for section in record.sections:
        if section.name in SKIPPED_SECTIONS:
            continue
        for span in _pack(record.text, section.start, section.end, chunk_chars):
            piece = record.text[span.start : span.end]
            chunks.append(
                Chunk(
                    id=_chunk_id(record.id, section.name, span, piece),
                    document_id=record.id,
                    section=section.name,
                    start=span.start,
                    end=span.end,
                    text=piece,
                )
            )
    return chunks


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """The sentences of ``text[start:end]`` as spans into `text`, whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        cut = match.end()
        if cut < end and text[cut] != "\n" and _continues(text, cursor, cut):
            continue
        spans.extend(_bounded(text, _trim(text, cursor, cut)))
        cursor = cut
    spans.extend(_bounded(text, _trim(text, cursor, end)))
    return spans


def _bounded(text: str, span: Span) -> Iterator[Span]:
    """`span` (if not empty), in pieces of at most MAX_SENTENCE_CHARS."""
    start = span.start
    while span.end - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        cut = max(text.rfind("; ", start, limit), text.rfind(", ", start, limit)) + 1
        if cut <= start + MAX_SENTENCE_CHARS // 2:
            cut = text.rfind(" ", start, limit)
        if cut <= start:
            cut = limit  # one unbroken run of characters
        yield _trim(text, start, cut)
        start = _trim(text, cut, span.end).start
    if span.end > start:
        yield Span(start, span.end)


def _continues(text: str, cursor: int, cut: int) -> bool:
    """Whether the full stop before `cut` ends an abbreviation or a list number, not a sentence."""
    if LIST_LABEL.fullmatch(text, cursor, cut):
        return True
    return _ABBREVIATION.search(text, max(cursor, cut - 8), cut) is not None


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


def paragraphs(text: str, start: int, end: int) -> Iterator[Span]:
    """The paragraphs of ``text[start:end]`` (separated by blank lines), whitespace trimmed."""
    cursor = start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        yield _trim(text, cursor, match.start())
        cursor = match.end()
    yield _trim(text, cursor, end)


def _trim(text: str, start: int, end: int) -> Span:
    return Span(*strip_span(text, start, end))


def _chunk_id(document_id: str, section: str, span: Span, piece: str) -> str:
    digest = hashlib.sha256(f"{document_id}\x1f{section}\x1f{span.start}\x1f{piece}".encode())
    return f"{document_id}:{digest.hexdigest()[:16]}"
