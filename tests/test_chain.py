"""The chain's last step: whatever an answerer returns, an unverified quote is never shown."""

from __future__ import annotations

from qa.answer import Answer, Ask, Citation, Scope, Standalone, cite
from qa.assembly import Archive
from qa.chain import build_chain
from vectorstore.passages import Passage

TRUE_QUOTE = "We consider such a demand by the English to be impertinent and unacceptable."


class ScriptedAnswerer:
    """An answerer that cites whatever it was told to, at the offsets it was told to."""

    mode = "llm"

    def __init__(self, quote: str, shift: int = 0, text: str = "The Soviets refused. [1]") -> None:
        self.quote, self.shift, self.text = quote, shift, text

    def answer(
        self, question: Standalone, passages: list[Passage], notice: str | None = None
    ) -> Answer:
        document = next(p.document for p in passages if self.quote in p.document.text)
        start = document.text.index(self.quote) + self.shift
        citation = Citation(
            n=1, document_id=document.id, title=document.title, chunk_id="x", quote=self.quote,
            start=start, end=start + len(self.quote), citation=document.citation, url=document.url,
        )  # fmt: skip
        return Answer(
            question=question.text,
            answer=self.text,
            abstained=False,
            mode="llm",
            citations=[citation],
        )


def _ask(archive: Archive, answerer: ScriptedAnswerer) -> Answer:
    return build_chain(archive.retriever, answerer).invoke("What did the Soviets think?")


def test_a_quote_at_its_true_offsets_is_shown(archive: Archive) -> None:
    answer = _ask(archive, ScriptedAnswerer(TRUE_QUOTE))
    assert not answer.abstained
    assert answer.citations[0].quote == TRUE_QUOTE


def test_a_quote_at_wrong_offsets_turns_the_answer_into_a_refusal(archive: Archive) -> None:
    answer = _ask(archive, ScriptedAnswerer(TRUE_QUOTE, shift=3))
    assert answer.abstained
    assert answer.citations == []
    assert "could not be verified" in answer.answer


def test_a_citation_of_a_document_outside_the_questions_scope_is_not_verified(
    archive: Archive,
) -> None:
    telegram = archive.store.document("document-110692")
    assert telegram is not None

    class CitingTheTelegram(ScriptedAnswerer):
        def answer(
            self, question: Standalone, passages: list[Passage], notice: str | None = None
        ) -> Answer:
            start = telegram.text.index(TRUE_QUOTE)
            cited = cite(telegram, start, start + len(TRUE_QUOTE))
            return Answer(
                question=question.text, answer="They refused. [1]", abstained=False,
                mode="llm", citations=[cited],
            )  # fmt: skip

    chain = build_chain(archive.retriever, CitingTheTelegram(TRUE_QUOTE))
    assert not chain.invoke(Ask(question="What did the Soviets think?")).abstained
    outside = Ask(
        question="What did the Soviets think?", scope=Scope(documents=frozenset({"elsewhere"}))
    )
    refused = chain.invoke(outside)
    assert refused.abstained and "could not be verified" in refused.answer


def test_a_claim_marker_without_a_citation_turns_the_answer_into_a_refusal(
    archive: Archive,
) -> None:
    answer = _ask(archive, ScriptedAnswerer(TRUE_QUOTE, text="They refused [1] and left [2]."))
    assert answer.abstained


def test_a_users_lcel_pipe_over_the_chain_gets_the_same_answer_as_asking(
    archive: Archive,
) -> None:
    from langchain_core.runnables import RunnableLambda

    from qa.answer import Turn

    history = (Turn(role="user", content="Who would train the Chinese pilots?"),)
    follow_up = Ask(question="And how long would that take?", history=history)
    piped = RunnableLambda(lambda ask: ask) | archive.chain | RunnableLambda(lambda a: a.answer)
    expected = archive.ask(follow_up.question, history=history)
    assert piped.invoke(follow_up) == expected.answer
    assert "two to three months" in expected.answer and "Read as" in (expected.notice or "")
    assert archive.chain is archive.chain  # built once
    assert archive.chain.invoke("Who is Filippov?").citations  # a plain question pipes too


def test_a_langchain_user_can_search_the_passages_through_langchain_chroma(
    archive: Archive,
) -> None:
    vectorstore = archive.store.search.vectorstore
    found = vectorstore.as_retriever(search_kwargs={"k": 2}).invoke("jet fighter aircraft")
    telegram = archive.library.document("document-110692")
    assert telegram is not None and len(found) == 2
    assert "jet fighter planes—124 pieces" in " ".join(d.page_content for d in found)
    for document in found:  # the same passages, at the offsets archive-qa cites them by
        start, end = document.metadata["start"], document.metadata["end"]
        assert telegram.text[start:end] == document.page_content
