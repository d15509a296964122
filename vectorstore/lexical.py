"""Lexical search: BM25 over chunk text and document titles (bm25s), beside Chroma's dense search.

Words match what embeddings blur: names, numbers, rare terms ("124", "Shanghai", "Molotov").
The index is built from the chunks in Chroma, saved in a folder beside it with a stamp of the
store state it was built from, and rebuilt when the store changes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import bm25s

from vectorstore.text import terms

# Part of every saved index's stamp: bump it when `terms` changes, so old indexes are rebuilt.
TERMS_VERSION = "snowball-2"


class LexicalIndex:
    """BM25 over a fixed list of documents, each given as its id and text."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        self._ids = list(ids)
        self._bm25 = bm25s.BM25()
        if self._ids:
            # An empty token list would make bm25s drop the row and misalign ids.
            self._bm25.index([terms(t) or ["\x00"] for t in texts], show_progress=False)

    def search(self, words: list[str], *, k: int | None) -> list[tuple[str, float]]:
        """Up to `k` (id, score) pairs with a positive score, best first (all with None), for
        the search terms `words` (vectorstore.text.terms of a query, maybe widened)."""
        if not self._ids or not words:
            return []
        found, scores = self._bm25.retrieve(
            [words], k=min(k or len(self._ids), len(self._ids)), show_progress=False, n_threads=1
        )
        return [
            (self._ids[int(i)], float(score))
            for i, score in zip(found[0], scores[0], strict=True)
            if score > 0
        ]

    def save(self, folder: Path, stamp: str) -> None:
        """Write the index to `folder` (replacing what is there), marked with `stamp`."""
        staging = folder.with_name(folder.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if self._ids:
            self._bm25.save(str(staging), show_progress=False)
        (staging / "ids.json").write_text(json.dumps({"stamp": stamp, "ids": self._ids}))
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)

    @classmethod
    def load(cls, folder: Path, stamp: str) -> LexicalIndex | None:
        """The index saved in `folder`, or None when there is none for this `stamp`."""
        try:
            saved = json.loads((folder / "ids.json").read_text())
            if saved.get("stamp") != stamp:
                return None
            index = cls([], [])
            index._ids = list(saved["ids"])
            if index._ids:
                index._bm25 = bm25s.BM25.load(str(folder), show_progress=False)
        except (OSError, ValueError, KeyError):
            return None  # missing or damaged: rebuilt from Chroma
        return index
