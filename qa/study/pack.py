"""Guided study: starter questions, a study guide, a quiz, a glossary and a timeline for a
document, each item cited verbatim.

The guide asks questions of the four historical-thinking kinds (qa.study.thinking and
qa.study.reading), each
answered with checked quotes or offered as a prompt for discussion with passages to read. Offline,
more close-reading questions come from the document's most mentioned names and things; with a
language model, the model proposes them. Either way such a question is kept only after
archive-qa has answered it from the document, and the quiz (qa.study.quiz) blanks the sentences
the answers quote first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel

from qa.answer import Asker, Proposer, Scope
from qa.study.glossary import (
    GlossaryEntry,
    TimelineEntry,
    body_of,
    glossary,
    mentions,
    timeline,
)
from qa.study.question import StudyQuestion, says_something, speaks_of, topic
from qa.study.quiz import QuizItem, quiz
from qa.study.reading import close_reading_questions, corroboration_questions, essay_questions
from qa.study.thinking import context_questions, sourcing_questions
from qa.words import is_nationality
from vectorstore.documents import Document
from vectorstore.text import terms

GUIDE_QUESTIONS = 6
STARTERS = 3


class StudyPack(BaseModel):
    document_id: str
    title: str
    starters: list[str]
    guide: list[StudyQuestion]
    essays: list[StudyQuestion] = []
    """Questions to write on at length; each one's passages are its key."""
    quiz: list[QuizItem]
    glossary: list[GlossaryEntry]
    timeline: list[TimelineEntry]


def study_pack(
    asker: Asker, proposer: Proposer, document: Document, beside: Sequence[Document] = ()
) -> StudyPack:
    """The study materials for one document: questions of the four historical-thinking kinds
    (qa.study.thinking, qa.study.reading) and those `proposer` proposes, answered by `asker`;
    the quiz (with wrong names from the documents studied `beside` it where it has too few),
    glossary and timeline."""
    others = [d for d in asker.documents() if d.id != document.id]
    sourcing, sourced = sourcing_questions(asker, document)
    reading = close_reading_questions(asker, document, sourced.author)
    more = max(GUIDE_QUESTIONS - sum(q.answer is not None for q in reading), 2)
    reading += answered_questions(asker, proposer, document, _first_quotes(reading), more)
    guide = [
        *sourcing,
        *context_questions(asker, document, others, sourced),
        *reading,
        *corroboration_questions(asker, document, others),
    ]
    answered = [q for q in guide if q.answer is not None]
    return StudyPack(
        document_id=document.id,
        title=document.title,
        starters=[q.question for q in [*answered[:1], *(q for q in reading if q.answer)]][
            :STARTERS
        ],
        guide=guide,
        essays=essay_questions(document, guide, sourced.author),
        quiz=quiz(document, [q.answer.citations[0] for q in answered if q.answer], beside),
        glossary=glossary(document),
        timeline=timeline([document]),
    )


class StructuralProposer:
    """Offline: close-reading questions from the document's structure (its most mentioned names
    and things); the questions cued by its sentences and fields are asked of every document
    (qa.study.thinking, qa.study.reading)."""

    def propose(self, document: Document) -> list[str]:
        return _candidate_questions(document)


def answered_questions(
    asker: Asker,
    proposer: Proposer,
    document: Document,
    quoted: set[int] | None = None,
    most: int = GUIDE_QUESTIONS,
) -> list[StudyQuestion]:
    """Questions about the document that archive-qa answers from it, each with its answer.

    Candidates come from `proposer`; a candidate that `asker` refuses, or answers with a sentence
    an earlier one (or one of `quoted`, offsets into its text) already quoted, is dropped.
    """
    scope = Scope(documents=frozenset({document.id}))
    kept: list[StudyQuestion] = []
    quoted = set(quoted or ())
    for question in dict.fromkeys(proposer.propose(document)):
        answer = asker.ask(question, scope=scope)
        if answer.abstained or not answer.citations or answer.citations[0].start in quoted:
            continue
        if not says_something(answer) and not question.startswith("Who"):
            continue
        about = _ABOUT.fullmatch(question)
        if about and not speaks_of(answer.citations[0].quote, about["topic"]):
            continue  # the sentence found does not speak of it
        quoted.add(answer.citations[0].start)
        kept.append(StudyQuestion(question=question, answer=answer))
        if len(kept) == most:
            break
    return kept


_ABOUT = re.compile(r"What is said about (?:the )?(?P<topic>.+)\?")


def _candidate_questions(document: Document) -> list[str]:
    # Not who wrote it or to whom: the sourcing questions ask that, and what is said of them is
    # the address line.
    kinds = {e.term: e.kind for e in glossary(document)}
    topics = [
        topic(name, kinds[name]) for name, _ in mentions(document).most_common(8)
        if kinds.get(name) in ("person", "place", "organisation") and name not in document.title
    ]  # fmt: skip
    topics += _things(document)
    questions = [f"What is said about {topic}?" for topic in topics]
    return list(dict.fromkeys(questions))


def _starters(answered: list[StudyQuestion]) -> list[StudyQuestion]:
    """The first sourcing question, then close-reading ones: what a student asks first."""
    reading = [q for q in answered if q.skill == "close reading"]
    return [*answered[:1], *reading][:STARTERS]


def _first_quotes(questions: list[StudyQuestion]) -> set[int]:
    return {q.answer.citations[0].start for q in questions if q.answer and q.answer.citations}


# Words that point at other words rather than name a thing ("the following", "the latter").
_NOT_THINGS = frozenset({"following", "above", "latter", "former", "same", "other", "whole"})


def _things(document: Document, n: int = 4) -> list[str]:
    """The document's most repeated common nouns, as written ("pilots", "divisions")."""
    start, end = body_of(document)
    words = re.findall(r"\b[a-z][a-z-]{4,}\b", document.text[start:end])
    # Not participles ("noted", "agreed"): minutes repeat them more than any noun.
    nouns = [w for w in words if terms(w) and not w.endswith("ed") and w not in _NOT_THINGS]
    counts = Counter(w for w in nouns if not is_nationality(terms(w)[0]))
    return [f"the {w}" for w, c in counts.most_common(n) if c > 1]
