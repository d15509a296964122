"""The evaluation report: each figure measured against the gold support passages."""

from __future__ import annotations

from qa.answer import Answer, Citation, abstention
from qa.evaluation import GoldQuestion, evaluate
from vectorstore.documents import Document, Section
from vectorstore.passages import Passage

TEXT = (
    "The English ask for an opinion. We consider the demand unacceptable. Communicate your views."
)


def _cite(n: int, quote: str, text: str = TEXT) -> Citation:
    start = text.index(quote)
    return Citation(
        n=n, document_id="doc", title="T", chunk_id="c", quote=quote, start=start,
        end=start + len(quote), citation=None, url=None,
    )  # fmt: skip


def _passage(start: int, end: int) -> Passage:
    document = Document("doc", "T", TEXT, (Section("Contents", 0, len(TEXT)),), "doc.txt")
    return Passage("doc:p", document, "Contents", start, end)


def _answer(question: str, *citations: Citation) -> Answer:
    text = " ".join(f"“{c.quote}” [{c.n}]" for c in citations)
    return Answer(
        question=question, answer=text, abstained=False, mode="extractive", notice=None,
        citations=list(citations),
    )  # fmt: skip


ANSWERABLE = GoldQuestion(
    id="a", question="What did they think?", answerable=True, must=[["unacceptable"]],
    support=["We consider the demand unacceptable", "Communicate your views"],
)  # fmt: skip
UNANSWERABLE = GoldQuestion(id="u", question="Borscht?", answerable=False, must=[], support=[])


def test_the_report_measures_citations_against_support_and_counts_refusals() -> None:
    answers = {
        ANSWERABLE.question: _answer(
            ANSWERABLE.question,
            _cite(1, "The English ask for an opinion."),
            _cite(2, "We consider the demand unacceptable."),
        ),
        UNANSWERABLE.question: abstention(UNANSWERABLE.question, "extractive", None),
    }
    report = evaluate(
        [ANSWERABLE, UNANSWERABLE],
        answers.__getitem__,
        lambda _: TEXT,
        retrieve=lambda _: [_passage(0, 31)],  # the first sentence only: no support retrieved
    )
    summary = report.summary
    assert summary["correct"] == 2
    assert summary["refusal_accuracy"] == 1.0
    assert summary["citation_precision"] == 0.5  # one of two citations is on support
    assert summary["citation_recall"] == 0.5  # one of two support passages is cited
    assert summary["retrieval_recall_at_k"] == 0.0
    assert summary["median_quote_chars"] == 33.5
    assert summary["verbatim_rate"] == 1.0


def test_a_quote_that_is_not_the_source_text_fails_the_question() -> None:
    forged = _cite(1, "We consider the demand unacceptable.").model_copy(
        update={"quote": "We consider the demand acceptable."}
    )
    report = evaluate([ANSWERABLE], lambda q: _answer(q, forged), lambda _: TEXT)
    (verdict,) = report.verdicts
    assert not verdict.verbatim and not verdict.correct


def test_an_answer_citing_a_short_field_is_judged_on_it() -> None:
    # A record's field can be shorter than any quote a model may make ("No. 175.]"); the gold
    # support is known to be in the record, so the judge finds it however short.
    text = "Berlin, May 26, 1861.\n\nNo. 175.]\n\nSir: I have the honor to report."
    question = GoldQuestion(
        id="f", question="What number did the legation give the dispatch?", answerable=True,
        must=[["175"]], support=["No. 175.]"],
    )  # fmt: skip
    cited = _cite(1, "No. 175.]", text)
    report = evaluate([question], lambda q: _answer(q, cited), lambda _: text)
    assert report.summary["correct"] == 1


def test_an_answer_quoting_the_same_words_elsewhere_in_the_record_is_judged_on_them() -> None:
    # The dateline is also the first line of the text: a quote of either is the support.
    text = (
        "Dateline: Washington, March 31, 1930—7 p.m.\n\nWashington, March 31, 1930—7 p.m.\n\nSir:"
    )
    question = GoldQuestion(
        id="t", question="At what hour was the telegram sent?", answerable=True,
        must=[["7 p.m."]], support=["Washington, March 31, 1930—7 p.m."],
    )  # fmt: skip
    second = text.rindex("Washington")
    cited = _cite(1, "Washington, March 31, 1930—7 p.m.", text)
    cited = cited.model_copy(update={"start": second, "end": second + len(cited.quote)})
    report = evaluate([question], lambda q: _answer(q, cited), lambda _: text)
    assert report.summary["correct"] == 1
