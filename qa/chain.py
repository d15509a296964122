"""The answering chain: question -> retriever -> answerer -> citation check -> `Answer`.

Built from LangChain runnables, so it can be invoked, batched or piped like any other chain. The
last step re-checks every citation against the stored document text, whichever answerer ran.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from langchain_core.runnables import Runnable, RunnableLambda

from qa.answer import Answer, abstention, cited_numbers
from qa.provenance import answer_provenance, read_provenance
from qa.retrieval import ArchiveRetriever, Passage, to_passages
from vectorstore.records import Record
from vectorstore.store import Store


class Answerer(Protocol):
    """Turns a question and its retrieved passages into a cited answer (the one seam)."""

    mode: str

    def answer(self, question: str, passages: list[Passage], notice: str | None = None) -> Answer:
        """Answer `question` from `passages` only, or abstain."""
        ...


def build_chain(
    retriever: ArchiveRetriever, store: Store, answerer: Answerer
) -> Runnable[str, Answer]:
    """The whole path from a question to a checked answer, as one runnable.

    A question about a document as a source (who wrote it, when, which archive holds it) is
    answered from the record's fields, whichever answerer is configured (qa.provenance).
    """

    def retrieve(question: str) -> tuple[str, list[Passage]]:
        return question, to_passages(retriever.invoke(question), store)

    def in_scope() -> list[Record]:
        allowed = retriever.scope.resolve(store)
        return [r for r in store.records(with_text=False) if allowed is None or r.id in allowed]

    def respond(inputs: tuple[str, list[Passage]]) -> tuple[Answer, dict[str, Record]]:
        question, passages = inputs
        read = {p.record.id: p.record for p in passages}
        asked = read_provenance(question)
        if asked is None:
            return answerer.answer(question, passages), read
        answer = answer_provenance(asked, question, passages, in_scope, store.record)
        cited = {c.document_id for c in answer.citations} - read.keys()
        return answer, read | store.records_by_id(cited)

    def check(inputs: tuple[Answer, dict[str, Record]]) -> Answer:
        answer, records = inputs
        return verify_answer(answer, records)

    return (
        RunnableLambda(retrieve, name="retrieve")
        | RunnableLambda(respond, name="answer")
        | RunnableLambda(check, name="verify_citations")
    )


def verify_answer(answer: Answer, records: Mapping[str, Record]) -> Answer:
    """The answer if every citation is its record's stored text at its offsets, else a refusal.

    An answer with a claim marker that has no citation, or with a quote that is not the source's
    text, becomes an abstention: nothing unverified is ever shown.
    """
    if answer.abstained:
        return answer
    verified = all(
        (r := records.get(c.document_id)) is not None and r.text[c.start : c.end] == c.quote
        for c in answer.citations
    )
    if (
        verified
        and answer.citations
        and cited_numbers(answer.answer) <= {c.n for c in answer.citations}
    ):
        return answer
    return abstention(
        answer.question,
        answer.mode,
        answer.notice,
        reason="the passages found could not be verified against the sources",
    )
