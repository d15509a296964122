"""Retrieval: a question -> the passages most likely to answer it, as LangChain documents.

`ArchiveRetriever` is a LangChain `BaseRetriever`, so it pipes into anyone's chain;
`to_passages` turns its documents back into typed passages with their records attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from vectorstore.chunks import Chunk
from vectorstore.records import Record
from vectorstore.store import Store


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, its similarity to the question, and the record it belongs to."""

    chunk: Chunk
    score: float
    record: Record


class ArchiveRetriever(BaseRetriever):
    """Dense retrieval over the archive's chunks (cosine similarity, best first)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Store
    k: int = 16

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(
                page_content=hit.chunk.text,
                id=hit.chunk.id,
                metadata={
                    "chunk_id": hit.chunk.id,
                    "document_id": hit.chunk.document_id,
                    "section": hit.chunk.section,
                    "start": hit.chunk.start,
                    "end": hit.chunk.end,
                    "score": hit.score,
                },
            )
            for hit in self.store.search(query, k=self.k)
        ]


def to_passages(documents: list[Document], store: Store) -> list[Passage]:
    """Attach each retrieved chunk's record (full text and archival metadata)."""
    records = store.records_by_id(d.metadata["document_id"] for d in documents)
    passages = []
    for doc in documents:
        meta: dict[str, Any] = doc.metadata
        record = records.get(meta["document_id"])
        if record is None:  # deleted between search and lookup
            continue
        chunk = Chunk(
            id=meta["chunk_id"],
            document_id=meta["document_id"],
            section=meta["section"],
            start=int(meta["start"]),
            end=int(meta["end"]),
            text=doc.page_content,
        )
        passages.append(Passage(chunk, float(meta["score"]), record))
    return passages
