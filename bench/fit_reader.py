"""Fit the reader (qa/offline/reader.json) on our question sets; report its accuracy,
cross-validated.

    .venv/bin/pip install -e '.[fit]'       # scikit-learn, for fitting only
    .venv/bin/python bench/fit_reader.py [--sets SET ...] [--validate SET ...]
                                         [--folds 5] [--no-write] [--show-wrong]

Builds the eval corpus (the telegram and eval/corpus) and the training records (eval/corpus-train)
in a temporary store, fits a model of whether a question asks about a record's field, reads every
question of the sets (the tuned sets and eval/train; no frozen set after frozen1) against its
retrieved passages (qa.offline.extractive, every candidate read), and labels each candidate
sentence by whether it overlaps a support passage (wherever in the record the words stand). It
fits two logistic regressions on the features of qa.offline.reader: a ranker on pairs of a right
and a wrong sentence of one question, and a model of whether the best-ranked sentence answers at
all. The refusal threshold and the margin within which further sentences join an answer
are then swept over the same questions, judged as `archive-qa eval` judges them (the required facts
and a citation on a support passage, or a refusal for an unanswerable one). Questions about a
document as a source are answered from its fields (qa.sourcing.provenance), not here.

The honest estimate is cross-validated by document: questions about one record (all questions
about the telegram are one group) are never both fitted on and scored, and the regularisation
strength is the one that does best there. Prints the figures, writes them to --out and the
model, with them in its "fitted" record, to qa/offline/reader.json (--no-write: report only).
"""

from __future__ import annotations

import datetime
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import (  # noqa: E402
    FITTED_SETS,
    TRAINING_CORPUS,
    TRAINING_SETS,
    bench_parser,
    eval_corpus_files,
    write_figures,
)
from qa.answer import as_claim  # noqa: E402
from qa.assembly import BUNDLED_DOCUMENT_ID  # noqa: E402
from qa.evaluation import GoldQuestion, load_questions, supports_quoted  # noqa: E402
from qa.offline.extractive import Evidence, ExtractiveAnswerer, choose  # noqa: E402
from qa.offline.reader import FEATURES, Reader  # noqa: E402
from qa.sourcing.provenance import read_provenance  # noqa: E402

TELEGRAM = BUNDLED_DOCUMENT_ID
STRENGTHS = (0.1, 0.3, 1.0, 3.0)
THRESHOLDS = tuple(round(float(t), 2) for t in np.arange(0.02, 0.9, 0.02))
KEEP_WITHIN = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


@dataclass(frozen=True)
class Example:
    """A question read against its passages, with what each candidate would bring an answer."""

    question: GoldQuestion
    evidence: Evidence
    on_support: np.ndarray
    """Per candidate: its quote overlaps a support passage."""
    facts: list[frozenset[int]]
    """Per candidate: the required facts (indices of `must` groups) its quote states."""
    group: str
    """The document the question is about: cross-validation folds never split one."""

    def right(self, picked: Sequence[int]) -> bool:
        """Whether an answer quoting these candidates (none: a refusal) would be judged right."""
        if not self.question.answerable:
            return not picked
        stated = frozenset().union(*(self.facts[i] for i in picked))
        return (
            bool(picked)
            and len(stated) == len(self.question.must)
            and any(self.on_support[i] for i in picked)
        )


def main() -> None:
    parser = bench_parser(__doc__, "fit_reader")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--show-wrong", action="store_true", help="print what the cross-validated model got wrong"
    )
    parser.add_argument(
        "--validate", nargs="*", type=Path, default=[],
        help="also score the fitted model on these sets (never fitted on)",
    )  # fmt: skip
    parser.add_argument(
        "--sets", nargs="+", type=Path, default=FITTED_SETS + TRAINING_SETS,
        help="fit on these sets (default: the tuned sets and eval/train; no later frozen set)",
    )  # fmt: skip
    parser.add_argument(
        "--curve", nargs="*", type=int, default=[200, 500, 1000],
        help="learning curve: cross-validated right answers when fitted on this many questions",
    )  # fmt: skip
    args = parser.parse_args()

    asking_fields = fit_asking_fields(args.sets)
    examples = read_examples(args.sets, asking_fields)
    figures: dict[str, object] = {
        "questions": len(examples),
        "candidates": sum(len(e.on_support) for e in examples),
        "positives": int(sum(e.on_support.sum() for e in examples)),
        "groups": len({e.group for e in examples}),
    }
    scores = {c: cross_validate(examples, c, args.folds) for c in STRENGTHS}
    if args.show_wrong:
        cross_validate(examples, max(STRENGTHS, key=lambda c: scores[c]), args.folds, show=True)
    figures.update({f"cv_right_C{c}": right for c, right in scores.items()})
    strength = max(STRENGTHS, key=lambda c: scores[c])
    model, right = tune(examples, train(examples, strength))
    model = replace(
        model,
        related_above=closeness_of_answers(examples),
        field_direction=asking_fields.field_direction,
        field_bias=asking_fields.field_bias,
    )
    figures["learning_curve"] = {
        str(n): learning_curve(examples, strength, args.folds, n) for n in args.curve
    }
    figures.update(
        {
            "C": strength,
            "cv_right": scores[strength],
            "cv_accuracy": round(scores[strength] / len(examples), 4),
            "fitted_right": right,
            "abstain_below": model.abstain_below,
            "keep_within": model.keep_within,
            "date": datetime.date.today().isoformat(),
            "sets": [p.name for p in args.sets],
        }
    )
    for path in args.validate:
        held = read_examples([path], asking_fields)
        answerable = [e for e in held if e.question.answerable]
        figures[f"validate_{path.stem}"] = {
            "right": score(held, model),
            "of": len(held),
            "answerable_right": score(answerable, model),
            "answerable": len(answerable),
            "refused_right": score([e for e in held if not e.question.answerable], model),
        }
    model = replace(model, fitted=dict(figures))
    for name, weight in sorted(zip(FEATURES, model.ranking, strict=True), key=lambda x: -abs(x[1])):
        print(f"{weight:+.3f}  {name}")
    if not args.no_write:
        (ROOT / "qa/offline/reader.json").write_text(model.to_json() + "\n")
    write_figures(figures, args.out)


def fit_asking_fields(sets: Sequence[Path]) -> Reader:
    """A reader that knows only whether a question asks about a field of its record: a logistic
    regression over the questions' vectors, fitted on the sets' questions of kind "field"
    against all others (the earlier sets, which have no kinds, ask about no field)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold, cross_val_predict

    from vectorstore.encoders import shared_encoder

    questions = [q for path in sets for q in load_questions(path)]
    vectors = shared_encoder().encode([q.question for q in questions])
    labels = np.array([q.kind == "field" for q in questions])
    groups = [q.documents[0] if q.documents else TELEGRAM for q in questions]

    def separation(strength: float) -> float:  # cross-validated by document
        chances = cross_val_predict(
            LogisticRegression(C=strength, max_iter=5000), vectors, labels,
            cv=GroupKFold(n_splits=5), groups=groups, method="predict_proba",
        )  # fmt: skip
        return float(roc_auc_score(labels, chances[:, 1]))

    strength = max((1.0, 10.0, 100.0), key=separation)
    model = LogisticRegression(C=strength, max_iter=5000).fit(vectors, labels)
    zeros = np.zeros(len(FEATURES))
    return Reader(
        zeros, zeros + 1, zeros, np.zeros(len(FEATURES) + 2), 0, 0, 0, {},
        field_direction=model.coef_[0], field_bias=float(model.intercept_[0]),
    )  # fmt: skip


def read_examples(sets: Sequence[Path], asking_fields: Reader) -> list[Example]:
    """Every question of `sets` that the reader answers (not the provenance ones), read in the
    eval corpus (`asking_fields`: the reader whose model of field questions to read them with)."""
    from qa.assembly import open_archive
    from qa.settings import Settings
    from vectorstore.documents import load_document
    from vectorstore.encoders import RememberingEncoder, shared_encoder

    answerer = ExtractiveAnswerer(
        RememberingEncoder(shared_encoder()), asking_fields, read_closely=None
    )
    examples = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, archive_qa_data_dir=Path(tmp))  # type: ignore[call-arg]
        archive = open_archive(settings)
        for path in [*eval_corpus_files(), *sorted(TRAINING_CORPUS.glob("*.txt"))]:
            archive.store.ingest(load_document(path))
        for path in sets:
            about_telegram = "telegram" in path.name or path.name.startswith("dev")
            for q in load_questions(path):
                if read_provenance(q.question) is not None:
                    continue  # answered from the document's fields, not by the reader
                evidence = answerer.weigh(q.question, archive.retrieve(q.question))
                group = q.documents[0] if q.documents else TELEGRAM if about_telegram else q.id
                examples.append(_example(q, evidence, group))
    return examples


def _example(q: GoldQuestion, evidence: Evidence, group: str) -> Example:
    on_support, facts = [], []
    for c in evidence.candidates:
        start, end = c.quoted
        text = c.passage.document.text
        on_support.append(bool(supports_quoted(q, text, start, end)))
        claim = as_claim(text[start:end]).lower()
        facts.append(
            frozenset(i for i, alts in enumerate(q.must) if any(a.lower() in claim for a in alts))
        )
    return Example(q, evidence, np.array(on_support, dtype=bool), facts, group)


def train(examples: Sequence[Example], strength: float) -> Reader:
    """The ranker, fitted on pairs of a right and a wrong sentence of the same question, and the
    model of whether the best-ranked sentence answers at all; thresholds still to be tuned."""
    from sklearn.linear_model import LogisticRegression

    features = np.vstack([e.evidence.features for e in examples if len(e.on_support)])
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    pairs = []
    for e in examples:
        z = (e.evidence.features - mean) / scale
        right, wrong = z[e.on_support], z[~e.on_support]
        pairs.extend(r - w for r in right for w in wrong)
    differences = np.asarray(pairs)
    ranker = LogisticRegression(C=strength, fit_intercept=False, max_iter=5000).fit(
        np.vstack([differences, -differences]),
        np.concatenate([np.ones(len(pairs)), np.zeros(len(pairs))]),
    )
    model = Reader(mean, scale, ranker.coef_[0], np.zeros(len(FEATURES) + 2), 0.0, 0.0, 0.0, {})
    rows, labels = [], []
    for e in examples:
        if not len(e.on_support):
            continue
        scores = model.scores(e.evidence.features)
        order = np.argsort(-scores, kind="stable")
        lead = scores[order[0]] - scores[order[1]] if len(order) > 1 else 1.0
        rows.append(
            np.concatenate(
                [model.standardise(e.evidence.features[order[0]]), [scores[order[0]], lead]]
            )
        )
        labels.append(bool(e.on_support[order[0]]))
    answerable = LogisticRegression(C=strength, max_iter=5000).fit(np.asarray(rows), labels)
    return replace(
        model, answerable=answerable.coef_[0], answerable_bias=float(answerable.intercept_[0])
    )


def score(examples: Sequence[Example], model: Reader) -> int:
    """How many of `examples` `model` answers right."""
    return sum(e.right(_picked(e, model)) for e in examples)


def _picked(example: Example, model: Reader) -> list[int]:
    if example.evidence.missing and example.evidence.candidates:
        return []  # a name that no document mentions
    return choose(example.evidence, model)


def tune(examples: Sequence[Example], model: Reader) -> tuple[Reader, int]:
    """The thresholds that answer the most of `examples` right (a wrong refusal and a wrong
    answer count alike). Among ties the fewest further sentences (the shortest answers), then
    the middle of the run of refusal thresholds."""
    results = [
        (score(examples, replace(model, abstain_below=t, keep_within=k)), t, k)
        for t in THRESHOLDS
        for k in KEEP_WITHIN
    ]
    top = max(r[0] for r in results)
    keep = min(r[2] for r in results if r[0] == top)
    ties = [r for r in results if r[0] == top and r[2] == keep]
    _, threshold, _ = ties[len(ties) // 2]
    return replace(model, abstain_below=threshold, keep_within=keep), top


def closeness_of_answers(examples: Sequence[Example]) -> float:
    """How close in meaning to its question a sentence that answers it is, at the least, for
    three answers in four: a refusal shows sentences as close as that as related passages."""
    closest = [
        float(e.evidence.features[e.on_support, 0].max())
        for e in examples
        if e.question.answerable and e.on_support.any()
    ]
    return round(float(np.quantile(closest, 0.25)), 3)


def learning_curve(examples: Sequence[Example], strength: float, folds: int, size: int) -> float:
    """The share of questions answered right, cross-validated by document, when each fold's
    model is fitted on `size` questions drawn from the other folds (all of them if fewer)."""
    from sklearn.model_selection import GroupKFold

    rng = np.random.default_rng(0)
    right = 0
    for fit_on, held_out in GroupKFold(n_splits=folds).split(
        examples, groups=[e.group for e in examples]
    ):
        drawn = rng.permutation(fit_on)[:size]
        fitted = [examples[i] for i in drawn]
        model, _ = tune(fitted, train(fitted, strength))
        right += score([examples[i] for i in held_out], model)
    return round(right / len(examples), 4)


def cross_validate(
    examples: Sequence[Example], strength: float, folds: int, *, show: bool = False
) -> int:
    """Questions answered right when each document's questions are scored by a model fitted
    (and tuned) without them."""
    from sklearn.model_selection import GroupKFold

    right = 0
    for fit_on, held_out in GroupKFold(n_splits=folds).split(
        examples, groups=[e.group for e in examples]
    ):
        model, _ = tune(
            [examples[i] for i in fit_on], train([examples[i] for i in fit_on], strength)
        )
        right += score([examples[i] for i in held_out], model)
        if show:
            for i in held_out:
                _show(examples[i], model)
    return right


def _show(example: Example, model: Reader) -> None:
    """Print a question the model gets wrong: what it chose, and where the right sentence was."""
    picked = _picked(example, model)
    if example.right(picked):
        return
    chances = model.scores(example.evidence.features)
    order = list(np.argsort(-chances))
    gold = [order.index(i) + 1 for i in np.flatnonzero(example.on_support)]
    chance = model.chance(example.evidence.features, chances) if len(order) else 0.0
    print(f"WRONG {example.question.id} {example.question.question}")
    print(f"  threshold {model.abstain_below} chance {chance:.2f}; right sentence ranks {gold}")
    for i in order[:3]:
        c = example.evidence.candidates[i]
        mark = "*" if example.on_support[i] else " "
        print(f"  {mark} {chances[i]:.2f} {c.passage.document.id}: {c.text[:110]}")


if __name__ == "__main__":
    main()
