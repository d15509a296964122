"""The answering chain, the whole ask: question (with its conversation and scope) -> checked and
read as it stands alone -> retriever -> answerer -> citation check -> `Answer`.

Built from LangChain runnables, so it can be invoked, batched or piped like any other chain, and
the CLI, the API and the page all ask through it (`Archive.ask`). The last step re-checks every
citation against the stored document text, whichever answerer ran.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Protocol, runtime_checkable

from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel, ConfigDict

from qa.answer import (
    Answer,
    Citation,
    Streamed,
    abstention,
    check_question,
    cited_numbers,
    sentences_of,
)
from qa.followups import Condenser, Standalone, Turn, WordCondenser, recent
from qa.retrieval import ArchiveRetriever, Passage, Scope, to_passages
from qa.sourcing.provenance import answer_provenance, read_provenance
from vectorstore.documents import Document
from vectorstore.store import Store


class Answerer(Protocol):
    """Turns a question and its retrieved passages into a cited answer (the one seam)."""

    mode: str

    def answer(self, question: str, passages: list[Passage], notice: str | None = None) -> Answer:
        """Answer `question` from `passages` only, or abstain."""
        ...


@runtime_checkable
class StreamingAnswerer(Answerer, Protocol):
    """An answerer that gives each sentence as soon as it is checked (qa.llm.answerer)."""

    def stream(
        self, question: str, passages: list[Passage], notice: str | None = None
    ) -> Iterator[Streamed]:
        """The answer's sentences as they are ready, then the whole answer."""
        ...


class Ask(BaseModel):
    """One question as the chain takes it (a plain string is a question with nothing else)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    question: str
    history: tuple[Turn, ...] = ()
    """The conversation so far, oldest first: a follow-up is read with it."""
    scope: Scope | None = None
    """The documents asked; None for the whole store."""


@dataclass(frozen=True)
class _Reading:
    """A question on its way through the chain: as asked, as it stands alone, where to search,
    and (once found) the passages and the records they come from."""

    asked: str
    standalone: Standalone
    retriever: ArchiveRetriever
    passages: tuple[Passage, ...] = ()


def build_chain(
    retriever: ArchiveRetriever,
    store: Store,
    answerer: Answerer,
    condenser: Condenser | None = None,
) -> Runnable[Ask | str, Streamed]:
    """The whole ask, as one runnable: check the question, read a follow-up as the question it
    stands for (`condenser`), search the documents in scope, answer, verify every citation
    against the stored text, and say how a follow-up was read.

    `invoke` gives the `Answer`. `stream` gives each sentence of it once its citations are
    verified (as the model writes them, with a streaming answerer), then the whole `Answer`.

    A question about a document as a source (who wrote it, when, which archive holds it) is
    answered from the record's fields, whichever answerer is configured (qa.sourcing.provenance).
    """
    condense = condenser or WordCondenser()

    def read(ask: Ask | str) -> _Reading:
        ask = ask if isinstance(ask, Ask) else Ask(question=ask)
        question = check_question(ask.question)
        history = recent(ask.history)
        standalone = condense.condense(question, history) if history else Standalone(question)
        scoped = retriever.scoped(ask.scope) if ask.scope else retriever
        earlier = standalone.follows
        if earlier and ask.scope is None:
            # Read offline, a follow-up is about the sources of the answer it follows.
            cited = {
                c.document_id
                for c in answered(found(_Reading(earlier.text, earlier, retriever))).citations
            }
            scoped = retriever.scoped(Scope(documents=frozenset(cited))) if cited else scoped
        return _Reading(question, standalone, scoped)

    def found(reading: _Reading) -> _Reading:
        hits = to_passages(reading.retriever.invoke(reading.standalone.text), store)
        return replace(reading, passages=tuple(hits))

    def told(reading: _Reading) -> Iterator[Streamed]:
        question, passages = reading.standalone.text, list(reading.passages)
        read = {p.document.id: p.document for p in passages}
        asked = read_provenance(reading.standalone.own, question)
        parts: Iterable[Streamed]
        if asked is None:
            parts = _answer_stream(answerer, question, passages)
        else:
            in_scope = partial(_in_scope, reading.retriever, store)
            answer = answer_provenance(
                asked, question, passages, in_scope, store.catalogue.document
            )
            cited = {c.document_id for c in answer.citations} - read.keys()
            read |= store.catalogue.documents_by_id(cited)
            parts = [answer]
        shown = False
        for part in parts:
            if isinstance(part, Answer):
                answer = _as_read(verify_answer(part, read), reading)
                if not shown:  # an answer given at once is streamed once it is verified whole
                    yield from sentences_of(answer)
                yield answer
            elif part.citations and _verbatim(part.citations, read):
                shown = True
                yield part

    def answered(reading: _Reading) -> Answer:
        *_, answer = told(reading)
        assert isinstance(answer, Answer)
        return answer

    return (
        RunnableLambda(read, name="read_question")
        | RunnableLambda(found, name="retrieve")
        | RunnableLambda(told, name="answer_and_verify")
    )


def _answer_stream(
    answerer: Answerer, question: str, passages: list[Passage]
) -> Iterable[Streamed]:
    """The answer as `answerer` gives it: sentence by sentence if it streams, else at once."""
    if isinstance(answerer, StreamingAnswerer):
        return answerer.stream(question, passages)
    return [answerer.answer(question, passages)]


def _as_read(answer: Answer, reading: _Reading) -> Answer:
    """The answer to the question as asked, its notice saying how a follow-up was read."""
    standalone = reading.standalone
    if standalone.text == reading.asked:
        return answer
    follows = standalone.follows
    read_as = (
        f"Read as a follow-up to “{follows.text}”." if follows else f"Read as: “{standalone.text}”."
    )
    notice = f"{answer.notice} {read_as}" if answer.notice else read_as
    return answer.model_copy(update={"question": reading.asked, "notice": notice})


def _in_scope(retriever: ArchiveRetriever, store: Store) -> list[Document]:
    """The records a question is asked of (for questions that name no one document)."""
    allowed = retriever.scope.resolve(store)
    return [
        r for r in store.catalogue.documents(with_text=False) if allowed is None or r.id in allowed
    ]


def verify_answer(answer: Answer, documents: Mapping[str, Document]) -> Answer:
    """The answer if every citation is its record's stored text at its offsets, else a refusal.

    An answer with a claim marker that has no citation, or with a quote that is not the source's
    text, becomes an abstention: nothing unverified is ever shown.
    """
    if answer.abstained:
        return answer
    if (
        _verbatim(answer.citations, documents)
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


def _verbatim(citations: list[Citation], documents: Mapping[str, Document]) -> bool:
    """Whether every citation's quote is its record's stored text at its offsets."""
    return all(
        (r := documents.get(c.document_id)) is not None and r.text[c.start : c.end] == c.quote
        for c in citations
    )
