"""The answering chain: question -> retriever -> answerer -> citation check -> `Answer`.

Built from LangChain runnables, so it can be invoked, batched or piped like any other chain. The
last step re-checks every citation against the stored document text, whichever answerer ran.
"""

from __future__ import annotations

from typing import Protocol

from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from qa.answer import Answer, abstention, cited_numbers
from qa.retrieval import Passage, to_passages
from vectorstore.store import Store


class Answerer(Protocol):
    """Turns a question and its retrieved passages into a cited answer (the one seam)."""

    mode: str

    def answer(self, question: str, passages: list[Passage], notice: str | None = None) -> Answer:
        """Answer `question` from `passages` only, or abstain."""
        ...


def build_chain(
    retriever: BaseRetriever, store: Store, answerer: Answerer
) -> Runnable[str, Answer]:
    """The whole path from a question to a checked answer, as one runnable."""

    def retrieve(question: str) -> tuple[str, list[Passage]]:
        return question, to_passages(retriever.invoke(question), store)

    def respond(inputs: tuple[str, list[Passage]]) -> Answer:
        question, passages = inputs
        return answerer.answer(question, passages)

    def check(answer: Answer) -> Answer:
        return verify_answer(answer, store)

    return (
        RunnableLambda(retrieve, name="retrieve")
        | RunnableLambda(respond, name="answer")
        | RunnableLambda(check, name="verify_citations")
    )


def verify_answer(answer: Answer, store: Store) -> Answer:
    """Drop any citation whose quote is not the stored text at its offsets.

    An answer left with an uncited claim marker, or with no citation at all, becomes an
    abstention: nothing unverified is ever shown.
    """
    if answer.abstained:
        return answer
    records = store.records_by_id(c.document_id for c in answer.citations)
    good = [
        c
        for c in answer.citations
        if (r := records.get(c.document_id)) is not None and r.text[c.start : c.end] == c.quote
    ]
    if (
        good
        and len(good) == len(answer.citations)
        and cited_numbers(answer.answer) <= {c.n for c in good}
    ):
        return answer
    return abstention(
        answer.question,
        answer.mode,
        answer.notice,
        reason="the passages found could not be verified against the sources",
    )
