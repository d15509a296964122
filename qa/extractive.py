"""Extractive answering (offline, the default): the answer is the sources' own sentences.

Every retrieved chunk is split into sentences, joined by the sentences just after it that point
back into it ("such a demand"). A sentence is a candidate if it holds the kind of fact the
question wants (a number for "How many ...?"; for "Why ...?" a causal word only weighs), its
document mentions the question's names, and it or its neighbours speak to something the question
asks beyond those names. Candidates are scored by meaning (MiniLM cosine to the question), by the
question words they share (related words and neighbouring sentences count for less) and by their
chunk's retrieval score; a sentence far from a name in the question weighs less. The best become
the answer, each cited (a conclusion together with the sentence it draws on); when even the best
is weak, the answer is an abstention.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from qa.answer import Answer, abstention, as_claim, cite
from qa.questions import Expectation, Question, read_question
from qa.retrieval import Passage
from vectorstore.chunks import LIST_LABEL, Chunk, split_record, split_sentences
from vectorstore.embeddings import Encoder
from vectorstore.lexical import related, terms
from vectorstore.records import Record

# Below this the best sentence is too weak to be an answer: the middle of the plateau of a sweep
# over 106 question runs (eval/README.md). Answerable and unanswerable questions overlap in score,
# so this is a compromise, not a calibration that separates them.
ABSTAIN_BELOW = 0.36
# A follow-up may score this much lower: it carries the earlier question's words, which dilute it.
FOLLOW_UP_ALLOWANCE = 0.06
# Further sentences join the answer when they score this close to the best one.
KEEP_WITHIN = 0.06
MAX_SENTENCES = 3
_SHORTLIST = 64
# Neighbouring sentences read with each sentence, and what their words count for.
_BEFORE, _AFTER = 2, 1
_CONTEXT_MATCH = 0.5
_LEAD_IN_MATCH = 0.8
# Sentences read together with the two before them: those that point back ("such a demand"),
# conclusions ("Hence, ..."), and list items, which continue the sentence that introduced the list
# ("... possibilities: 1. ...").
_CONCLUSION = r"(?:hence|therefore|thus|consequently|accordingly)\b"
_POINTS_BACK = re.compile(
    r"\b(?:such|this|these|those)\b|^\W*(?:it|they|he|she)\b|^\W*(?:\d{1,2}|[a-h])[.)]\s|"
    rf"^\W*{_CONCLUSION}",
    re.I,
)
# A conclusion ("Hence, ... we should continue to safeguard Formosa.") rests on the sentence
# before it, so it is quoted together with it: asked why, that sentence is the reason; asked what
# might happen, it says under what conditions.
_CONCLUDES = re.compile(rf"^\W*(?:{LIST_LABEL.pattern}\s+)?{_CONCLUSION}", re.I)
_RELATED_MATCH = 0.7
_WEIGHTS = {"meaning": 0.55, "words": 0.30, "chunk": 0.15}
# What a document says about itself, read as context for each of its sentences.
_DESCRIPTIVE_SECTIONS = frozenset({"Summary", "Source Note", "Dateline"})
# A sentence from a document of another kind than the one asked about ("When was the telegram
# sent?" asked of a memorandum) is a weaker answer.
_OTHER_KIND_WEIGHT = 0.85
# A sentence holding the kind of fact asked for ("How long ...?": "two to three months") has
# passed a test most sentences fail, which is evidence of its own.
_KIND_BONUS = 0.06
# "Why ...?" is often answered without a causal word ("will be too ponderous to bring about the
# necessary settlement"), so there a sentence without one stays a candidate, at this weight.
_NO_CUE_WEIGHT = 0.85
# A question that names someone is answered where they are mentioned: a sentence whose
# neighbourhood (and its document's title, summary, source note and dateline) lacks one of the
# question's names is a weaker answer.
_NAME_FAR_WEIGHT = 0.85
# A name stays in play for about a paragraph: it is near a sentence when it is this many
# characters before it ("Dr. Wallace" opens a telegram whose next paragraph says "his death").
_RECENT = 1200
# Sentences about a document rather than in it (title, citation, summary, editors' footnotes)
# answer fewer questions.
_SECTION_WEIGHT = {"Title": 0.9, "Citation": 0.85, "Summary": 0.9, "Footnotes": 0.9}


@dataclass(frozen=True)
class ScoredSentence:
    passage: Passage
    start: int
    end: int
    score: float


class ExtractiveAnswerer:
    """Answers with the best-supported sentences of the retrieved passages."""

    mode = "extractive"

    def __init__(self, encoder: Encoder, *, abstain_below: float = ABSTAIN_BELOW) -> None:
        self._encoder = encoder
        self._abstain_below = abstain_below

    def answer(self, question: str, passages: list[Passage], notice: str | None = None) -> Answer:
        """Pick the sentences that answer `question`, or abstain when none does."""
        asked = read_question(question)
        vocabularies = _vocabularies(passages)
        missing = [n for n in asked.names if not any(map(n.found_in, vocabularies.values()))]
        if passages and missing:
            reason = f"no document found mentions {' or '.join(n.text for n in missing)}"
            return abstention(question, "extractive", notice, reason=reason)
        ranked = self._rank(asked, passages, vocabularies)
        # A follow-up carries the earlier question's words, which dilute its score.
        bar = self._abstain_below - (FOLLOW_UP_ALLOWANCE if asked.follows else 0.0)
        if not ranked or ranked[0].score < bar:
            reason = "no passage answers it"
            if asked.expects is not None and not ranked:
                reason = f"no passage gives {asked.expects.value} for it"
            return abstention(question, "extractive", notice, reason=reason)
        best = ranked[0].score
        chosen = [s for s in ranked[:MAX_SENTENCES] if s.score >= best - KEEP_WITHIN]
        chosen.sort(key=lambda s: (s.passage.record.id, s.start))
        citations = [
            cite(s.passage.record, s.start, s.end, n=i, chunk_id=s.passage.chunk.id)
            for i, s in enumerate(chosen, start=1)
        ]
        text = " ".join(f"{as_claim(c.quote)} [{c.n}]" for c in citations)
        return Answer(
            question=question, answer=text, abstained=False, mode="extractive", notice=notice,
            citations=citations,
        )  # fmt: skip

    def rank_sentences(self, question: Question, passages: list[Passage]) -> list[ScoredSentence]:
        """The sentences of `passages` that could answer `question`, scored, best first.

        A sentence is read with its neighbours and its document's title: "We consider such a
        demand ... unacceptable" is the Soviet position on the 38th parallel because the
        sentences before it say what the demand was. It must itself hold the kind of fact asked
        for, and every name in the question must appear in its document.
        """
        return self._rank(question, passages, _vocabularies(passages))

    def _rank(
        self, question: Question, passages: list[Passage], vocabularies: dict[str, set[str]]
    ) -> list[ScoredSentence]:
        if question.expects is Expectation.SIGNER:
            # A signature is where a document ends, not a heading line at its top.
            passages = _closing_passages(passages)
        candidates = [
            c
            for c in _candidates(passages)
            if (question.is_answered_by_kind(c.text) or question.expects is Expectation.REASON)
            and all(n.found_in(vocabularies[c.passage.record.id]) for n in question.names)
            and _speaks_to(question, c)
        ]
        if not candidates:
            return []
        candidates = self._score_own_chunks(question, candidates)
        words = _word_overlap(question, candidates)
        rough = [0.5 * w + 0.5 * c.passage.score for w, c in zip(words, candidates, strict=True)]
        shortlist = sorted(range(len(candidates)), key=lambda i: -rough[i])[:_SHORTLIST]
        # A sentence is embedded in its document's context too: "we are ready to send you ..."
        # is Stalin's offer because the telegram is Stalin's.
        chosen = [candidates[i] for i in shortlist]
        texts = [_in_context(c.passage.record.title, c.text) for c in chosen]
        # A sentence that points back ("such a demand") is also read together with the
        # sentences it points to, and it is judged by the better of the two readings.
        readings = [f"{c.lead_in} {c.text}" for c in chosen if c.lead_in]
        vectors = self._encoder.encode([question.text, *texts, *readings])
        similarity = np.asarray(vectors[1:] @ vectors[0])
        meaning = similarity[: len(chosen)].copy()
        with_lead_in = [j for j, c in enumerate(chosen) if c.lead_in]
        meaning[with_lead_in] = np.maximum(meaning[with_lead_in], similarity[len(chosen) :])
        scored = []
        for i, c, m in zip(shortlist, chosen, meaning, strict=True):
            score = (
                _WEIGHTS["meaning"] * float(m)
                + _WEIGHTS["words"] * words[i]
                + _WEIGHTS["chunk"] * c.passage.score
            ) * _SECTION_WEIGHT.get(c.passage.chunk.section, 1.0)
            if question.document_kind and question.document_kind.isdisjoint(c.about):
                score *= _OTHER_KIND_WEIGHT
            if question.expects is not None and question.is_answered_by_kind(c.text):
                score += _KIND_BONUS
            elif question.expects is not None:
                score *= _NO_CUE_WEIGHT
            if question.expects is not Expectation.SIGNER and not all(
                n.found_in(c.own | c.context | c.recent) for n in question.names
            ):
                score *= _NAME_FAR_WEIGHT
            start = c.start if c.grounds is None else c.grounds
            scored.append(ScoredSentence(c.passage, start, c.end, score))
        return sorted(scored, key=lambda s: -s.score)

    def _score_own_chunks(
        self, question: Question, candidates: list[_Candidate]
    ) -> list[_Candidate]:
        """A sentence read after a retrieved passage was not retrieved itself: its chunk score is
        its own chunk's similarity to the question, as the retriever would have scored it."""
        chunks = {c.passage.chunk.id: c.passage.chunk.text for c in candidates if not c.retrieved}
        if not chunks:
            return candidates
        vectors = self._encoder.encode([question.text, *chunks.values()])
        score = dict(zip(chunks, (vectors[1:] @ vectors[0]).tolist(), strict=True))
        return [
            c
            if c.retrieved
            else replace(c, passage=replace(c.passage, score=score[c.passage.chunk.id]))
            for c in candidates
        ]


def _speaks_to(question: Question, candidate: _Candidate) -> bool:
    """Whether the sentence or its neighbours speak to anything the question asks beyond its
    names: "What did Truman tell MacArthur when he dismissed him?" is not answered by a sentence
    that only names them both."""
    names = {stem for n in question.names for stem in n.stems}
    asked = [t for t in question.terms if t not in names]
    near = candidate.own | candidate.context
    return not asked or any(t in near or not related(t).isdisjoint(near) for t in asked)


def _closing_passages(passages: list[Passage]) -> list[Passage]:
    """For "Who signed ...?": the chunk holding the end of each retrieved document's body, where
    the signature is, scored as the document's best passage."""
    best: dict[str, Passage] = {}
    for p in passages:
        if p.record.id not in best or p.score > best[p.record.id].score:
            best[p.record.id] = p
    closing = []
    for top in best.values():
        body = [c for c in split_record(top.record) if c.section == "Contents"]
        if body:
            closing.append(Passage(body[-1], top.score, top.record))
    return closing


def _vocabularies(passages: list[Passage]) -> dict[str, set[str]]:
    """The words of each retrieved document, by document id."""
    vocabularies: dict[str, set[str]] = {}
    for p in passages:
        if p.record.id not in vocabularies:
            vocabularies[p.record.id] = set(terms(p.record.text))
    return vocabularies


@dataclass(frozen=True)
class _Candidate:
    """A sentence of a retrieved passage with the words around it."""

    passage: Passage
    start: int
    end: int
    text: str
    own: frozenset[str]
    context: frozenset[str]
    """Words of the two sentences before it, the one after it, and the document's title and
    summary."""
    lead_in: str
    """The sentences before it, when it points back to them ("such a demand"); else empty."""
    about: frozenset[str]
    """Words of the document's title, summary, source note and dateline."""
    recent: frozenset[str] = frozenset()
    """Words of the text just before it in its section (`_RECENT` characters): a name
    mentioned there is still in play."""
    grounds: int | None = None
    """Where the sentence before it starts, when it draws a conclusion from it ("Hence, ...")."""
    retrieved: bool = True
    """False for a sentence read after a retrieved passage because it points back into it."""


def _candidates(passages: list[Passage]) -> list[_Candidate]:
    """The sentences of the retrieved passages, and after each passage the sentences that point
    back into it: "We consider such a demand ..." belongs with the passage that says what the
    demand was, even where the chunking put it in the next chunk."""
    sentences_of: dict[tuple[str, str], list[tuple[int, int]]] = {}
    about_of: dict[str, frozenset[str]] = {}
    read: list[tuple[Passage, list[tuple[int, int]], list[int]]] = []
    for passage in passages:
        record, chunk = passage.record, passage.chunk
        if (record.id, chunk.section) not in sentences_of:
            section = next(s for s in record.sections if s.name == chunk.section)
            spans = split_sentences(record.text, section.start, section.end)
            sentences_of[record.id, chunk.section] = [(sp.start, sp.end) for sp in spans]
            about_of[record.id] = frozenset(terms(_about(record)))
        sentences = sentences_of[record.id, chunk.section]
        within = [i for i, (s, e) in enumerate(sentences) if s >= chunk.start and e <= chunk.end]
        read.append((passage, sentences, within))
    candidates = [
        _candidate(passage, sentences, i, about_of[passage.record.id])
        for passage, sentences, within in read
        for i in within
    ]
    seen = {(c.passage.record.id, c.start) for c in candidates}
    for passage, sentences, within in read:
        after = range(within[-1] + 1, within[-1] + 1 + _BEFORE) if within else range(0)
        for i in after:
            if i >= len(sentences) or (passage.record.id, sentences[i][0]) in seen:
                continue
            following = _candidate(passage, sentences, i, about_of[passage.record.id])
            if following.lead_in:
                seen.add((passage.record.id, following.start))
                chunk = _chunk_holding(passage.record, following.start)
                candidates.append(
                    replace(following, passage=replace(passage, chunk=chunk), retrieved=False)
                )
    return candidates


def _candidate(
    passage: Passage, sentences: list[tuple[int, int]], i: int, about: frozenset[str]
) -> _Candidate:
    """Sentence `i` of `sentences` (spans into the passage's record), read with its neighbours."""
    text = passage.record.text
    start, end = sentences[i]
    before = sentences[max(0, i - _BEFORE) : i]
    around = before + sentences[i + 1 : i + 1 + _AFTER]
    context = about.union(*(terms(text[s:e]) for s, e in around))
    sentence = text[start:end]
    lead_in = " ".join(text[s:e] for s, e in before) if _POINTS_BACK.search(sentence) else ""
    first = sentences[bisect_left(sentences, (start - _RECENT,), hi=i)][0]
    recent = frozenset(terms(text[first:start]))
    grounds = sentences[i - 1][0] if i > 0 and _CONCLUDES.match(sentence) else None
    return _Candidate(
        passage, start, end, sentence, frozenset(terms(sentence)), context, lead_in, about, recent,
        grounds,
    )  # fmt: skip


def _chunk_holding(record: Record, offset: int) -> Chunk:
    return next(c for c in split_record(record) if c.start <= offset < c.end)


def _about(record: Record) -> str:
    """What a record says about itself: its title, summary and source note."""
    described = [s for s in record.sections if s.name in _DESCRIPTIVE_SECTIONS]
    return " ".join([record.title, *(record.text[s.start : s.end] for s in described)])


def _word_overlap(question: Question, candidates: list[_Candidate]) -> list[float]:
    """How much of the question's vocabulary each sentence speaks to, rare words weighing more.

    A question word counts fully when the sentence has it, less for a related word (offer:
    ready), and less again when it is only in the neighbours or the title: those tell which
    passage, not which sentence.
    """
    unique = list(dict.fromkeys(question.terms))
    if not unique:
        return [0.0] * len(candidates)
    df = Counter(t for c in candidates for t in unique if t in c.own)
    # The focus word counts double where some sentence speaks to it; where none does, it
    # cannot tell sentences apart.
    speaks_to_focus = question.focus is not None and any(
        _match(question.focus, c, focus=True) for c in candidates
    )
    weight = {
        t: math.log(1 + len(candidates) / (1 + df[t]))
        * (2.0 if t == question.focus and speaks_to_focus else 1.0)
        for t in unique
    }
    total = sum(weight.values())
    return [
        sum(weight[t] * _match(t, c, focus=t == question.focus) for t in unique) / total
        for c in candidates
    ]


def _match(term: str, candidate: _Candidate, *, focus: bool) -> float:
    kin = related(term)
    if term in candidate.own:
        return 1.0
    if not kin.isdisjoint(candidate.own):
        return _RELATED_MATCH
    if focus:
        # "What was their position?" is answered where the position is stated, not next to it.
        return 0.0
    if candidate.lead_in:
        return _LEAD_IN_MATCH if term in candidate.context else 0.0
    if term in candidate.context:
        return _CONTEXT_MATCH
    if not kin.isdisjoint(candidate.context):
        return _RELATED_MATCH * _CONTEXT_MATCH
    return 0.0


def _in_context(title: str, sentence: str) -> str:
    return f"{title}: {sentence}" if title and not sentence.startswith(title[:20]) else sentence
