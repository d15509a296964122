"""Retrieval: a question -> the passages most likely to answer it, with their documents.

`ArchiveRetriever.find` gives typed passages (what the chain reads); as a LangChain
`BaseRetriever` it gives the same passages as LangChain documents, so it pipes into anyone's
chain.
"""

from __future__ import annotations

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LangChainDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.answer import Scope, documents_in
from qa.questions import read_question
from qa.words import widen
from vectorstore.encoders import Encoder
from vectorstore.passages import Passage
from vectorstore.remembered import Kept
from vectorstore.store import Store
from vectorstore.text import terms


class ArchiveRetriever(BaseRetriever):
    """Hybrid retrieval: dense (cosine over the store's vectors) and lexical (BM25) rankings fused
    by RRF.

    Each passage found carries its cosine similarity to the question as `score`, whichever
    ranking found it, so answerers can compare all candidates on one scale.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Store
    """Searched; questions are embedded with its encoder, as its passages were."""
    k: int = 24
    depth: int = 40
    """How deep each ranking is read before fusion."""
    rrf_k: int = 10
    """RRF's damping constant: small, so a first place in one ranking beats shared mediocrity."""
    scope: Scope | None = None
    """The documents searched unless a question is asked in a scope of its own (None: all)."""

    def scoped(self, scope: Scope) -> ArchiveRetriever:
        """This retriever, searching only the documents in `scope`."""
        return self.model_copy(update={"scope": scope})

    def find(self, question: str, scope: Scope | None = None) -> list[Passage]:
        """The passages most likely to answer `question` among the documents in `scope` (or in
        this retriever's own scope, when none is given)."""
        scope = scope or self.scope
        vector = _question_vector(self.store.encoder, question).tolist()
        within = documents_in(scope, self.store)
        for name in read_question(question).names:
            # A question that names someone is about the documents that mention them.
            mentioning = frozenset(self.store.documents_with(widen(terms(name.words))))
            if mentioning:
                within = mentioning if within is None else within & mentioning
        dense = self.store.by_meaning(vector, k=self.depth, within=within)
        lexical = self.store.by_words(widen(terms(question)), k=self.depth, within=within)
        rankings = [[i for i, _ in dense], [i for i, _ in lexical]]
        return self.store.passages(fuse_rankings(rankings, k=self.rrf_k)[: self.k], vector)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LangChainDocument]:
        return [_as_langchain(p) for p in self.find(query, self.scope)]


def fuse_rankings(rankings: list[list[str]], *, k: int = 60) -> list[str]:
    """Reciprocal rank fusion (Cormack et al., 2009): ids by the sum of 1 / (k + rank)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda item: -scores[item])


def _as_langchain(passage: Passage) -> LangChainDocument:
    return LangChainDocument(
        page_content=passage.text,
        id=passage.id,
        metadata={  # the keys of the answer contract's citations, chunk_id among them
            "chunk_id": passage.id,
            "document_id": passage.document_id,
            "title": passage.document.title,
            "section": passage.section,
            "start": passage.start,
            "end": passage.end,
            "score": passage.score,
        },
    )


def _question_vector(encoder: Encoder, question: str) -> np.ndarray:
    """`question` embedded by `encoder`, remembered (read-only) by the model's name: a class asks
    the same questions of the same documents, and embedding one was a fifth of a repeated
    answer's time."""

    def embedded() -> np.ndarray:
        vector = encoder.encode_query(question)
        vector.flags.writeable = False
        return vector

    return _ASKED.get((encoder.model_id, question), embedded)


# Questions are at most 1,000 characters: with MiniLM's 384 floats, about 5 MB at most (25 MB
# for a remote model of 3,072).
_ASKED: Kept[np.ndarray] = Kept(2048)
