"""Lexical search: BM25 over passage text and document titles (tantivy), beside Chroma's dense
search.

Words match what embeddings blur: names, numbers, rare terms ("124", "Shanghai", "Molotov").
The index is a copy of the passages in Chroma, kept in a folder beside it (or in memory) and
updated a document at a time as the store changes (vectorstore.search follows the changes).
Texts are indexed as their `terms` (lowercased, stemmed), so questions and passages meet on the
same words.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import threading
from collections.abc import Iterable, Set
from pathlib import Path

import tantivy

from vectorstore.text import terms

# Part of every index's stamp: bump it when `terms` changes, so old indexes are rebuilt.
TERMS_VERSION = "snowball-2"
_STATE = "state.json"
_WRITER_HEAP = 50_000_000  # bytes; tantivy's floor is 15 MB
_log = logging.getLogger(__name__)


def _schema() -> tantivy.Schema:
    fields = tantivy.SchemaBuilder()
    fields.add_text_field("words", tokenizer_name="whitespace", index_option="freq")
    # A passage's id, under the name indexes kept on disk were first made with.
    fields.add_text_field("chunk_id", tokenizer_name="raw", stored=True)
    fields.add_text_field("document_id", tokenizer_name="raw", fast=True)
    return fields.build()


_SCHEMA = _schema()


class LexicalIndex:
    """BM25 over passages, each given as (passage id, document id, text), changed by document."""

    def __init__(self, folder: Path | None = None) -> None:
        """Open the index kept in `folder` (a damaged or outdated one is started afresh), or
        keep one in memory (None, or a folder that cannot be written)."""
        self._folder = folder
        self._lock = threading.Lock()
        self.stamp, self.generation = "", -1
        """What the index holds: the store it copies, and that store's change counter then."""
        self._index = self._open()

    def _open(self) -> tantivy.Index:
        folder = self._folder
        if folder is None:
            return tantivy.Index(_SCHEMA)
        with contextlib.suppress(OSError, ValueError, KeyError):
            state = json.loads((folder / _STATE).read_text())
            index = tantivy.Index(_SCHEMA, path=str(folder), reuse=True)
            self.stamp, self.generation = str(state["stamp"]), int(state["generation"])
            return index
        try:  # missing, damaged, or from an older archive-qa: start afresh
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            return tantivy.Index(_SCHEMA, path=str(folder), reuse=False)
        except (OSError, ValueError) as exc:
            _log.warning("keeping the word index in memory: %s cannot be written (%s)", folder, exc)
            self._folder = None
            return tantivy.Index(_SCHEMA)

    # -- changing --------------------------------------------------------------------------

    def replace(
        self,
        document_ids: Iterable[str] | None,
        passages: Iterable[tuple[str, str, str]],
        *,
        stamp: str,
        generation: int,
    ) -> None:
        """Take out every passage of `document_ids` (of every document with None), put in
        `passages` (passage id, document id, text), and note the store state it now copies."""
        with self._lock:
            writer = self._writer()
            if document_ids is None:
                writer.delete_all_documents()
            for document_id in document_ids or []:
                writer.delete_documents_by_term("document_id", document_id)
            for passage_id, document_id, text in passages:
                words = " ".join(terms(text))
                writer.add_document(
                    tantivy.Document(words=words, chunk_id=passage_id, document_id=document_id)
                )
            writer.commit()
            writer.wait_merging_threads()
            self._index.reload()
            self.stamp, self.generation = stamp, generation
            if self._folder is not None:
                state = {"stamp": stamp, "generation": generation}
                (self._folder / _STATE).write_text(json.dumps(state))

    def _writer(self) -> tantivy.IndexWriter:
        try:
            return self._index.writer(_WRITER_HEAP, 1)
        except ValueError:  # another process writes this folder: go on with a copy of our own
            _log.warning("the word index in %s is in use; keeping one in memory", self._folder)
            self._folder, self._index = None, tantivy.Index(_SCHEMA)
            self.stamp, self.generation = "", -1
            return self._index.writer(_WRITER_HEAP, 1)

    # -- searching -------------------------------------------------------------------------

    def search(
        self, words: list[str], *, k: int, within: Set[str] | None = None
    ) -> list[tuple[str, float]]:
        """Up to `k` (passage id, score) pairs, best first, for the search terms `words`
        (vectorstore.text.terms of a query, maybe widened); with `within` (document ids), only
        passages of those documents."""
        query = _any_of(words)
        if query is None or k <= 0 or (within is not None and not within):
            return []
        if within is not None:
            only = tantivy.Query.term_set_query(_SCHEMA, "document_id", sorted(within))
            query = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, query),
                    (tantivy.Occur.Must, tantivy.Query.const_score_query(only, 0.0)),
                ]
            )
        searcher = self._index.searcher()
        found = searcher.search(query, k, count=False).hits
        return [(str(searcher.doc(at)["chunk_id"][0]), float(score)) for score, at in found]

    def documents_with(self, words: list[str]) -> set[str]:
        """The ids of the documents with a passage holding any of `words`."""
        query = _any_of(words)
        if query is None:
            return set()
        buckets = {"terms": {"field": "document_id", "size": 1_000_000}}
        found = self._index.searcher().aggregate(query, {"documents": buckets})
        return {str(b["key"]) for b in found["documents"]["buckets"]}

    def __len__(self) -> int:
        return int(self._index.searcher().num_docs)


def _any_of(words: list[str]) -> tantivy.Query | None:
    """A query matching passages with any of `words`, scored by BM25 (None without words)."""
    if not words:
        return None
    return tantivy.Query.boolean_query(
        [(tantivy.Occur.Should, tantivy.Query.term_query(_SCHEMA, "words", w)) for w in words]
    )
