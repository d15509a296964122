"""The quality gate: the question sets, asked of a course pack, must not score below eval/gate.json.

A gate on answers, not on time: right answers, refusals, verbatim quotes and quote length.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.assembly import Archive
from qa.evaluation import evaluate, load_questions
from tests.conftest import EVAL, ROOT

GATE = json.loads((ROOT / "eval" / "gate.json").read_text())
QUESTION_SETS = {
    "dev_questions": EVAL / "dev_questions.jsonl",
    "telegram_paraphrases": ROOT / "eval" / "telegram_paraphrases.jsonl",
    "frus1951": ROOT / "eval" / "frus1951.jsonl",
    "frus1951_heldout": ROOT / "eval" / "frus1951_heldout.jsonl",
    "frus1951_heldout2": ROOT / "eval" / "frus1951_heldout2.jsonl",
    "telegram_heldout": ROOT / "eval" / "telegram_heldout.jsonl",
}


@pytest.mark.parametrize("name", sorted(QUESTION_SETS))
def test_question_set_scores_at_least_its_floor(course_pack: Archive, name: str) -> None:
    path: Path = QUESTION_SETS[name]
    report = evaluate(load_questions(path), course_pack.ask, course_pack.text_of)
    summary = report.summary
    floor = GATE[name]
    wrong = [f"{v.id}: {v.question}" for v in report.verdicts if not v.correct]
    assert summary["correct"] >= floor["correct"], f"{name} regressed; wrong now: {wrong}"
    assert summary["verbatim_rate"] >= floor["verbatim_rate"]
    assert summary["median_quote_chars"] <= floor["max_median_quote_chars"]
