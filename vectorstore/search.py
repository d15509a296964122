"""Searching the passages, as the retriever asks: by meaning (Chroma's nearest neighbours of a
question's vector) and by words (BM25 over passage text and document titles, vectorstore.lexical);
then the passages found, read back with their documents and their similarity to the question.

The word index follows the store a document at a time: the catalogue counts every change and
logs which documents it touched (in Chroma, so replicas sharing a server see each other's
changes), and the index takes in just those.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence, Set
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Where

from vectorstore.catalogue import Catalogue
from vectorstore.embeddings import EncoderEmbeddings
from vectorstore.encoders import Encoder
from vectorstore.lexical import TERMS_VERSION, LexicalIndex
from vectorstore.passages import Passage, document_of
from vectorstore.remembered import Kept
from vectorstore.rows import PAGE, get_all, get_pages

if TYPE_CHECKING:
    from langchain_chroma import Chroma

# How many of the store's nearest passages a scoped search looks among before searching the
# scope's own vectors, and how many scopes' vectors are kept (a course site asks in one
# collection).
_WIDE = 200
_SCOPES_KEPT = 8
# A scope of more documents than this is searched by Chroma's filter (their vectors, 15 a
# document on average, would take too long to read).
_EXACT_DOCUMENTS = 500

Ranking = list[tuple[str, float]]
"""Passage ids, best first, each with its score."""


class PassageSearch:
    """The store's passages, searched."""

    def __init__(
        self,
        client: ClientAPI,
        passage_rows: Collection,
        catalogue: Catalogue,
        encoder: Encoder,
        word_index_dir: Path | None = None,
        *,
        page: int = PAGE,
    ) -> None:
        """`passage_rows` is the Chroma collection of the passages; `encoder` embeds questions
        as the passages were embedded; `word_index_dir` keeps the word index between runs (kept
        in memory without it, and built from Chroma, `page` rows at a time)."""
        self._client = client
        self._encoder = encoder
        self._passage_rows = passage_rows
        self._catalogue = catalogue
        self._word_index_dir = word_index_dir
        self._page = page
        self._lexical: LexicalIndex | None = None
        self._syncing = threading.Lock()
        self._scopes: Kept[tuple[list[str], np.ndarray]] = Kept(_SCOPES_KEPT)

    @cached_property
    def vectorstore(self) -> Chroma:
        """The passages as a LangChain vector store (`.as_retriever()`, `similarity_search`);
        made when first asked for, as langchain_chroma takes half a second to import."""
        from langchain_chroma import Chroma

        return Chroma(
            client=self._client, collection_name=self._passage_rows.name,
            embedding_function=EncoderEmbeddings(self._encoder),
            create_collection_if_not_exists=False,
        )  # fmt: skip

    def by_meaning(
        self, vector: Sequence[float], *, k: int, within: Set[str] | None = None
    ) -> Ranking:
        """The `k` passages nearest to the query `vector` by cosine similarity, best first.

        With `within` (document ids), only passages of those documents are searched: among the
        nearest of the whole store when enough of them are theirs, else exactly, over those
        documents' vectors (kept for the next question in the same scope), or for a scope of
        many documents with Chroma's filter. Over a large library Chroma's filtered search takes
        0.1 to 0.5 s; the first two take milliseconds.
        """
        if within is not None and not within:
            return []
        if within is None:
            return self._nearest(vector, k)
        near = [hit for hit in self._nearest(vector, _WIDE) if document_of(hit[0]) in within]
        if len(near) >= k:
            return near[:k]
        if len(within) > _EXACT_DOCUMENTS:
            return self._nearest(vector, k, within)
        return self._exactly(vector, k, frozenset(within))

    def _nearest(self, vector: Sequence[float], k: int, within: Set[str] | None = None) -> Ranking:
        """Chroma's approximate nearest neighbours in the store (or among the passages of the
        documents `within`)."""
        if k <= 0:
            return []
        found = self._passage_rows.query(
            query_embeddings=[float(x) for x in vector],
            n_results=k,
            where=_of_documents(within),
            include=["distances"],
        )
        distances = (found["distances"] or [[]])[0]
        # Chroma gives cosine distances, which the rest of the code reads as similarities.
        return [(i, 1.0 - d) for i, d in zip(found["ids"][0], distances, strict=True)]

    def _exactly(self, vector: Sequence[float], k: int, within: frozenset[str]) -> Ranking:
        """The `k` nearest passages of the documents `within`, by comparing the vector with each
        of theirs."""

        def fetched() -> tuple[list[str], np.ndarray]:
            rows = get_all(
                self._passage_rows, include=["embeddings"], where=_of_documents(within),
                page=self._page,
            )  # fmt: skip
            return rows["ids"], np.asarray(rows["embeddings"], dtype=np.float32)

        scope = self._scopes.get((self._catalogue.generation(), within), fetched)
        ids, vectors = scope
        if not ids:
            return []
        similarity = vectors @ np.asarray(vector, dtype=np.float32)
        best = np.argsort(-similarity, kind="stable")[:k]
        return [(ids[i], float(similarity[i])) for i in best]

    def by_words(self, words: list[str], *, k: int, within: Set[str] | None = None) -> Ranking:
        """The `k` best passages by BM25 over passage text and document title for the search
        terms `words` (vectorstore.text.terms of a query, maybe widened), best first.

        With `within` (document ids), only passages of those documents are returned.
        """
        return self.word_index().search(words, k=k, within=within)

    def documents_with(self, words: list[str]) -> set[str]:
        """The documents with a passage (or a title) holding any of `words` (search terms)."""
        return self.word_index().documents_with(words)

    def passages(self, ids: Sequence[str], vector: Sequence[float]) -> list[Passage]:
        """The passages with these ids, in this order, each with its document and its cosine
        similarity to `vector`; left out, any whose document has gone or changed since."""
        if not ids:
            return []
        rows = self._passage_rows.get(
            ids=list(ids), include=["documents", "metadatas", "embeddings"]
        )
        documents = self._catalogue.documents_by_id(document_of(i) for i in rows["ids"])
        query = np.asarray(vector, dtype=np.float32)
        embeddings = rows["embeddings"] if rows["embeddings"] is not None else []
        found = {}
        for i, text, meta, embedding in zip(
            rows["ids"], rows["documents"] or [], rows["metadatas"] or [], embeddings, strict=True
        ):
            document, row = documents.get(document_of(i)), cast(Mapping[str, Any], meta or {})
            start, end = int(row["start"]), int(row["end"])
            if document is None or document.text[start:end] != text:
                continue  # removed, or replaced by another version, between search and lookup
            found[i] = Passage(
                i, document, str(row.get("section", "")), start, end, float(embedding @ query)
            )
        return [found[i] for i in ids if i in found]

    def word_index(self) -> LexicalIndex:
        """The word index, brought up to date with the store first.

        It follows the catalogue's change counter, which every ingest, replace and delete bumps
        (in Chroma, so replicas sharing a server see it too): the documents changed since the
        index was last brought up to date are indexed again, and only those. A store it has
        never seen (or one that changed too much since) is indexed whole.
        """
        with self._syncing:
            index = self._lexical
            if index is None:
                index = self._lexical = LexicalIndex(self._word_index_dir)
            stamp = f"{self._passage_rows.id}:{TERMS_VERSION}"
            generation = self._catalogue.generation()
            if index.stamp == stamp and index.generation == generation:
                return index
            changed = (
                self._catalogue.changed_since(index.generation) if index.stamp == stamp else None
            )
            rows = self._rows(None if changed is None else sorted(changed))
            index.replace(changed, rows, stamp=stamp, generation=generation)
            return index

    def _rows(self, within: list[str] | None = None) -> Iterator[tuple[str, str, str]]:
        """(passage id, document id, title and text) of every passage, or of those of
        the documents `within`, got from Chroma a page at a time."""
        if within is not None and not within:
            return
        pages = get_pages(
            self._passage_rows, include=["documents", "metadatas"],
            where=_of_documents(within), page=self._page,
        )  # fmt: skip
        for page in pages:
            for i, text, meta in zip(
                page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True
            ):
                meta = meta or {}
                yield i, str(meta.get("document_id", "")), f"{meta.get('title', '')}\n{text or ''}"


def _of_documents(within: Set[str] | Sequence[str] | None) -> Where | None:
    """Chroma's filter for the passages of these within (None: every passage)."""
    if within is None:
        return None
    return cast(Where, {"document_id": {"$in": sorted(within)}})
