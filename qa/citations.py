"""Every check of a citation, in one place: is this quote in the source (and where, exactly), does
it bear the claim out, is every citation of an answer its document's stored text, and does it
speak to the reader instead of about the past (a link, a request for a password).

Matching forgives what copying text forgives (runs of whitespace, curly vs straight quote marks,
dash variants, ellipses at the ends); the offsets always point at the source's own characters,
so the quote shown is ``text[start:end]``, never the claimed string. A model's quote that is
close to a passage but not the same (a word changed, a clause dropped) can be snapped to the
passage's own words that it best matches (`snap_quote`). Every answerer cites through these, and
the chain checks every answer with `verify_answer` before anyone sees it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

from qa.answer import Answer, Citation, abstention, cited_numbers, keep_sentences, sentences_of
from vectorstore.documents import Document, Part, part_of
from vectorstore.passages import Passage
from vectorstore.text import terms

_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
        "\u00a0": " ",
    }
)  # fmt: skip
_EDGE = " \t\n\"'.,;:…-"
MIN_QUOTE_CHARS = 12
_WORD = re.compile(r"\w+(?:['-]\w+)*")


def locate_quote(
    quote: str, text: str, *, shortest: int = MIN_QUOTE_CHARS
) -> tuple[int, int] | None:
    """Offsets ``(start, end)`` of `quote` in `text` after normalisation, or None if absent.

    Quotes shorter than `shortest` characters (after trimming) are refused: a model's quote that
    short verifies nothing. A gold support passage is known to be in its record, and may be as
    short as a field ("No. 175.]"): the judge looks for it with ``shortest=1``.
    """
    return next(occurrences(quote, text, shortest=shortest), None)


def occurrences(
    quote: str, text: str, *, shortest: int = MIN_QUOTE_CHARS
) -> Iterator[tuple[int, int]]:
    """Offsets of every place `quote` is in `text`, in order (`locate_quote` takes the first): a
    dateline is also the first line of the text, and quoting either is quoting it."""
    needle = _normalise(quote.translate(_FOLD).replace("…", " ").strip(_EDGE))[0].strip()
    if len(needle) < max(shortest, 1):
        return
    haystack, positions = _normalise(text.translate(_FOLD))
    at = haystack.find(needle)
    while at >= 0:
        yield positions[at], positions[at + len(needle) - 1] + 1
        at = haystack.find(needle, at + 1)


MIN_SNAP_WORDS = 6
"""A quote snapped to the source must be this long: a shorter one is too easily like the wrong
words."""
SNAP_SCORE = 90.0
"""The least similarity (rapidfuzz's ratio, 0-100) of a quote to the source words it is snapped
to; measured on the quotes of real model runs (README, "LLM mode, measured")."""


class Snap(NamedTuple):
    start: int
    end: int
    score: float
    """How alike the quote and ``text[start:end]`` are (0-100, after normalisation)."""


def snap_quote(quote: str, text: str) -> Snap | None:
    """The span of `text`, whole words, that `quote` best matches, with its similarity; None for
    a quote of fewer than `MIN_SNAP_WORDS` words. The caller decides what score is enough."""
    from rapidfuzz import fuzz  # only a model's quotes are snapped: offline, it never loads

    needle = _normalise(quote.translate(_FOLD).replace("…", " ").strip(_EDGE))[0].strip().lower()
    if len(needle.split()) < MIN_SNAP_WORDS:
        return None
    haystack, positions = _normalise(text.translate(_FOLD))
    if len(haystack.lower()) != len(haystack):
        return None  # a character whose lower case is longer: the offsets would not hold
    haystack = haystack.lower()
    found = fuzz.partial_ratio_alignment(needle, haystack)
    if found is None:
        return None
    # The window found is as long as the quote; the words meant may be a little longer or
    # shorter (a clause dropped, a word changed): the best whole-word span around it wins.
    reach = max(12, len(needle) // 2)
    around = range(max(0, found.dest_start - reach), min(len(haystack), found.dest_end + reach))
    words = [m.span() for m in _WORD.finditer(haystack, around.start, around.stop)]
    best = max(
        (
            (fuzz.ratio(needle, haystack[a:b]), a, b)
            for a, _ in words
            if abs(a - found.dest_start) <= reach
            for _, b in words
            if abs(b - found.dest_end) <= reach and a < b
        ),
        default=None,
    )
    if best is None:
        return None
    score, start, end = best
    return Snap(positions[start], positions[end - 1] + 1, score)


def _normalise(text: str) -> tuple[str, list[int]]:
    """Collapse whitespace runs to one space; return the result and each char's source index."""
    out: list[str] = []
    positions: list[int] = []
    previous_space = False
    for i, char in enumerate(text):
        if char.isspace():
            if previous_space:
                continue
            out.append(" ")
            previous_space = True
        else:
            out.append(char)
            previous_space = False
        positions.append(i)
    return "".join(out), positions


def find_quote(
    quote: str, named: Passage | None, passages: Sequence[Passage]
) -> tuple[Passage, int, int] | None:
    """Where a model's quote is, as (passage, start, end) in the passage's text: verbatim in
    the passage it names, else verbatim in another (models number passages their own way), else
    snapped to the words of the named passage it is close to (`snap_quote`)."""
    for passage in [named, *passages] if named else passages:
        if (span := locate_quote(quote, passage.text)) is not None:
            return passage, *span
    snap = snap_quote(quote, named.text) if named else None
    if named is None or snap is None or snap.score < SNAP_SCORE:
        return None
    return named, snap.start, snap.end


MIN_SUPPORT = 0.5
"""The least share of a claim's words (stemmed, without stop words) that its verified quotes
must hold. Models cite a real passage for a claim it does not make ("The capital of Australia
is Canberra" quoting "Peiping is no longer the effective capital of China"); set from the 14
claims of one development run (README, "LLM mode, measured"), not fitted."""


def supports(claim: str, quotes: list[str]) -> bool:
    """Whether the quotes bear the claim out as far as words can tell: every number the claim
    states is in them, and so are at least `MIN_SUPPORT` of its words."""
    quoted = " ".join(quotes)
    if not set(re.findall(r"\d+", claim)) <= set(re.findall(r"\d+", quoted)):
        return False
    said = set(terms(claim))
    return bool(said) and len(said & set(terms(quoted))) >= MIN_SUPPORT * len(said)


def verbatim(citations: list[Citation], documents: Mapping[str, Document]) -> bool:
    """Whether every citation's quote is its document's stored text at its offsets."""
    return all(
        (d := documents.get(c.document_id)) is not None and d.text[c.start : c.end] == c.quote
        for c in citations
    )


# What speaks to whoever reads a quote rather than about the past: a link or an address to
# write to, a request for a password or a login, an order to an assistant. A document may say
# such things (a planted upload says little else); archive-qa never gives them as its answer.
# A record's described fields (title, citation, source) may hold its archive's link.
_LINK = re.compile(
    r"https?://|\bwww\.|\b[\w.+-]+@[\w-]+\.[a-z]{2,}\b"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|io|info|co|me|ru|cn|uk|de)/",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"\b(?:your|enter|type|submit|confirm|verify|provide)\b[^.;]{0,40}?"
    r"\b(?:password|passcode|log-?in|username)s?\b"
    r"|\bclick\s+(?:here|on\s+the\s+link|the\s+link|below)\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+|your\s+)?"
    r"(?:previous|prior|above|earlier|other)\s+(?:instructions|prompts?|rules)\b"
    r"|\b(?:ignore|disregard)\s+(?:all\s+)?(?:the\s+)?(?:instructions|prompts?)\s+above\b"
    r"|\bsystem\s+prompt\b",
    re.IGNORECASE,
)
SPEAKS_TO_READER = (
    "A passage that speaks to the reader (a link, a request for a password or an instruction) "
    "was left out: documents are quoted as evidence, never followed."
)


def speaks_to_reader(citation: Citation, document: Document) -> bool:
    """Whether the quote addresses its reader (a link, a request for credentials, an order to
    an assistant) instead of saying something about the past."""
    section = document.section_at(citation.start)
    # Only a record the operator added: an upload's own "fields" are whatever its sender wrote.
    described = bool(section) and part_of(section) is Part.APPARATUS and not document.added_by
    return bool(_REQUEST.search(citation.quote)) or (
        not described and bool(_LINK.search(citation.quote))
    )


def addressing_reader(citations: list[Citation], documents: Mapping[str, Document]) -> bool:
    """Whether any of the citations speaks to the reader (`speaks_to_reader`)."""
    return any(
        (d := documents.get(c.document_id)) is not None and speaks_to_reader(c, d)
        for c in citations
    )


def verify_answer(answer: Answer, documents: Mapping[str, Document]) -> Answer:
    """The answer if every citation is its document's stored text at its offsets, else a
    refusal; without its sentences that quote a passage speaking to the reader.

    An answer with a claim marker that has no citation, or with a quote that is not the source's
    text, becomes an abstention: nothing unverified is ever shown. A sentence quoting a link, a
    request for a password or an order to an assistant is left out, with a notice saying so (an
    abstention if nothing is left). A refusal keeps the related passages that are verbatim.
    """
    if answer.abstained:
        related = [
            r for r in answer.related
            if verbatim([r], documents) and not addressing_reader([r], documents)
        ]  # fmt: skip
        return answer.model_copy(update={"related": related})
    if (
        verbatim(answer.citations, documents)
        and answer.citations
        and cited_numbers(answer.answer) <= {c.n for c in answer.citations}
    ):
        if not addressing_reader(answer.citations, documents):
            return answer
        kept = [s for s in sentences_of(answer) if not addressing_reader(s.citations, documents)]
        return keep_sentences(answer, kept, SPEAKS_TO_READER)
    return abstention(
        answer.question,
        answer.mode,
        answer.notice,
        reason="the passages found could not be verified against the sources",
    )
