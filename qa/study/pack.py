"""Guided study: starter questions, a study guide, a quiz, a glossary and a timeline for a
document, each item cited verbatim.

Offline, everything is built from the document's own sentences and structure; with a language
model, the model also proposes questions a teacher would ask. Either way a question is suggested
only after archive-qa has answered it from the document (one it cannot answer is never shown),
and the quiz (qa.study.quiz) blanks the sentences those answers quote first.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

from pydantic import BaseModel

from qa.answer import Answer, Asker, Proposer, Scope
from qa.study.glossary import (
    GlossaryEntry,
    TimelineEntry,
    body_of,
    glossary,
    kind_of_name,
    mentions,
    timeline,
)
from qa.study.quiz import QuizItem, quiz
from qa.words import DOCUMENT_KINDS, is_nationality
from vectorstore.documents import Document
from vectorstore.text import terms

GUIDE_QUESTIONS = 6
STARTERS = 3

# A quoted sentence worth studying says something: header lines ("SOVIET AMBASSADOR") do not.
_MIN_WORDS = 6


Skill = Literal["sourcing", "close reading"]
"""The historical-thinking skill a question exercises: who speaks in the source, to whom, when,
in what language and where it is kept; or what it says."""

# A student's first questions of any source, answered from the record's fields.
SOURCING = (
    "Who wrote the {kind}, and under what name?",
    "To whom was the {kind} addressed?",
    "When was the {kind} written?",
    "In what language was the original written?",
    "Where is the original kept?",
)


class StudyQuestion(BaseModel):
    """A question archive-qa answered from the document, with its cited answer."""

    question: str
    answer: Answer
    skill: Skill = "close reading"


class StudyPack(BaseModel):
    document_id: str
    title: str
    starters: list[str]
    guide: list[StudyQuestion]
    quiz: list[QuizItem]
    glossary: list[GlossaryEntry]
    timeline: list[TimelineEntry]


def study_pack(asker: Asker, proposer: Proposer, document: Document) -> StudyPack:
    """The study materials for one document: questions from `proposer`, answered by `asker`."""
    sourcing = sourcing_questions(asker, document)
    reading = answered_questions(asker, proposer, document)
    guide = sourcing + reading
    return StudyPack(
        document_id=document.id,
        title=document.title,
        starters=[q.question for q in [*sourcing[:1], *reading][:STARTERS]],
        guide=guide,
        quiz=quiz(document, first=[q.answer.citations[0] for q in guide]),
        glossary=glossary(document),
        timeline=timeline([document]),
    )


class StructuralProposer:
    """Offline: close-reading questions from the document's structure (its most mentioned names
    and things); the sourcing questions are asked of every document (`SOURCING`)."""

    def propose(self, document: Document) -> list[str]:
        return _candidate_questions(document)


def sourcing_questions(asker: Asker, document: Document) -> list[StudyQuestion]:
    """The sourcing questions archive-qa answers for the document (from its record's fields):
    who wrote it and under what name, to whom, when, in what language, where it is kept."""
    scope = Scope(documents=frozenset({document.id}))
    kept = []
    for template in SOURCING:
        question = template.format(kind=_kind_of(document))
        answer = asker.ask(question, scope=scope)
        if not answer.abstained and answer.citations:
            kept.append(StudyQuestion(question=question, answer=answer, skill="sourcing"))
    return kept


def answered_questions(asker: Asker, proposer: Proposer, document: Document) -> list[StudyQuestion]:
    """Questions about the document that archive-qa answers from it, each with its answer.

    Candidates come from `proposer`; a candidate that `asker` refuses, or answers with a sentence
    an earlier one already quoted, is dropped.
    """
    scope = Scope(documents=frozenset({document.id}))
    kept: list[StudyQuestion] = []
    quoted: set[int] = set()
    for question in dict.fromkeys(proposer.propose(document)):
        answer = asker.ask(question, scope=scope)
        if answer.abstained or not answer.citations or answer.citations[0].start in quoted:
            continue
        if not question.startswith("Who") and len(answer.citations[0].quote.split()) < _MIN_WORDS:
            continue
        quoted.add(answer.citations[0].start)
        kept.append(StudyQuestion(question=question, answer=answer))
        if len(kept) == GUIDE_QUESTIONS:
            break
    return kept


def _candidate_questions(document: Document) -> list[str]:
    # "the Security Council", but "Zhou Enlai": organisations take the article.
    topics = [
        f"the {name}" if kind_of_name(name, " ") == "organisation" else name
        for name, _ in mentions(document).most_common(8)
    ]
    topics += _things(document)
    questions = [f"What is said about {topic}?" for topic in topics]
    return list(dict.fromkeys(questions))


def _kind_of(document: Document) -> str:
    """What the title calls the document ("telegram"), or "document"."""
    found = re.search(rf"\b(?:{DOCUMENT_KINDS})\b", document.title, re.I)
    return found.group().lower() if found else "document"


def _things(document: Document, n: int = 4) -> list[str]:
    """The document's most repeated common nouns, as written ("pilots", "divisions")."""
    start, end = body_of(document)
    words = re.findall(r"\b[a-z][a-z-]{4,}\b", document.text[start:end])
    counts = Counter(w for w in words if terms(w) and not is_nationality(terms(w)[0]))
    return [f"the {w}" for w, c in counts.most_common(n) if c > 1]
