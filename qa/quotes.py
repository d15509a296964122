"""Quote checking: find a claimed quote in a source text and return its exact offsets.

Matching forgives what copying text forgives (runs of whitespace, curly vs straight quote marks,
dash variants, ellipses at the ends); the offsets always point at the source's own characters,
so the quote shown is ``text[start:end]``, never the claimed string.
"""

from __future__ import annotations

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


def locate_quote(quote: str, text: str) -> tuple[int, int] | None:
    """Offsets ``(start, end)`` of `quote` in `text` after normalisation, or None if absent.

    Quotes shorter than `MIN_QUOTE_CHARS` (after trimming) are refused: they verify nothing.
    """
    needle = _normalise(quote.translate(_FOLD).replace("…", " ").strip(_EDGE))[0].strip()
    if len(needle) < MIN_QUOTE_CHARS:
        return None
    haystack, positions = _normalise(text.translate(_FOLD))
    at = haystack.find(needle)
    if at < 0:
        return None
    return positions[at], positions[at + len(needle) - 1] + 1


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
