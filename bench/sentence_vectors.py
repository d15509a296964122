"""Sentence vectors pooled out of their passage's forward pass ("late chunking"), against the
sentences embedded alone: does the reader answer as well with them? (issue 26, item 1)

    .venv/bin/pip install -e '.[fit]'       # scikit-learn, as for bench/fit_reader.py
    .venv/bin/python bench/sentence_vectors.py [--folds 5] [--out FILE]

The reader's two meaning features (qa.offline.reader.describe) are the question's similarity to
each candidate sentence embedded with its document's title in front, and to the sentence with the
sentences it points back to ("such a demand") in front. Embedding them costs most of an answer's
time, at question time. Made at ingest instead, they would cost ingest 3.6 times its time
(the candidate strings hold 2.6 times the passages' tokens); pooled out of the token states of
the passages' own forward pass they cost next to nothing. This reads every question of the
fitted sets and eval/train as bench/fit_reader.py does (every candidate read), then swaps those
two features for ones from pooled vectors and cross-validates the reader by document on each:

- A: the sentences embedded alone, as today;
- B1: the mean of the sentence's token states in its passage;
- B2: that with the title's own token states (the title read alone) added, as the titled
  string has it;
- B3: B2 with the passage's [CLS] and [SEP] states too.

Lines of a record's `Document` section are in no passage and keep their exact vectors. Prints the
right answers per variant and regularisation strength and writes them to --out.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fit_reader import (  # noqa: E402
    STRENGTHS,
    Example,
    cross_validate,
    fit_asking_fields,
    read_examples,
)
from bench.report import FITTED_SETS, TRAINING_SETS, bench_parser, write_figures  # noqa: E402
from qa.offline.sentences import Candidate  # noqa: E402
from vectorstore.documents import Document  # noqa: E402
from vectorstore.encoders import MiniLMEncoder, shared_encoder  # noqa: E402
from vectorstore.passages import Passage, split_document  # noqa: E402
from vectorstore.text import split_sentences  # noqa: E402

VARIANTS = ("B1", "B2", "B3")


class Pooler:
    """Sums of token states over spans of a document, from its passages' forward passes."""

    def __init__(self, encoder: MiniLMEncoder) -> None:
        self._encoder = encoder
        self._passages: dict[str, list[Passage]] = {}
        self._states: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._titles: dict[str, np.ndarray] = {}

    def span(self, document: Document, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """The sum of the token states of the tokens within [start, end) of `document`, and the
        sum of the [CLS] and [SEP] states of the passages they are in (zeros when none is)."""
        total, ends = np.zeros(384, dtype=np.float64), np.zeros(384, dtype=np.float64)
        for p in self._passages_of(document):
            if p.end <= start or p.start >= end:
                continue
            states, offsets, special = self._passage(p)
            inside = (
                (~special) & (offsets[:, 0] + p.start >= start) & (offsets[:, 1] + p.start <= end)
            )
            if inside.any():
                total += states[inside].sum(axis=0)
                ends += states[special].sum(axis=0)
        return total, ends

    def title(self, document: Document) -> np.ndarray:
        """The sum of the token states of the title, read alone, without [CLS] and [SEP]."""
        if document.id not in self._titles:
            states, _, special = self._encoder.token_states(document.title)
            self._titles[document.id] = states[~special].sum(axis=0)
        return self._titles[document.id]

    def _passages_of(self, document: Document) -> list[Passage]:
        if document.id not in self._passages:
            self._passages[document.id] = split_document(document)
        return self._passages[document.id]

    def _passage(self, passage: Passage) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if passage.id not in self._states:
            self._states[passage.id] = self._encoder.token_states(passage.text)
        return self._states[passage.id]


def main() -> None:
    parser = bench_parser(__doc__, "sentence_vectors")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    sets = FITTED_SETS + TRAINING_SETS
    examples = read_examples(sets, fit_asking_fields(sets))
    encoder = shared_encoder("minilm")
    assert isinstance(encoder, MiniLMEncoder)
    pooler = Pooler(encoder)
    figures: dict[str, object] = {"questions": len(examples)}
    variants = {"A": examples} | {
        v: [pooled(e, pooler, encoder, v) for e in examples] for v in VARIANTS
    }
    for name, chosen in variants.items():
        right = {str(c): cross_validate(chosen, c, args.folds) for c in STRENGTHS}
        figures[name] = {"cv_right": right, "best": max(right.values())}
        print(name, right, flush=True)
    write_figures(figures, args.out)


def pooled(example: Example, pooler: Pooler, encoder: MiniLMEncoder, variant: str) -> Example:
    """`example` with its two meaning features from vectors pooled as `variant` says."""
    evidence = example.evidence
    if not evidence.candidates:
        return example
    question = encoder.encode([evidence.question.text])[0]
    features = evidence.features.copy()
    for i, c in enumerate(evidence.candidates):
        titled = _vector(c, pooler, variant, lead=False)
        if titled is None:
            continue  # a line in no passage: its exact vector stays
        features[i, 0] = features[i, 1] = float(titled @ question)
        if c.lead_in:
            led = _vector(c, pooler, variant, lead=True)
            if led is not None:
                features[i, 1] = max(features[i, 0], float(led @ question))
    return replace(example, evidence=replace(evidence, features=features))


def _vector(c: Candidate, pooler: Pooler, variant: str, *, lead: bool) -> np.ndarray | None:
    document = c.passage.document
    start = _lead_start(c) if lead else c.start
    total, ends = pooler.span(document, start, c.end)
    if not total.any():
        return None
    titled = not lead and not c.text.startswith(document.title[:20]) and document.title
    if variant in ("B2", "B3") and titled:
        total = total + pooler.title(document)
    if variant == "B3":
        total = total + ends
    return total / np.linalg.norm(total)


def _lead_start(c: Candidate) -> int:
    """Where the sentences the candidate points back to begin (two before it in its section)."""
    document = c.passage.document
    section = next(s for s in document.sections if s.name == c.passage.section)
    spans = [(s.start, s.end) for s in split_sentences(document.text, section.start, section.end)]
    i = next((k for k, (s, _) in enumerate(spans) if s == c.start), None)
    return c.start if i is None else spans[max(0, i - 2)][0]


if __name__ == "__main__":
    main()
