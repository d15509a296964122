"""Sentence vectors made without embedding each candidate string at question time: does the
reader answer as well with them? (issue 26, item 1)

    .venv/bin/pip install -e '.[fit]'       # scikit-learn, as for bench/fit_reader.py
    .venv/bin/python bench/sentence_vectors.py [--variants A C ...] [--folds 5] [--out FILE]

The reader's two meaning features (qa.offline.reader.describe) are the question's similarity to
each candidate sentence, and to the sentence read after the sentences it points back to ("such a
demand"). They used to be the sentence embedded with its document's title in front, and the
lead-in and the sentence embedded together: at question time, most of an answer's time. This
reads every question of the fitted sets and eval/train as bench/fit_reader.py does (every
candidate read), then swaps those two features for others and cross-validates the reader by
document on each:

- A: as describe makes them (the title and the sentence embedded together, and the lead-in with
  the sentence);
- B1: the mean of the sentence's token states in its passage's forward pass ("late chunking");
- B2: that with the title's own token states (the title read alone) added, as the titled
  string has it;
- B3: B2 with the passage's [CLS] and [SEP] states too;
- C: composed from texts read alone: the sum of the token states of the title and of the
  sentence (and, led, of each sentence it points back to), normalised. Made at ingest, the
  sentences' sums would cost about one more pass over the passages' tokens;
- C0: C without the title.

Right answers of 2,079 (best strength) on 2026-12-04: A 1,194, B1 1,202, B2 1,191, B3 1,198;
in a second run on 2026-12-05: A 1,188, C 1,193, C0 1,196.
Differences under about ten are noise here. Each of B1, C and C0, refitted into the reader
(bench/fit_reader.py: C 1,195 cross-validated), answered "What did Stalin offer?" with "We
intend to reply ..." rather than the offers: under the shipped reader the offer of jet fighters
leads that sentence by 0.17 of a score of about 4, and the composed vectors move each similarity
by a few hundredths (0.473 -> 0.424 for the offer). None has shipped.

Lines of a record's `Document` section are in no passage and keep their exact vectors in the B
variants. Prints the right answers per variant and regularisation strength and writes them to
--out.
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
from vectorstore.encoders import DIMENSION, MiniLMEncoder, shared_encoder  # noqa: E402
from vectorstore.passages import Passage, split_document  # noqa: E402
from vectorstore.text import split_sentences  # noqa: E402

VARIANTS = ("B1", "B2", "B3", "C", "C0")


class Pooler:
    """Sums of token states over spans of a document, from its passages' forward passes."""

    def __init__(self, encoder: MiniLMEncoder) -> None:
        self._encoder = encoder
        self._passages: dict[str, list[Passage]] = {}
        self._states: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._titles: dict[str, np.ndarray] = {}
        self._alone: dict[str, np.ndarray] = {}

    def span(self, document: Document, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """The sum of the token states of the tokens within [start, end) of `document`, and the
        sum of the [CLS] and [SEP] states of the passages they are in (zeros when none is)."""
        total, ends = np.zeros(DIMENSION, dtype=np.float64), np.zeros(DIMENSION, dtype=np.float64)
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

    def alone(self, text: str) -> np.ndarray:
        """The sum of the token states of `text` read alone, [CLS] and [SEP] with them."""
        if text not in self._alone:
            self._alone[text] = self._encoder.token_states(text)[0].sum(axis=0)
        return self._alone[text]

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
    parser.add_argument("--variants", nargs="+", choices=["A", *VARIANTS], default=["A", *VARIANTS])
    args = parser.parse_args()
    sets = FITTED_SETS + TRAINING_SETS
    examples = read_examples(sets, fit_asking_fields(sets))
    encoder = shared_encoder("minilm")
    assert isinstance(encoder, MiniLMEncoder)
    pooler = Pooler(encoder)
    figures: dict[str, object] = {"questions": len(examples)}
    variants = {
        v: examples if v == "A" else [pooled(e, pooler, encoder, v) for e in examples]
        for v in args.variants
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
    if variant.startswith("C"):
        return _composed(c, pooler, titled=variant == "C", lead=lead)
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


def _composed(c: Candidate, pooler: Pooler, *, titled: bool, lead: bool) -> np.ndarray:
    """The candidate's vector composed from texts read alone (variants C and C0)."""
    document = c.passage.document
    if lead:
        texts = [*_lead_sentences(c), c.text]
    elif titled and document.title and not c.text.startswith(document.title[:20]):
        texts = [document.title, c.text]
    else:
        texts = [c.text]
    total = sum((pooler.alone(t) for t in texts), np.zeros(DIMENSION, dtype=np.float64))
    return total / np.linalg.norm(total)


def _lead_sentences(c: Candidate) -> list[str]:
    """The sentences the candidate points back to, each alone."""
    text = c.passage.document.text
    return [text[s:e] for s, e in _lead_spans(c)]


def _lead_start(c: Candidate) -> int:
    """Where the sentences the candidate points back to begin."""
    spans = _lead_spans(c)
    return spans[0][0] if spans else c.start


def _lead_spans(c: Candidate) -> list[tuple[int, int]]:
    """The two sentences before the candidate in its section (none for one that is no sentence
    of it: a field line)."""
    document = c.passage.document
    section = next(s for s in document.sections if s.name == c.passage.section)
    spans = [(s.start, s.end) for s in split_sentences(document.text, section.start, section.end)]
    i = next((k for k, (s, _) in enumerate(spans) if s == c.start), None)
    return [] if i is None else spans[max(0, i - 2) : i]


if __name__ == "__main__":
    main()
