"""Extractive answering (offline, the default): the answer is the sources' own sentences.

The retrieved passages are read sentence by sentence (qa.offline.sentences); the fitted reader
(qa.offline.reader) ranks the sentences and judges whether the best one answers the question at all.
When it does not, the answer is an abstention; otherwise the best sentence is quoted, with those of
the passage around it that score close to it (an answer in several parts: the jet fighters, the
training of pilots, the same for Shanghai), in the documents' order. A yes/no question is answered
"No." when the sentence that decides it denies what it asks.

A record is read by its parts (vectorstore.documents.Part): the answer comes from the document's
own text and its editors' footnotes (said to be the editors'); the archive's summary answers only
when nothing in the documents does, and is then said to be the summary; the title, citation and
source note describe a document and answer only questions about it as a source
(qa.sourcing.provenance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from qa.answer import Answer, Citation, Standalone, abstention, as_claim, cite
from qa.offline.reader import FEATURES, Reader, describe, shipped_reader, shortlist
from qa.offline.sentences import Candidate, candidate_sentences
from qa.questions import Expectation, Question, read_question
from qa.words import related
from vectorstore.documents import Document, Part, part_of
from vectorstore.encoders import Encoder
from vectorstore.passages import Passage
from vectorstore.remembered import Kept, text_key
from vectorstore.text import terms

# At most this many sentences make an answer: enough for an offer in three parts, few enough to
# stay a short answer (the median quote stays under 250 characters).
MAX_SENTENCES = 3
# Sentences read closely (embedded) per question: those the ranker puts first on everything but
# meaning (reader.shortlist). Each costs about 10 ms, most of an answer's time. The smallest size
# that loses no question the reader is fitted on (2,079: 1,202 right at 6, 1,201 at 8, 12 and
# all, 1,196 at 4; eval/README.md).
SHORTLIST = 6
# How an answer marks a quote from the editors' footnotes rather than the document.
_EDITORS = "The editors' footnote: "


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
        self,
        encoder: Encoder,
        reader: Reader | None = None,
        *,
        rescore_passages: bool = False,
        read_closely: int | None = SHORTLIST,
    ) -> None:
        """`encoder` must be the model the reader was fitted with (MiniLM); `reader` defaults to
        the one shipped with archive-qa, loaded at the first answer. With `rescore_passages`,
        each passage's similarity to the question is measured with `encoder` again, for an index
        whose retrieval scores come from another embedding model. Only the `read_closely`
        candidates the ranker puts first on its cheap features are embedded (None: all, as for
        fitting the reader)."""
        self._encoder = encoder
        self._reader = reader
        self._rescore = rescore_passages
        self._read_closely = read_closely

    def answer(
        self, question: Standalone, passages: list[Passage], notice: str | None = None
    ) -> Answer:
        """Pick the sentences that answer `question`, or abstain when none does: from the
        documents' own text and footnotes, or, when nothing there even speaks to it, from the
        archive's summaries of them."""
        evidence = self.weigh(question.text, passages)
        answer = decide(evidence, self.reader(), notice)
        if not evidence.candidates and any(_part(p) is Part.SUMMARY for p in passages):
            from_summary = self.weigh(question.text, passages, summaries=True)
            summarised = decide(from_summary, self.reader(), notice)
            if not summarised.abstained:
                text = f"The archive's summary, not the document itself: {summarised.answer}"
                return summarised.model_copy(update={"answer": text})
        return answer

    @property
    def encoder(self) -> Encoder:
        """The model the sentences are embedded with (MiniLM)."""
        return self._encoder

    def reader(self) -> Reader:
        """The fitted reader that judges the sentences."""
        self._reader = self._reader or shipped_reader()
        return self._reader

    def weigh(self, question: str, passages: list[Passage], *, summaries: bool = False) -> Evidence:
        """The candidate sentences for `question` and their features (before any judgement):
        those of the passages where documents speak for themselves, and the fields of every
        document retrieved; with `summaries`, those of the archive's summaries instead."""
        asked = read_question(question)
        vocabularies = (  # only names are looked for
            {p.document.id: _vocabulary(p.document) for p in passages} if asked.names else {}
        )
        missing = [n.text for n in asked.names if not any(map(n.found_in, vocabularies.values()))]
        if self._rescore:
            passages = self._rescored(asked.text, passages)
        parts = (Part.SUMMARY,) if summaries else (Part.DOCUMENT, Part.EDITORS)
        read = [p for p in passages if _part(p) in parts]
        candidates = candidate_sentences(read, fields_of=[] if summaries else passages)
        candidates = [c for c in candidates if _may_answer(asked, c)]
        asks_field = self.reader().asks_field(self._encoder.encode([asked.text])[0])
        if self._read_closely is not None:
            candidates = shortlist(self.reader(), asked, candidates, self._read_closely, asks_field)
        features = describe(self._encoder, asked, candidates, asks_field)
        return Evidence(asked, candidates, features, missing)

    def _rescored(self, question: str, passages: list[Passage]) -> list[Passage]:
        vectors = self._encoder.encode([question, *(p.text for p in passages)])
        scores = (vectors[1:] @ vectors[0]).tolist()
        return [replace(p, score=s) for p, s in zip(passages, scores, strict=True)]


def _vocabulary(document: Document) -> frozenset[str]:
    """Every word stem of `document`, remembered: stemming a long record again was a fifth of
    the time a repeated question naming someone took."""
    return _VOCABULARIES.get(text_key(document), lambda: frozenset(terms(document.text)))


# Vocabularies of the documents read latest: about 100 bytes a stem, so at most about 20 MB.
_VOCABULARIES: Kept[frozenset[str]] = Kept(128, budget=200_000, weight=len)


def _part(passage: Passage) -> Part:
    return part_of(passage.section)


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
        refusal = abstention(question.text, "extractive", notice, reason=reason)
        return refusal.model_copy(update={"related": nearest(evidence, reader)})
    if _YES_NO.match(question.text) and _UNCERTAIN.search(evidence.candidates[picked[0]].text):
        # "It is not known to us whether you have decided ...": the nearest the sources come to
        # a yes or a no is that nobody knows; said as a refusal that shows it.
        refusal = abstention(
            question.text, "extractive", notice, reason="the sources do not say whether"
        )
        return refusal.model_copy(update={"related": nearest(evidence, reader)})
    chosen = [evidence.candidates[i] for i in picked]
    chosen.sort(key=lambda c: (c.passage.document.id, c.quoted))
    citations = [
        cite(c.passage.document, *c.quoted, n=n, passage_id=c.passage.id)
        for n, c in enumerate(chosen, start=1)
    ]
    text = " ".join(
        f"{_EDITORS if _part(c.passage) is Part.EDITORS else ''}{as_claim(q.quote)} [{q.n}]"
        for c, q in zip(chosen, citations, strict=True)
    )
    verdict = _yes_or_no(question, evidence.candidates[picked[0]].text)
    return Answer(
        question=question.text, answer=f"{verdict} {text}" if verdict else text,
        abstained=False, mode="extractive", notice=notice, citations=citations,
    )  # fmt: skip


def nearest(evidence: Evidence, reader: Reader) -> list[Citation]:
    """What a refusal points to: the candidates the ranker puts first among those as close in
    meaning to the question as most answers are, at most `MAX_SENTENCES`, none overlapping."""
    close = np.flatnonzero(evidence.features[:, 0] >= reader.related_above)
    scores = reader.scores(evidence.features)
    shown: list[Candidate] = []
    for i in sorted(close, key=lambda i: -scores[i]):
        c = evidence.candidates[i]
        if len(shown) < MAX_SENTENCES and not any(_overlaps(c, s) for s in shown):
            shown.append(c)
    return [
        cite(c.passage.document, *c.quoted, n=n, passage_id=c.passage.id)
        for n, c in enumerate(shown, start=1)
    ]


def choose(evidence: Evidence, reader: Reader) -> list[int]:
    """Which candidates make the answer, best first: none when the best is unlikely to answer
    the question, has nothing the question names in play, or is asked for the reply of the one
    its document is addressed to; else the best and up to two more
    from the passage around it that score close to it, each quoting text the others do not."""
    if not evidence.candidates:
        return []
    scores = reader.scores(evidence.features)
    if reader.chance(evidence.features, scores) < reader.abstain_below:
        return []
    order = np.argsort(-scores, kind="stable")
    best = evidence.candidates[order[0]]
    if _names_out_of_play(evidence, int(order[0])) or _reply_not_in_it(evidence, int(order[0])):
        return []
    picked = [int(order[0])]
    for i in order[1:]:
        if len(picked) == MAX_SENTENCES or scores[i] < scores[order[0]] - reader.keep_within:
            break
        c = evidence.candidates[i]
        if _beside(c, best) and not any(_overlaps(c, evidence.candidates[j]) for j in picked):
            picked.append(int(i))
    return picked


def _names_out_of_play(evidence: Evidence, i: int) -> bool:
    """Whether the question names someone or something (not only a year) and candidate `i` has
    none of its names in play: not in it, around it or in the paragraph before. "What is the
    capital of Australia?" is not answered by "Peiping is no longer the effective capital of
    China" in a memorandum that mentions Australia pages away. The score does not move: on
    frozen2 it refuses one more unanswerable question and one answerable one, on frozen3
    nothing changes, and cross-validated on the training questions (an earlier reader) it
    refused 6 more unanswerable and 7 answerable. Kept for what a student is shown."""
    if all(name.text.isdigit() for name in evidence.question.names):
        return False
    return bool(evidence.features[i, _NAMES_NEAR] == 0)


_NAMES_NEAR = FEATURES.index("names_near")


def _reply_not_in_it(evidence: Evidence, i: int) -> bool:
    """Whether the question asks how someone answered, and candidate `i` stands in a document
    addressed to them that it does not name them in: "What did Zhou Enlai answer to Filippov?"
    is not answered by Filippov's own telegram to Zhou Enlai, whatever it says of answering."""
    if _REPLY.isdisjoint(evidence.question.terms) or not evidence.features[i, _ADDRESSED]:
        return False
    actor = next(n.stems for n in evidence.question.names if not n.text.isdigit())
    return actor.isdisjoint(evidence.candidates[i].own)


_ADDRESSED = FEATURES.index("addressed")
_REPLY = frozenset(terms("answer reply respond response"))


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
    if candidate.field:
        return True  # a field seldom has the question's word ("classification": "top secret")
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
# A sentence that says something is not known neither affirms nor denies it.
_UNCERTAIN = re.compile(
    r"\bwhether\b|\bnot\s+(?:yet\s+)?(?:known|clear|certain|sure|decided)\b|\b(?:unknown|uncertain)\b",
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
