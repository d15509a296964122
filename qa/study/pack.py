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


class StudyQuestion(BaseModel):
    """A question archive-qa answered from the document, with its cited answer."""

    question: str
    answer: Answer


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
    guide = answered_questions(asker, proposer, document)
    return StudyPack(
        document_id=document.id,
        title=document.title,
        starters=[q.question for q in guide[:STARTERS]],
        guide=guide,
        quiz=quiz(document, first=[q.answer.citations[0] for q in guide]),
        glossary=glossary(document),
        timeline=timeline([document]),
    )


class StructuralProposer:
    """Offline: questions from the document's structure (who sent it, its most mentioned names
    and things)."""

    def propose(self, document: Document) -> list[str]:
        return _candidate_questions(document)


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
    questions = [f"Who sent the {_kind_of(document)}?"]
    questions += [f"What is said about {topic}?" for topic in topics]
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
