"""Retrieval: a question -> the passages most likely to answer it, as LangChain documents.

`ArchiveRetriever` is a LangChain `BaseRetriever`, so it pipes into anyone's chain;
`to_passages` turns its documents back into typed passages with their records attached.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LangChainDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.questions import read_question
from qa.words import widen
from vectorstore.chunks import Chunk
from vectorstore.documents import Document
from vectorstore.embeddings import EmbeddingModel
from vectorstore.search import ScoredChunk
from vectorstore.store import Store
from vectorstore.text import terms


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, its similarity to the question, and the record it belongs to."""

    chunk: Chunk
    score: float
    document: Document


@dataclass(frozen=True)
class Scope:
    """Which documents a question is asked of: by id, by collection (course pack), by date (ISO,
    inclusive), or any of these together."""

    documents: frozenset[str] | None = None
    since: str | None = None
    until: str | None = None
    collection: str | None = None

    @classmethod
    def of(
        cls,
        *,
        documents: Iterable[str] | None = None,
        collection: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Scope | None:
        """A scope from optional parts, as flags, forms and query strings give them; None (the
        whole store) when no part is given. An empty list of documents is a scope of none."""
        if documents is None and not (collection or since or until):
            return None
        return cls(
            documents=None if documents is None else frozenset(documents),
            collection=collection or None, since=since or None, until=until or None,
        )  # fmt: skip

    def resolve(self, store: Store) -> frozenset[str] | None:
        """The ids of the documents in scope, or None for the whole store."""
        allowed = self.documents
        if self.collection is not None:
            members = store.catalogue.members(self.collection)
            allowed = frozenset(members) if allowed is None else allowed & frozenset(members)
        if self.since is None and self.until is None:
            return allowed
        dated = frozenset(store.catalogue.dated_between(self.since, self.until))
        return dated if allowed is None else dated & allowed


class ArchiveRetriever(BaseRetriever):
    """Hybrid retrieval: dense (MiniLM cosine) and lexical (BM25) rankings fused by RRF.

    Each returned chunk carries its cosine similarity to the question as ``score``, whichever
    ranking found it, so answerers can compare all candidates on one scale.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Store
    encoder: EmbeddingModel
    """The model the store's chunks were embedded with (questions are embedded with it too)."""
    k: int = 24
    depth: int = 40
    """How deep each ranking is read before fusion."""
    rrf_k: int = 10
    """RRF's damping constant: small, so a first place in one ranking beats shared mediocrity."""
    scope: Scope = Scope()

    def scoped(self, scope: Scope) -> ArchiveRetriever:
        """This retriever, searching only the documents in `scope`."""
        return self.model_copy(update={"scope": scope})

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LangChainDocument]:
        vector = self.encoder.encode_query(query).tolist()
        documents = self.scope.resolve(self.store)
        for name in read_question(query).names:
            # A question that names someone is about the documents that mention them.
            mentioning = frozenset(self.store.search.documents_with(widen(terms(name.words))))
            if mentioning:
                documents = mentioning if documents is None else documents & mentioning
        dense = self.store.search.by_meaning(vector, k=self.depth, documents=documents)
        lexical = [
            chunk_id
            for chunk_id, _ in self.store.search.by_words(
                widen(terms(query)), k=self.depth, documents=documents
            )
        ]
        fused = fuse_rankings([[hit.chunk.id for hit in dense], lexical], k=self.rrf_k)[: self.k]
        known = {hit.chunk.id: hit for hit in dense}
        missing = [i for i in fused if i not in known]
        known.update((hit.chunk.id, hit) for hit in self.store.search.scored(missing, vector))
        return [_as_document(known[i]) for i in fused if i in known]


def fuse_rankings(rankings: list[list[str]], *, k: int = 60) -> list[str]:
    """Reciprocal rank fusion (Cormack et al., 2009): ids by the sum of 1 / (k + rank)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda item: -scores[item])


def _as_document(hit: ScoredChunk) -> LangChainDocument:
    return LangChainDocument(
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


def to_passages(found: list[LangChainDocument], store: Store) -> list[Passage]:
    """Attach each retrieved chunk's record (full text and archival metadata)."""
    documents = store.catalogue.documents_by_id(d.metadata["document_id"] for d in found)
    passages = []
    for doc in found:
        meta: dict[str, Any] = doc.metadata
        document = documents.get(meta["document_id"])
        start, end = int(meta["start"]), int(meta["end"])
        if document is None or document.text[start:end] != doc.page_content:
            continue  # removed, or replaced by another version, between search and lookup
        chunk = Chunk(
            id=meta["chunk_id"],
            document_id=meta["document_id"],
            section=meta["section"],
            start=start,
            end=end,
            text=doc.page_content,
        )
        passages.append(Passage(chunk, float(meta["score"]), document))
    return passages
