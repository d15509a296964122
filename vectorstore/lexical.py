"""Lexical search: BM25 over chunk text and document titles (bm25s), beside Chroma's dense search.

Words match what embeddings blur: names, numbers, rare terms ("124", "Shanghai", "Molotov").
The index is built in memory from the chunks in Chroma and rebuilt when the store changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import bm25s

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


def terms(text: str) -> list[str]:
    """The words of `text` that carry meaning: lowercased, stop words dropped, crudely stemmed."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def _stem(word: str) -> str:
    """A deliberately crude stemmer: enough to match offer/offered, pilot/pilots."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


class LexicalIndex:
    """BM25 over a fixed list of documents, each given as its id and text."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        self._ids = list(ids)
        self._bm25 = bm25s.BM25()
        if self._ids:
            # An empty token list would make bm25s drop the row and misalign ids.
            self._bm25.index([terms(t) or ["\x00"] for t in texts], show_progress=False)

    def search(self, query: str, *, k: int) -> list[tuple[str, float]]:
        """Up to `k` (id, score) pairs with a positive score, best first."""
        words = terms(query)
        if not self._ids or not words:
            return []
        found, scores = self._bm25.retrieve(
            [words], k=min(k, len(self._ids)), show_progress=False, n_threads=1
        )
        return [
            (self._ids[int(i)], float(score))
            for i, score in zip(found[0], scores[0], strict=True)
            if score > 0
        ]
