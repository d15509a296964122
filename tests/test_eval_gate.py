"""The quality gate: the question sets, asked of the eval corpus, must not score below
eval/gate.json.

A gate on answers, not on time: right answers, refusals, verbatim quotes and quote length. The
frozen set that nothing was fitted or tuned on (eval/frozen2.jsonl) is scored too, without a
floor: its figures are printed at the end of the run (and kept in test-artifacts/eval/), as the
honest estimate of how new questions fare.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.assembly import Archive
from qa.evaluation import Report, evaluate, load_questions
from tests.conftest import EVAL, ROOT

GATE = json.loads((EVAL / "gate.json").read_text())
QUESTION_SETS = {
    name: EVAL / f"{name}.jsonl"
    for name in (
        "dev_questions",
        "telegram_paraphrases",
        "frus1951",
        "frus1951_heldout",
        "frus1951_heldout2",
        "telegram_heldout",
        "frozen1",
    )
}
UNTOUCHED = EVAL / "frozen2.jsonl"
REPORTS = ROOT / "test-artifacts" / "eval"


def _ask(archive: Archive, path: Path) -> Report:
    return evaluate(load_questions(path), archive.ask, archive.text_of)


@pytest.mark.parametrize("name", sorted(QUESTION_SETS))
def test_question_set_scores_at_least_its_floor(eval_archive: Archive, name: str) -> None:
    report = _ask(eval_archive, QUESTION_SETS[name])
    summary = report.summary
    floor = GATE[name]
    wrong = [f"{v.id}: {v.question}" for v in report.verdicts if not v.correct]
    assert summary["correct"] >= floor["correct"], f"{name} regressed; wrong now: {wrong}"
    assert summary["verbatim_rate"] >= floor["verbatim_rate"]
    assert summary["median_quote_chars"] <= floor["max_median_quote_chars"]


def test_the_untouched_frozen_set_is_scored_and_reported(eval_archive: Archive) -> None:
    report = _ask(eval_archive, UNTOUCHED)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{UNTOUCHED.stem}.json").write_text(report.to_json())
    # No floor: only what must hold whatever the score.
    assert report.summary["verbatim_rate"] == 1.0
    assert report.summary["questions"] == len(load_questions(UNTOUCHED))
