"""Guided study: starter questions, a study guide, a quiz, a glossary and a timeline for a
document, each item cited verbatim.

Offline, everything is built from the document's own sentences and structure; with a language
model, the model also proposes questions a teacher would ask. Either way a question is suggested
only after archive-qa has answered it from the document (one it cannot answer is never shown),
and the quiz is made from those answers, so every item traces to a quoted sentence.
"""

from __future__ import annotations

import re
from collections import Counter

from pydantic import BaseModel

from qa.answer import Answer, Asker, Citation, Proposer, Scope
from qa.study.glossary import (
    GlossaryEntry,
    TimelineEntry,
    body_of,
    glossary,
    kind_of_name,
    mentions,
    timeline,
)
from qa.words import DOCUMENT_KINDS, is_nationality
from vectorstore.documents import Document
from vectorstore.text import terms

GUIDE_QUESTIONS = 6
STARTERS = 3
QUIZ_ITEMS = 4
BLANK = "_____"

# A quoted sentence worth studying says something: header lines ("SOVIET AMBASSADOR") do not.
_MIN_WORDS = 6
_NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(?:two|three|four|five|six|seven|eight|nine|ten)\b", re.I)


class StudyQuestion(BaseModel):
    """A question archive-qa answered from the document, with its cited answer."""

    question: str
    answer: Answer


class QuizItem(BaseModel):
    """Fill in the blank in a sentence of the document; the key cites the sentence."""

    prompt: str
    choices: list[str]
    answer: str
    source: Citation


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
        quiz=quiz(guide, document),
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


def quiz(guide: list[StudyQuestion], document: Document) -> list[QuizItem]:
    """Fill-in-the-blank items from the sentences the guide's answers quote: the blank is a
    number or a name in the sentence, the other choices are numbers or names from elsewhere in
    the document."""
    numbers = list(
        dict.fromkeys(m.group() for m in _NUMBER.finditer(document.text, *body_of(document)))
    )
    names = [n for n, _ in mentions(document).most_common()]
    items: list[QuizItem] = []
    for studied in guide:
        source = studied.answer.citations[0]
        if len(source.quote.split()) < _MIN_WORDS:  # a signature line is no sentence to complete
            continue
        blank, pool = _blank_in(source.quote, numbers, names)
        if blank is None or any(item.answer == blank for item in items):
            continue
        others = [p for p in pool if p != blank and p not in source.quote][:3]
        if not others:
            continue
        prompt = source.quote.replace(blank, BLANK, 1)
        items.append(
            QuizItem(prompt=" ".join(prompt.split()), choices=sorted([blank, *others]),
                     answer=blank, source=source)
        )  # fmt: skip
        if len(items) == QUIZ_ITEMS:
            break
    return items


def _blank_in(quote: str, numbers: list[str], names: list[str]) -> tuple[str | None, list[str]]:
    for number in _NUMBER.findall(quote):
        if not re.fullmatch(r"\d{1,2}[.)]?", number.strip()):  # not a list label
            return number, numbers
    for name in names:
        if name in quote:
            return name, names
    return None, []
