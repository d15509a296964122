"""The reader: which candidate sentence answers a question, and whether any does: fitted models.

Each candidate is described by fourteen numbers a reader would weigh (how close its meaning is
to the question's, which of the question's words it has and which are only around it, whether it
holds the kind of fact asked for, where the question's names are, whether it is a labelled line of
the record and the question names its label, whether it speaks for the one asked about or is
addressed to them) and two logistic regressions fitted on our question sets rank the candidates
and judge the best one. The weights, the refusal threshold and the margin for further sentences
ship in `reader.json`; `bench/fit_reader.py` refits them and reports the accuracy cross-validated
by document.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import numpy as np

from qa.offline.sentences import Candidate
from qa.questions import Question
from qa.words import related
from vectorstore.encoders import Encoder
from vectorstore.text import terms

# What the reader weighs. Chosen by cross-validation by document over the tuned sets and the
# first frozen set (bench/fit_reader.py): each of these earns its place, and none of the 18 others
# tried (ranks, sections, lengths, the focus word alone, a document's whole vocabulary, e5
# similarities ...) raised the cross-validated score.
FEATURES = (
    "meaning",  # cosine of the question and "title: sentence"
    "meaning_lead_in",  # the better of that and the sentence read with its lead-in
    "passage",  # cosine of the question and the retrieved passage holding the sentence
    "words",  # share of the question's words in the sentence, rare words weighing more and
    # related words ("offer": "ready") half
    "words_around",  # share of them only around it: its neighbours, paragraph, document title
    "content_near",  # share of the question's words other than its names in the sentence or
    # its neighbours
    "kind_found",  # the question asks for a kind of fact (a number, a date ...) and it holds one
    "names_near",  # share of the question's names in it, around it or in the paragraph before
    "field",  # it is a labelled or standing line of the record (a dateline, a file, a signature)
    "label_asked",  # it is a field whose label the question names ("copies", "files")
    "field_asked",  # it is a field, times the chance that the question asks about a field
    "found_early",  # 1 / (1 + how many documents the search found before the sentence's own)
    "voice",  # +1 when it speaks in the first person for the one the question asks about (the
    # document's author), -1 when it speaks for someone else ("we" in Filippov's telegram, asked
    # what Zhou Enlai answered), 0 when it is not in the first person or no one is asked about
    "addressed",  # the one the question asks about is whom its document is addressed to, not who
    # wrote it: their reply is seldom in it ("What did Zhou Enlai answer to Filippov?")
)


@dataclass(frozen=True)
class Reader:
    """Two fitted logistic regressions and the two numbers chosen with them.

    The ranker orders a question's candidates (it was fitted on pairs of a right and a wrong
    sentence of the same question, so it learns what makes one sentence a better answer than
    another, not how easy a question is). The second model gives the chance that the best
    sentence answers the question at all, from its features, its score and its lead over the
    runner-up: below `abstain_below` the answer is a refusal.
    """

    mean: np.ndarray
    scale: np.ndarray
    """Standardisation of the features (their mean and spread in the training data)."""
    ranking: np.ndarray
    answerable: np.ndarray
    """Weights over the best candidate's standardised features, its score and its lead."""
    answerable_bias: float
    abstain_below: float
    """Below this chance the best sentence is no answer: swept on the training questions."""
    keep_within: float
    """Further sentences join the answer when they score at most this much below the best."""
    fitted: dict[str, Any]
    related_above: float = 1.0
    """A refusal shows sentences at least this close in meaning to the question as related
    passages: the cosine that most sentences which do answer a question reach."""
    field_direction: np.ndarray | None = None
    field_bias: float = 0.0
    """A logistic model over the question's vector: does it ask about one of a record's fields
    (a number, a time of receipt, a file, a marking) rather than what the document says?"""

    def asks_field(self, question: np.ndarray) -> float:
        """The chance that the question with this vector asks about a field of its record."""
        if self.field_direction is None:
            return 0.0
        logit = float(question @ self.field_direction) + self.field_bias
        return 1.0 / (1.0 + math.exp(-logit))

    def scores(self, features: np.ndarray) -> np.ndarray:
        """The ranking score of each candidate (higher: a better answer)."""
        return np.asarray(self.standardise(features) @ self.ranking)

    def standardise(self, features: np.ndarray) -> np.ndarray:
        return np.asarray((features - self.mean) / self.scale)

    def chance(self, features: np.ndarray, scores: np.ndarray) -> float:
        """The chance that the best-scoring candidate answers the question."""
        order = np.argsort(-scores, kind="stable")
        lead = scores[order[0]] - scores[order[1]] if len(order) > 1 else _LONE_LEAD
        best = np.concatenate([self.standardise(features[order[0]]), [scores[order[0]], lead]])
        return float(1.0 / (1.0 + np.exp(-(best @ self.answerable + self.answerable_bias))))

    def to_json(self) -> str:
        def rounded(values: np.ndarray) -> list[float]:
            return [round(float(v), 6) for v in values]

        return json.dumps(
            {
                "features": list(FEATURES),
                "mean": rounded(self.mean),
                "scale": rounded(self.scale),
                "ranking": rounded(self.ranking),
                "answerable": rounded(self.answerable),
                "answerable_bias": round(self.answerable_bias, 6),
                "abstain_below": self.abstain_below,
                "keep_within": self.keep_within,
                "related_above": self.related_above,
                "field_bias": round(self.field_bias, 6),
                "field_direction": rounded(self.field_direction)
                if self.field_direction is not None
                else None,
                "fitted": self.fitted,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> Reader:
        data = json.loads(text)
        if list(data["features"]) != list(FEATURES):
            raise ValueError("reader.json was fitted on other features: run bench/fit_reader.py")

        def array(key: str) -> np.ndarray:
            return np.asarray(data[key], dtype=np.float64)

        return cls(
            mean=array("mean"), scale=array("scale"), ranking=array("ranking"),
            answerable=array("answerable"), answerable_bias=float(data["answerable_bias"]),
            abstain_below=float(data["abstain_below"]), keep_within=float(data["keep_within"]),
            fitted=dict(data.get("fitted", {})), related_above=float(data["related_above"]),
            field_direction=array("field_direction"), field_bias=float(data["field_bias"]),
        )  # fmt: skip


# A lone candidate leads no runner-up; it counts as leading by this much (a typical clear lead).
_LONE_LEAD = 1.0


def shipped_reader() -> Reader:
    """The model fitted by bench/fit_reader.py and shipped with the package."""
    return Reader.from_json((files("qa.offline") / "reader.json").read_text())


def describe(
    encoder: Encoder, question: Question, candidates: list[Candidate], asks_field: float = 0.0
) -> np.ndarray:
    """The feature matrix: one row per candidate, one column per name in `FEATURES`
    (`asks_field`: the reader's chance that the question asks about a field)."""
    n = len(candidates)
    if n == 0:
        return np.zeros((0, len(FEATURES)))
    titled = [_in_context(c.passage.document.title, c.text) for c in candidates]
    led = [f"{c.lead_in} {c.text}" for c in candidates if c.lead_in]
    vectors = encoder.encode([question.text, *titled, *led])
    similarity = np.asarray(vectors[1:] @ vectors[0], dtype=np.float64)
    rows = _word_features(question, candidates, asks_field)
    rows[:, 0] = rows[:, 1] = similarity[:n]
    with_lead = [i for i, c in enumerate(candidates) if c.lead_in]
    rows[with_lead, 1] = np.maximum(similarity[with_lead], similarity[n:])
    return rows


def shortlist(
    model: Reader,
    question: Question,
    candidates: list[Candidate],
    size: int,
    asks_field: float = 0.0,
) -> list[Candidate]:
    """The `size` candidates the ranker puts first on everything but meaning, in their order:
    the ones worth reading closely. Meaning costs an embedding a sentence, most of the time a
    question takes; the rest costs next to nothing."""
    if len(candidates) <= size:
        return candidates
    cheap = slice(_MEANINGS, None)
    scores = (
        model.standardise(_word_features(question, candidates, asks_field))[:, cheap]
        @ model.ranking[cheap]
    )
    best = np.argsort(-scores, kind="stable")[:size]
    return [candidates[i] for i in sorted(best)]


# The features that take an embedding: the first two.
_MEANINGS = 2


def _word_features(
    question: Question, candidates: list[Candidate], asks_field: float
) -> np.ndarray:
    """The feature matrix with the meaning columns left at zero."""
    words, around = _word_overlap(question, candidates)
    names = [name.stems for name in question.names]
    in_names = frozenset().union(*names)
    asked = [t for t in dict.fromkeys(question.terms) if t not in in_names]
    actor = next((name.stems for name in question.names if not name.text.isdigit()), None)
    rows = [
        [
            0.0,
            0.0,
            c.passage.score,
            words[i],
            around[i],
            _coverage(asked, c.own | c.context),
            float(question.expects is not None and question.is_answered_by_kind(c.text)),
            _share(names, c.own | c.context | c.recent),
            float(c.field),
            float(not c.label.isdisjoint(asked)),
            float(c.field) * asks_field,
            1.0 / (1.0 + c.found),
            _voice(actor, c, _parties(c.passage.document.title)[0]),
            _addressed(actor, *_parties(c.passage.document.title)),
        ]
        for i, c in enumerate(candidates)
    ]
    return np.asarray(rows, dtype=np.float64).reshape(len(candidates), len(FEATURES))


# Speaking for oneself: "we are ready", "our pilots", "I am instructed".
_FIRST_PERSON = re.compile(r"\b(?:[Ww]e|[Oo]ur|[Uu]s|I|[Mm]y|[Mm]e)\b")


@lru_cache(maxsize=4096)  # titles recur across questions; a library has thousands
def _parties(title: str) -> tuple[frozenset[str], frozenset[str]]:
    """The words of a document's sender and of its addressee, as its title gives them ("X to
    Y"); none for a title without " to "."""
    author, to, addressee = title.partition(" to ")
    if not to:
        return frozenset(), frozenset()
    return frozenset(terms(author)), frozenset(terms(addressee))


def _voice(actor: frozenset[str] | None, candidate: Candidate, author: frozenset[str]) -> float:
    """Whether the sentence speaks in the first person for `actor` (+1), for someone else (-1),
    or neither (0). Who says "we" in a document is its author, as its title gives them ("X to
    Y"); a document without one says nothing here."""
    if actor is None or not author or not _FIRST_PERSON.search(candidate.text):
        return 0.0
    return 1.0 if not actor.isdisjoint(author) else -1.0


def _addressed(
    actor: frozenset[str] | None, author: frozenset[str], addressee: frozenset[str]
) -> float:
    """1 when `actor` is the document's addressee and not its author."""
    if actor is None:
        return 0.0
    return float(not actor.isdisjoint(addressee) and actor.isdisjoint(author))


def _coverage(asked: list[str], words: frozenset[str]) -> float:
    """Share of `asked` in `words`, a related word counting half (1.0 when nothing is asked)."""
    if not asked:
        return 1.0
    return sum(_match(t, words) for t in asked) / len(asked)


def _share(names: list[frozenset[str]], words: frozenset[str]) -> float:
    if not names:
        return 1.0
    return sum(not stems.isdisjoint(words) for stems in names) / len(names)


def _match(term: str, words: frozenset[str]) -> float:
    if term in words:
        return 1.0
    return 0.5 if not related(term).isdisjoint(words) else 0.0


def _word_overlap(
    question: Question, candidates: list[Candidate]
) -> tuple[list[float], list[float]]:
    """How much of the question's vocabulary each sentence speaks to, rare words (those few
    candidates have) weighing more: in the sentence, and only around it."""
    unique = list(dict.fromkeys(question.terms))
    if not unique:
        return [0.0] * len(candidates), [0.0] * len(candidates)
    df = Counter(t for c in candidates for t in unique if t in c.own)
    weight = {t: math.log(1 + len(candidates) / (1 + df[t])) for t in unique}
    total = sum(weight.values())
    own, around = [], []
    for c in candidates:
        own.append(sum(weight[t] * _match(t, c.own) for t in unique) / total)
        outside = c.context | c.recent
        around.append(sum(weight[t] for t in unique if t not in c.own and t in outside) / total)
    return own, around


def _in_context(title: str, sentence: str) -> str:
    return f"{title}: {sentence}" if title and not sentence.startswith(title[:20]) else sentence
