"""Extractive answering (offline, the default): the answer is the sources' own sentences.

The retrieved passages are read sentence by sentence (qa.offline.sentences); the fitted reader
(qa.offline.reader) ranks the sentences and judges whether the best one answers the question at all.
When it does not, the answer is an abstention; otherwise the best sentence is quoted, with those of
the passage around it that score close to it (an answer in several parts: the jet fighters, the
training of pilots, the same for Shanghai), in the documents' order. A yes/no question is answered
"No." when the sentence that decides it denies what it asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from qa.answer import Answer, Standalone, abstention, as_claim, cite
from qa.offline.reader import Reader, describe, shipped_reader, shortlist
from qa.offline.sentences import Candidate, candidate_sentences
from qa.questions import Expectation, Question, read_question
from qa.words import related
from vectorstore.embeddings import Encoder
from vectorstore.passages import Passage
from vectorstore.text import terms

# At most this many sentences make an answer: enough for an offer in three parts, few enough to
# stay a short answer (the median quote stays under 250 characters).
MAX_SENTENCES = 3
# Sentences read closely (embedded) per question: those the ranker puts first on everything but
# meaning (reader.shortlist). Each costs about 10 ms. The smallest size that lost no tuned
# question (181 right of 241 at 12 and 16, 180 at 64 with the old word count, 178 at 8; see
# eval/README.md).
SHORTLIST = 12


@dataclass(frozen=True)
class Evidence:
    """A question read against its passages: the candidate sentences and their features."""

    question: Question
    candidates: list[Candidate]
    features: np.ndarray
    missing: list[str]
    """Names in the question that no retrieved document mentions."""


class ExtractiveAnswerer:
    """Answers with the sentences of the retrieved passages that the reader finds likeliest."""

    mode = "extractive"

    def __init__(
        self, encoder: Encoder, reader: Reader | None = None, *, rescore_passages: bool = False
    ) -> None:
        """`encoder` must be the model the reader was fitted with (MiniLM); `reader` defaults to
        the one shipped with archive-qa, loaded at the first answer. With `rescore_passages`,
        each passage's similarity to the question is measured with `encoder` again, for an index
        whose retrieval scores come from another embedding model."""
        self._encoder = encoder
        self._reader = reader
        self._rescore = rescore_passages

    def answer(
        self, question: Standalone, passages: list[Passage], notice: str | None = None
    ) -> Answer:
        """Pick the sentences that answer `question`, or abstain when none does."""
        return decide(self.weigh(question.text, passages), self.reader(), notice)

    def reader(self) -> Reader:
        """The fitted reader that judges the sentences."""
        self._reader = self._reader or shipped_reader()
        return self._reader

    def weigh(self, question: str, passages: list[Passage]) -> Evidence:
        """The candidate sentences for `question` and their features (before any judgement)."""
        asked = read_question(question)
        vocabularies: dict[str, set[str]] = {}
        for p in passages if asked.names else []:  # only names are looked for
            if p.document.id not in vocabularies:
                vocabularies[p.document.id] = set(terms(p.document.text))
        missing = [n.text for n in asked.names if not any(map(n.found_in, vocabularies.values()))]
        if self._rescore:
            passages = self._rescored(asked.text, passages)
        candidates = [c for c in candidate_sentences(passages) if _may_answer(asked, c)]
        candidates = shortlist(self.reader(), asked, candidates, SHORTLIST)
        return Evidence(asked, candidates, describe(self._encoder, asked, candidates), missing)

    def _rescored(self, question: str, passages: list[Passage]) -> list[Passage]:
        vectors = self._encoder.encode([question, *(p.text for p in passages)])
        scores = (vectors[1:] @ vectors[0]).tolist()
        return [replace(p, score=s) for p, s in zip(passages, scores, strict=True)]


def decide(evidence: Evidence, reader: Reader, notice: str | None = None) -> Answer:
    """The answer the reader's judgement supports, or an abstention that says why."""
    question = evidence.question
    if evidence.candidates and evidence.missing:
        reason = f"no document found mentions {' or '.join(evidence.missing)}"
        return abstention(question.text, "extractive", notice, reason=reason)
    picked = choose(evidence, reader)
    if not picked:
        reason = "no passage answers it"
        if question.expects is not None and not evidence.candidates:
            reason = f"no passage gives {question.expects.value} for it"
        return abstention(question.text, "extractive", notice, reason=reason)
    chosen = [evidence.candidates[i] for i in picked]
    chosen.sort(key=lambda c: (c.passage.document.id, c.quoted))
    citations = [
        cite(c.passage.document, *c.quoted, n=n, passage_id=c.passage.id)
        for n, c in enumerate(chosen, start=1)
    ]
    text = " ".join(f"{as_claim(c.quote)} [{c.n}]" for c in citations)
    verdict = _yes_or_no(question, evidence.candidates[picked[0]].text)
    return Answer(
        question=question.text, answer=f"{verdict} {text}" if verdict else text,
        abstained=False, mode="extractive", notice=notice, citations=citations,
    )  # fmt: skip


def choose(evidence: Evidence, reader: Reader) -> list[int]:
    """Which candidates make the answer, best first: none when the best is unlikely to answer
    the question; else the best and up to two more from the passage around it that score close
    to it, each quoting text the others do not."""
    if not evidence.candidates:
        return []
    scores = reader.scores(evidence.features)
    if reader.chance(evidence.features, scores) < reader.abstain_below:
        return []
    order = np.argsort(-scores, kind="stable")
    best = evidence.candidates[order[0]]
    picked = [int(order[0])]
    for i in order[1:]:
        if len(picked) == MAX_SENTENCES or scores[i] < scores[order[0]] - reader.keep_within:
            break
        c = evidence.candidates[i]
        if _beside(c, best) and not any(_overlaps(c, evidence.candidates[j]) for j in picked):
            picked.append(int(i))
    return picked


def _may_answer(question: Question, candidate: Candidate) -> bool:
    """What a reader rules out before weighing anything: a sentence without the kind of fact
    asked for ("How many tanks?" needs a number; "Why?" is often answered without a causal word,
    so not there), and one that does not itself (or with the sentences it points back to) speak
    to anything the question asks beyond its names: "What did Stalin offer?" is not answered by
    "Copies: Stalin (2), Molotov" or by "Communicate your opinion." beside the offer.
    Ablations on the first frozen set: without the first rule 3 fewer questions were right;
    the second changes the score by one either way and keeps such lines out of answers."""
    if question.expects is not Expectation.REASON and not question.is_answered_by_kind(
        candidate.text
    ):
        return False
    names = {stem for n in question.names for stem in n.stems}
    asked = [t for t in question.terms if t not in names]
    said = candidate.own | frozenset(terms(candidate.lead_in))
    return not asked or any(t in said or not related(t).isdisjoint(said) for t in asked)


def _beside(c: Candidate, best: Candidate) -> bool:
    """Whether `c` is in the passage around the best sentence (its paragraph or the next one to
    either side), where the further parts of an answer are: "We intend to train Chinese pilots
    ..." follows the offer of jet fighters."""
    return (
        c.passage.document.id == best.passage.document.id
        and c.passage.section == best.passage.section
        and abs(c.paragraph - best.paragraph) <= 1
    )


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.passage.document.id == b.passage.document.id and (
        a.quoted[0] < b.quoted[1] and b.quoted[0] < a.quoted[1]
    )


_YES_NO = re.compile(
    r"^\s*(?:is|are|was|were|do|does|did|can|could|will|would|shall|should|has|have|had|may|"
    r"might|must)\b",
    re.I,
)
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|none|cannot|without)\b|n['’]t\b", re.I)  # noqa: RUF001


def _yes_or_no(question: Question, sentence: str) -> str:
    """ "No." when a yes/no question is answered by a sentence that denies what it asks ("Was the
    Indian government involved?": "... is not involved"); else "", and the quotes speak for
    themselves: a sentence without a negation does not say yes plainly enough to say it for it."""
    if not _YES_NO.match(question.text) or _NEGATION.search(question.text):
        return ""
    return "No." if _NEGATION.search(sentence) else ""
