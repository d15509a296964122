"""Evaluation: score a question file (shared/eval schema) against the live answering chain.

A question counts as right when it is answerable and the answer has every required fact and a
citation overlapping a support passage, or when it is unanswerable and the answer abstains.
Beside that verdict the report measures the parts: whether retrieval found a support passage
(recall@k), how many citations hit support (precision) and how much support was cited (recall),
quote lengths, and latency.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from qa.answer import Answer
from qa.citations import occurrences
from vectorstore.errors import ArchiveQAError
from vectorstore.passages import Passage


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    answerable: bool
    must: list[list[str]]
    support: list[str]
    documents: list[str] = field(default_factory=list)
    """Ids of the documents the question needs (informational)."""
    kind: str = ""
    """What it asks about, where its set says: "provenance", "field", "named" or "content"."""


@dataclass(frozen=True)
class Verdict:
    id: str
    question: str
    answerable: bool
    abstained: bool
    has_facts: bool
    supported: bool
    verbatim: bool
    correct: bool
    seconds: float
    answer: str
    retrieved_support: bool | None = None
    """Whether a retrieved passage overlapped a support passage (None: not measured)."""
    citations: int = 0
    citations_on_support: int = 0
    support_cited: int = 0
    quote_lengths: list[int] = field(default_factory=list)


@dataclass
class Report:
    verdicts: list[Verdict] = field(default_factory=list)
    questions: list[GoldQuestion] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, float | int | None]:
        answerable = [v for v in self.verdicts if v.answerable]
        refusable = [v for v in self.verdicts if not v.answerable]
        measured = [v.retrieved_support for v in answerable if v.retrieved_support is not None]
        cited = sum(v.citations for v in answerable)
        support = sum(len(q) for q in self._support_sizes(answerable))
        quotes = [n for v in self.verdicts for n in v.quote_lengths]
        times = [v.seconds for v in self.verdicts]
        return {
            "questions": len(self.verdicts),
            "correct": sum(v.correct for v in self.verdicts),
            "answerable": len(answerable),
            "answered_with_facts_and_support": sum(v.correct for v in answerable),
            "wrongly_refused": sum(v.abstained for v in answerable),
            "unanswerable": len(refusable),
            "abstained_correctly": sum(v.correct for v in refusable),
            "refusal_accuracy": _rate(
                sum(v.abstained == (not v.answerable) for v in self.verdicts), len(self.verdicts)
            ),
            "retrieval_recall_at_k": _rate(sum(measured), len(measured)) if measured else None,
            "citation_precision": _rate(sum(v.citations_on_support for v in answerable), cited),
            "citation_recall": _rate(sum(v.support_cited for v in answerable), support),
            "verbatim_rate": _rate(sum(v.verbatim for v in self.verdicts), len(self.verdicts)),
            "median_quote_chars": statistics.median(quotes) if quotes else 0,
            "median_seconds": round(statistics.median(times), 4) if times else 0.0,
            "max_seconds": round(max(times), 4) if times else 0.0,
        }

    def _support_sizes(self, verdicts: list[Verdict]) -> list[list[str]]:
        by_id = {q.id: q.support for q in self.questions}
        return [by_id.get(v.id, []) for v in verdicts]

    def to_json(self) -> str:
        return json.dumps(
            {"summary": self.summary, "questions": [asdict(v) for v in self.verdicts]}, indent=2
        )


def load_questions(path: Path) -> list[GoldQuestion]:
    """Read a JSONL question file; raise `ArchiveQAError` naming the bad line."""
    questions = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ArchiveQAError(f"cannot read question file {path}: {exc.strerror}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(
                GoldQuestion(
                    id=str(row["id"]),
                    question=str(row["question"]),
                    answerable=bool(row["answerable"]),
                    must=[list(group) for group in row.get("must", [])],
                    support=list(row.get("support", [])),
                    documents=list(row.get("documents", [])),
                    kind=str(row.get("kind") or ""),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ArchiveQAError(
                f"{path}:{number}: not a question object ({exc}); "
                'expected {"id", "question", "answerable", "must", "support"}.'
            ) from exc
    return questions


def evaluate(
    questions: Iterable[GoldQuestion],
    ask: Callable[[str], Answer],
    text_of: Callable[[str], str | None],
    retrieve: Callable[[str], list[Passage]] | None = None,
) -> Report:
    """Ask every question and judge the answer against its gold facts and support passages.

    With `retrieve`, also check whether retrieval alone found a support passage.
    """
    report = Report()
    for q in questions:
        report.questions.append(q)
        started = time.perf_counter()
        answer = ask(q.question)
        seconds = time.perf_counter() - started
        verdict = judge(q, answer, text_of, seconds)
        if retrieve is not None and q.answerable:
            found = any(
                _overlaps_support(q, text_of, p.document_id, p.start, p.end)
                for p in retrieve(q.question)
            )
            verdict = replace(verdict, retrieved_support=found)
        report.verdicts.append(verdict)
    return report


def _overlaps_support(
    q: GoldQuestion, text_of: Callable[[str], str | None], document_id: str, start: int, end: int
) -> bool:
    text = text_of(document_id)
    return text is not None and bool(supports_quoted(q, text, start, end))


def supports_quoted(q: GoldQuestion, text: str, start: int, end: int) -> list[str]:
    """The support passages of `q` that a quote of ``text[start:end]`` overlaps, wherever in
    the text they stand (a dateline and the text's first line are the same words). A support is
    known to be in its record and may be as short as a field ("No. 175.]")."""
    return [
        p
        for p in q.support
        if any(s < end and start < e for s, e in occurrences(p, text, shortest=1))
    ]


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def judge(
    q: GoldQuestion, answer: Answer, text_of: Callable[[str], str | None], seconds: float
) -> Verdict:
    """The verdict on one answer."""
    lowered = answer.answer.lower()
    has_facts = all(any(alt.lower() in lowered for alt in group) for group in q.must)
    verbatim = True
    on_support = 0
    hit: set[str] = set()
    for c in answer.citations:
        text = text_of(c.document_id)
        if text is None or text[c.start : c.end] != c.quote:
            verbatim = False
            continue
        hits = supports_quoted(q, text, c.start, c.end)
        on_support += bool(hits)
        hit.update(hits)
    supported = bool(hit)
    if q.answerable:
        correct = not answer.abstained and has_facts and supported and verbatim
    else:
        correct = answer.abstained
    return Verdict(
        id=q.id,
        question=q.question,
        answerable=q.answerable,
        abstained=answer.abstained,
        has_facts=has_facts,
        supported=supported,
        verbatim=verbatim,
        correct=correct,
        seconds=round(seconds, 4),
        answer=answer.answer,
        citations=len(answer.citations),
        citations_on_support=on_support,
        support_cited=len(hit),
        quote_lengths=[len(c.quote) for c in answer.citations],
    )
