"""Evaluation: score a question file (shared/eval schema) against the live answering chain.

A question counts as right when it is answerable and the answer has every required fact and a
citation overlapping a support passage, or when it is unanswerable and the answer abstains.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qa.answer import Answer
from qa.quotes import locate_quote
from vectorstore.errors import ArchiveQAError


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answerable: bool
    must: list[list[str]]
    support: list[str]


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


@dataclass
class Report:
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, float | int]:
        answerable = [v for v in self.verdicts if v.answerable]
        refusable = [v for v in self.verdicts if not v.answerable]
        times = sorted(v.seconds for v in self.verdicts)
        return {
            "questions": len(self.verdicts),
            "correct": sum(v.correct for v in self.verdicts),
            "answerable": len(answerable),
            "answered_with_facts_and_support": sum(v.correct for v in answerable),
            "unanswerable": len(refusable),
            "abstained_correctly": sum(v.correct for v in refusable),
            "verbatim_rate": (sum(v.verbatim for v in self.verdicts) / len(self.verdicts))
            if self.verdicts
            else 0.0,
            "median_seconds": times[len(times) // 2] if times else 0.0,
        }

    def to_json(self) -> str:
        return json.dumps(
            {"summary": self.summary, "questions": [asdict(v) for v in self.verdicts]}, indent=2
        )


def load_questions(path: Path) -> list[Question]:
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
                Question(
                    id=str(row["id"]),
                    question=str(row["question"]),
                    answerable=bool(row["answerable"]),
                    must=[list(group) for group in row.get("must", [])],
                    support=list(row.get("support", [])),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ArchiveQAError(
                f"{path}:{number}: not a question object ({exc}); "
                'expected {"id", "question", "answerable", "must", "support"}.'
            ) from exc
    return questions


def evaluate(
    questions: Iterable[Question],
    ask: Callable[[str], Answer],
    text_of: Callable[[str], str | None],
) -> Report:
    """Ask every question and judge the answer against its gold facts and support passages."""
    report = Report()
    for q in questions:
        started = time.perf_counter()
        answer = ask(q.question)
        seconds = time.perf_counter() - started
        report.verdicts.append(judge(q, answer, text_of, seconds))
    return report


def judge(
    q: Question, answer: Answer, text_of: Callable[[str], str | None], seconds: float
) -> Verdict:
    """The verdict on one answer."""
    lowered = answer.answer.lower()
    has_facts = all(any(alt.lower() in lowered for alt in group) for group in q.must)
    verbatim = True
    supported = False
    for c in answer.citations:
        text = text_of(c.document_id)
        if text is None or text[c.start : c.end] != c.quote:
            verbatim = False
            continue
        for passage in q.support:
            span = locate_quote(passage, text)
            if span is not None and span[0] < c.end and c.start < span[1]:
                supported = True
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
    )
