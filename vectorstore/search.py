"""Searching the chunks, as the retriever asks: by meaning (Chroma's nearest neighbours of a
question's vector, through LangChain's own Chroma vector store, which LangChain users can take
as it is) and by words (BM25 over chunk text and document titles, vectorstore.lexical).

The word index follows the store a document at a time: the catalogue counts every change and
logs which documents it touched (in Chroma, so replicas sharing a server see each other's
changes), and the index takes in just those.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from langchain_chroma import Chroma

from vectorstore.catalogue import Catalogue
from vectorstore.chunks import Chunk
from vectorstore.embeddings import ArchiveEmbeddings, EmbeddingModel
from vectorstore.lexical import TERMS_VERSION, LexicalIndex
from vectorstore.rows import read_all, read_pages

# How many of the store's nearest chunks a scoped search looks among before searching the scope's
# own vectors, and how many scopes' vectors are kept (a course site asks in one collection).
_WIDE = 200
_SCOPES_KEPT = 8
# A scope of more documents than this is searched by Chroma's filter (their vectors, 15 a
# document on average, would take too long to read).
_EXACT_DOCUMENTS = 500


@dataclass(frozen=True)
class ScoredChunk:
    """A chunk returned by a search, with its cosine similarity to the query."""

    chunk: Chunk
    score: float


class ChunkSearch:
    """The store's chunks, searched."""

    def __init__(
        self,
        client: ClientAPI,
        chunks: Collection,
        catalogue: Catalogue,
        encoder: EmbeddingModel,
        word_index_dir: Path | None = None,
    ) -> None:
        """`encoder` embeds questions as the chunks were embedded; `word_index_dir` keeps the
        word index between runs (kept in memory without it, and built from Chroma)."""
        self.vectorstore = Chroma(
            client=client, collection_name=chunks.name,
            embedding_function=ArchiveEmbeddings(encoder), create_collection_if_not_exists=False,
        )  # fmt: skip
        """The chunks as a LangChain vector store (`.as_retriever()`, `similarity_search`)."""
        self._chunks = chunks
        self._catalogue = catalogue
        self._word_index_dir = word_index_dir
        self._lexical: LexicalIndex | None = None
        self._syncing = threading.Lock()
        self._scopes: OrderedDict[tuple[int, frozenset[str]], tuple[list[str], np.ndarray]] = (
            OrderedDict()
        )

    def by_meaning(
        self, vector: Sequence[float], *, k: int, documents: Set[str] | None = None
    ) -> list[ScoredChunk]:
        """The `k` chunks nearest to the query `vector` by cosine similarity, best first.

        With `documents`, only chunks of those documents are searched: among the nearest of the
        whole store when enough of them are theirs, else exactly, over those documents' vectors
        (kept for the next question in the same scope), or for a scope of many documents with
        Chroma's filter. Over a large library Chroma's filtered search takes 0.1 to 0.5 s; the
        first two take milliseconds.
        """
        if documents is not None and not documents:
            return []
        if documents is None:
            return self._nearest(vector, k)
        near = [hit for hit in self._nearest(vector, _WIDE) if hit.chunk.document_id in documents]
        if len(near) >= k:
            return near[:k]
        if len(documents) > _EXACT_DOCUMENTS:
            return self._nearest(vector, k, documents)
        return self._exactly(vector, k, frozenset(documents))

    def _nearest(
        self, vector: Sequence[float], k: int, documents: Set[str] | None = None
    ) -> list[ScoredChunk]:
        """Chroma's approximate nearest neighbours in the store (or in `documents`)."""
        where = None if documents is None else {"document_id": {"$in": sorted(documents)}}
        found = self.vectorstore.similarity_search_by_vector_with_relevance_scores(
            [float(x) for x in vector], k=k, filter=cast(Any, where)
        )
        # Chroma gives cosine distances, which the rest of the code reads as similarities.
        return [
            ScoredChunk(chunk_from_row(str(d.id), d.page_content, d.metadata), 1.0 - distance)
            for d, distance in found
        ]

    def _exactly(
        self, vector: Sequence[float], k: int, documents: frozenset[str]
    ) -> list[ScoredChunk]:
        """The `k` nearest chunks of `documents`, by comparing the vector with each of theirs."""
        key = (self._catalogue.generation(), documents)
        with self._syncing:
            scope = self._scopes.pop(key, None)
        if scope is None:
            where = cast(Any, {"document_id": {"$in": sorted(documents)}})
            rows = read_all(self._chunks, include=["embeddings"], where=where)
            scope = (rows["ids"], np.asarray(rows["embeddings"], dtype=np.float32))
        with self._syncing:
            self._scopes[key] = scope
            while len(self._scopes) > _SCOPES_KEPT:
                self._scopes.popitem(last=False)
        ids, vectors = scope
        if not ids:
            return []
        similarity = vectors @ np.asarray(vector, dtype=np.float32)
        best = np.argsort(-similarity, kind="stable")[:k]
        return self.scored([ids[i] for i in best], vector)

    def by_words(
        self, words: list[str], *, k: int, documents: Set[str] | None = None
    ) -> list[tuple[str, float]]:
        """The `k` best chunk ids by BM25 over chunk text and document title for the search terms
        `words` (vectorstore.text.terms of a query, maybe widened), best first.

        With `documents`, only chunks of those documents are returned.
        """
        return self.word_index().search(words, k=k, documents=documents)

    def documents_with(self, words: list[str]) -> set[str]:
        """The documents with a chunk (or a title) holding any of `words` (search terms)."""
        return self.word_index().documents_with(words)

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
            stamp = f"{self._chunks.id}:{TERMS_VERSION}"
            generation = self._catalogue.generation()
            if index.stamp == stamp and index.generation == generation:
                return index
            changed = (
                self._catalogue.changed_since(index.generation) if index.stamp == stamp else None
            )
            rows = self._rows(None if changed is None else sorted(changed))
            index.replace(changed, rows, stamp=stamp, generation=generation)
            return index

    def _rows(self, documents: list[str] | None = None) -> Iterator[tuple[str, str, str]]:
        """(chunk id, document id, title and text) of every chunk, or of those of `documents`,
        read from Chroma a page at a time."""
        if documents is not None and not documents:
            return
        where = None if documents is None else {"document_id": {"$in": documents}}
        for page in read_pages(
            self._chunks, include=["documents", "metadatas"], where=cast(Any, where)
        ):
            for i, text, meta in zip(
                page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True
            ):
                meta = meta or {}
                yield i, str(meta.get("document_id", "")), f"{meta.get('title', '')}\n{text or ''}"

    def scored(self, ids: Sequence[str], vector: Sequence[float]) -> list[ScoredChunk]:
        """The chunks with these ids, scored by cosine similarity to `vector`, in this order."""
        if not ids:
            return []
        rows = self._chunks.get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        query = np.asarray(vector, dtype=np.float32)
        embeddings = rows["embeddings"] if rows["embeddings"] is not None else []
        found = {
            i: ScoredChunk(chunk_from_row(i, t or "", m or {}), float(np.asarray(e) @ query))
            for i, t, m, e in zip(
                rows["ids"],
                rows["documents"] or [],
                rows["metadatas"] or [],
                embeddings,
                strict=True,
            )
        }
        return [found[i] for i in ids if i in found]


def document_of(chunk_id: str) -> str:
    """The id of the document a chunk belongs to (chunk ids are ``document_id:digest``)."""
    return chunk_id.rpartition(":")[0]


def chunk_from_row(chunk_id: str, text: str, meta: Mapping[str, Any]) -> Chunk:
    return Chunk(
        id=chunk_id,
        document_id=str(meta["document_id"]),
        section=str(meta.get("section", "")),
        start=int(meta["start"]),
        end=int(meta["end"]),
        text=text,
    )
