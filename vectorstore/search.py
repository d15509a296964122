"""Searching the chunks, as the retriever asks: by meaning (Chroma's nearest neighbours of a
question's vector, through LangChain's own Chroma vector store, which LangChain users can take
as it is) and by words (BM25 over chunk text and document titles, vectorstore.lexical).

The word index is rebuilt only when the store has changed: its stamp names the chunk collection
and the catalogue's generation counter, which every ingest, replace and delete bumps (in Chroma,
so replicas sharing a server see each other's changes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence, Set
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
        BM25 index between runs (rebuilt from Chroma without it)."""
        self.vectorstore = Chroma(
            client=client, collection_name=chunks.name,
            embedding_function=ArchiveEmbeddings(encoder), create_collection_if_not_exists=False,
        )  # fmt: skip
        """The chunks as a LangChain vector store (`.as_retriever()`, `similarity_search`)."""
        self._chunks = chunks
        self._catalogue = catalogue
        self._word_index_dir = word_index_dir
        self._lexical: tuple[str, LexicalIndex] | None = None

    def by_meaning(
        self, vector: Sequence[float], *, k: int, documents: Set[str] | None = None
    ) -> list[ScoredChunk]:
        """The `k` chunks nearest to the query `vector` by cosine similarity, best first.

        With `documents`, only chunks of those documents are searched.
        """
        total = self._chunks.count()
        if total == 0 or (documents is not None and not documents):
            return []
        where = None if documents is None else {"document_id": {"$in": sorted(documents)}}
        found = self.vectorstore.similarity_search_by_vector_with_relevance_scores(
            [float(x) for x in vector], k=min(k, total), filter=cast(Any, where)
        )
        # Chroma gives cosine distances, which the rest of the code reads as similarities.
        return [
            ScoredChunk(chunk_from_row(str(d.id), d.page_content, d.metadata), 1.0 - distance)
            for d, distance in found
        ]

    def by_words(
        self, words: list[str], *, k: int | None, documents: Set[str] | None = None
    ) -> list[tuple[str, float]]:
        """The `k` best chunk ids by BM25 over chunk text and document title for the search terms
        `words` (vectorstore.text.terms of a query, maybe widened), best first.

        With `documents`, only chunks of those documents are returned.
        """
        index = self.word_index()
        if documents is None:
            return index.search(words, k=k)
        hits = index.search(words, k=None)
        return [(i, score) for i, score in hits if document_of(i) in documents][:k]

    def word_index(self) -> LexicalIndex:
        """The word index for the store as it is now: kept, loaded from disk, or rebuilt.

        Its stamp names the chunk collection and its generation counter, which every ingest,
        replace and delete bumps (in Chroma, so replicas sharing a server see it too).
        """
        stamp = f"{self._chunks.id}:{self._catalogue.generation()}:{TERMS_VERSION}"
        if self._lexical is not None and self._lexical[0] == stamp:
            return self._lexical[1]
        folder = self._word_index_dir
        index = LexicalIndex.load(folder, stamp) if folder else None
        if index is None:
            rows = self._chunks.get(include=["documents", "metadatas"])
            texts = [
                f"{(m or {}).get('title', '')}\n{t or ''}"
                for t, m in zip(rows["documents"] or [], rows["metadatas"] or [], strict=True)
            ]
            index = LexicalIndex(rows["ids"], texts)
            if folder:
                # A read-only folder only costs a rebuild next time.
                with contextlib.suppress(OSError):
                    index.save(folder, stamp)
        self._lexical = (stamp, index)
        return index

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
