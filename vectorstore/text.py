"""Text primitives, shared by storing and answering: the words of a text as search terms, its
sentences and paragraphs as spans of its characters, and dates as written turned into ISO form.

Everything that cites works in character offsets into a document's stored text, so sentences and
paragraphs are spans (never copies) and trimming narrows a span instead of changing the text.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import snowballstemmer

# -- terms -------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z0-9]+")
_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    tell say said according document documents""".split()  # noqa: SIM905
)


# Characters that reorder the text around them (embeddings, overrides, isolates, marks): in a
# file name or a title they make "gnp.exe" read as "exe.png".
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def without_bidi_controls(name: str) -> str:
    """`name` (a file name, a title) without the characters that change its reading order."""
    return _BIDI_CONTROLS.sub("", name)


def terms(text: str) -> list[str]:
    """The words of `text` that carry meaning: lowercased, stop words dropped, stemmed (Snowball
    English)."""
    return [_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOPWORDS]


@cache
def _stem(word: str) -> str:
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


# A Snowball stemmer keeps the word it works on in itself: one per thread (a server answers on
# several threads at once).
_stemmers = threading.local()


# -- sentences and paragraphs ----------------------------------------------------------------

# A "sentence" longer than this (a page with no full stops, a table flattened into one line) is
# cut at the last clause or word break before it: a quote must be readable, and an answer small.
MAX_SENTENCE_CHARS = 1000
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# A sentence ends at . ! ? (maybe followed by closing quotes or brackets) before whitespace, or
# at a line break: in these records, single line breaks separate heading lines and list items.
_SENTENCE_END = re.compile(r"""(?<=[.!?])["'”’)\]]*(?=\s)|(?=\n)""")  # noqa: RUF001
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Gen|Lt|Col|Maj|Capt|Adm|Sen|Rep|Gov|Amb|Secy|Sec|St|Jr|Sr|No|Nos|Vol|"
    r"a|p|pp|f|ff|op|d|ll|vol|ed|cf|viz|etc|i\.e|e\.g|U\.S|U\.N|U\.K|a\.m|p\.m)|\b[A-Z])\.$"
)

# A list label opening an item: "1.", "(5)", "b)", "iv.", maybe after a quotation mark.
LIST_LABEL = re.compile(r"""\s*["“(\[]?(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})[.)]""")


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` of a document's stored text."""

    start: int
    end: int


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


def paragraphs(text: str, start: int, end: int) -> Iterator[Span]:
    """The paragraphs of ``text[start:end]`` (separated by blank lines), whitespace trimmed."""
    cursor = start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        yield _trim(text, cursor, match.start())
        cursor = match.end()
    yield _trim(text, cursor, end)


def _trim(text: str, start: int, end: int) -> Span:
    return Span(*strip_span(text, start, end))


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` narrowed to exclude leading and trailing whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# -- dates ----------------------------------------------------------------------------------

_DATE_FORMATS = (("%B %d, %Y", "%Y-%m-%d"), ("%d %B %Y", "%Y-%m-%d"), ("%B %Y", "%Y-%m"))


def iso_date(value: str) -> str | None:
    """A date as written ("July 13, 1950", "13 July 1950", "July 1950", "1950") in ISO form, or
    None when it is not one of those."""
    value = value.strip()
    for pattern, iso in _DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).strftime(iso)
        except ValueError:
            continue
    return value if re.fullmatch(r"\d{4}", value) else None
