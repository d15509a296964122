"""The answering chain, the whole ask in four steps: read the question as it stands alone (with
the conversation and the documents it is asked of) -> a follow-up read offline is asked of the
sources of the answer before it -> retrieve its passages -> answer, checking every citation
against the stored text -> `Answer`.

Built from LangChain runnables, so it can be invoked, batched or piped like any other chain, and
the CLI, the API and the page all ask through it (`Archive.ask`). Each step is a function of its
own; the last checks every citation whichever answerer ran, and ends with the whole `Answer`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial

from langchain_core.runnables import Runnable, RunnableLambda

from qa.answer import (
    Answer,
    Answerer,
    Ask,
    Condenser,
    Scope,
    Standalone,
    Streamed,
    answer_parts,
    check_question,
    documents_in,
    final_answer,
    recent,
    sentences_of,
    with_notice,
)
from qa.citations import addressing_reader, verbatim, verify_answer
from qa.followups import WordCondenser
from qa.retrieval import ArchiveRetriever
from vectorstore.documents import Document
from vectorstore.passages import Passage
from vectorstore.store import Store


@dataclass(frozen=True)
class Inquiry:
    """A question on its way through the chain: as asked, and as it stands alone; once
    retrieved, the passages found for it."""

    asked: str
    question: Standalone
    passages: tuple[Passage, ...] = ()


def build_chain(
    retriever: ArchiveRetriever, answerer: Answerer, condenser: Condenser | None = None
) -> Runnable[Ask | str, Streamed]:
    """The whole ask, as one runnable: check the question, read a follow-up as the question it
    stands for (`condenser`), search the documents in scope, answer, verify every citation
    against the stored text, and say how a follow-up was read.

    `stream` gives each sentence of the answer once its citations are verified (as the model
    writes them, with a streaming answerer), then the whole `Answer`; `invoke` gives that last
    part, the `Answer`.
    """
    condenser = condenser or WordCondenser()
    answering = partial(answer_and_verify, answerer=answerer, store=retriever.store)
    return (
        RunnableLambda(partial(stand_alone, condenser=condenser), name="stand_alone")
        | RunnableLambda(
            partial(follow_sources, retriever=retriever, answering=answering),
            name="follow_sources",
        )
        | RunnableLambda(partial(retrieve, retriever=retriever), name="retrieve")
        | RunnableLambda(answering, name="answer_and_verify")
    )


def stand_alone(ask: Ask | str, *, condenser: Condenser) -> Inquiry:
    """The question checked and read as it stands alone, in the scope it is asked in."""
    ask = ask if isinstance(ask, Ask) else Ask(question=ask)
    asked = check_question(ask.question)
    history = recent(ask.history)
    question = condenser.condense(asked, history) if history else Standalone(asked)
    return Inquiry(asked, replace(question, scope=ask.scope))


def follow_sources(
    inquiry: Inquiry,
    *,
    retriever: ArchiveRetriever,
    answering: Callable[[Inquiry], Iterable[Streamed]],
) -> Inquiry:
    """A follow-up read offline is about the sources of the answer it follows: unless asked in
    a scope of its own, it is asked of the documents that answer cited. The conversation holds
    only the answer's words, so the earlier question is answered again (`answering`: the chain's
    last step) to find them."""
    question = inquiry.question
    if question.follows is None or question.scope is not None:
        return inquiry
    earlier = retrieve(Inquiry(question.follows.text, question.follows), retriever=retriever)
    cited = frozenset(c.document_id for c in final_answer(answering(earlier)).citations)
    if not cited:
        return inquiry
    return replace(inquiry, question=replace(question, scope=Scope(documents=cited)))


def retrieve(inquiry: Inquiry, *, retriever: ArchiveRetriever) -> Inquiry:
    """The inquiry with the passages found for its question, in its scope."""
    question = inquiry.question
    return replace(inquiry, passages=tuple(retriever.find(question.text, question.scope)))


def answer_and_verify(inquiry: Inquiry, *, answerer: Answerer, store: Store) -> Iterator[Streamed]:
    """The answer, a verified sentence at a time as the answerer gives them (an answer given at
    once is streamed once it is verified whole), then the whole `Answer`, verified: one quote
    that is not its document's stored text makes it a refusal."""
    passages = list(inquiry.passages)
    read = {p.document_id: p.document for p in passages}
    shown = False
    for part in answer_parts(answerer, inquiry.question, passages):
        if isinstance(part, Answer):
            cited = _with_cited(read, part, inquiry.question.scope, store)
            answer = _as_asked(verify_answer(part, cited), inquiry)
            if not shown:
                yield from sentences_of(answer)
            yield answer
            return
        if (
            part.citations
            and verbatim(part.citations, read)
            and not addressing_reader(part.citations, read)
        ):
            shown = True
            yield part


def _with_cited(
    read: dict[str, Document], answer: Answer, scope: Scope | None, store: Store
) -> dict[str, Document]:
    """The documents read, with any other document in scope that the answer cites (an answer
    about a document as a source cites its fields, wherever the passages came from); a
    citation of a document out of scope is left unverifiable."""
    cited = {c.document_id for c in answer.citations} - read.keys()
    allowed = documents_in(scope, store) if cited else None
    if allowed is not None:
        cited &= allowed
    return read | store.documents_by_id(cited) if cited else read


def _as_asked(answer: Answer, inquiry: Inquiry) -> Answer:
    """The answer to the question as asked, its notice saying how a follow-up was read."""
    question = inquiry.question
    if question.text == inquiry.asked:
        return answer
    follows = question.follows
    read_as = (
        f"Read as a follow-up to “{follows.text}”." if follows else f"Read as: “{question.text}”."
    )
    notice = with_notice(answer.notice, read_as)
    return answer.model_copy(update={"question": inquiry.asked, "notice": notice})
