"""Study questions of the last two historical-thinking kinds: close reading (what the document
offers and on what condition, how it answers a proposal, what its numbers count, which words
judge) and corroboration (what other documents of the collection say of the same people and
places); and essay questions keyed to the sentences a strong answer cites.

A cued question ("What did Stalin offer?", from "we are ready to send") is given an answer only
when archive-qa's answer quotes the sentence that cued it; otherwise it is a prompt with that
sentence to read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from qa.answer import Asker, Citation, Scope, cite
from qa.study.glossary import glossary
from qa.study.question import (
    Skill,
    StudyQuestion,
    cued,
    kind_of,
    named_most,
    overlaps,
    prompt_with,
    says_something,
    speaks_of,
    topic,
)
from qa.study.quiz import counted
from qa.words import is_nationality
from vectorstore.documents import Document
from vectorstore.text import terms

_CORROBORATED_NAMES = 2

# -- close reading --------------------------------------------------------------------------------


_OFFER = re.compile(
    r"\b(?:we|I)\s+(?:are|am|were|was|would be|shall be|will be)\s+(?:ready|prepared|willing)"
    r" to\b|\b(?:we|I)\s+(?:offer|propose|will send|shall send|can send)\b",
    re.I,
)
_CONDITION = re.compile(
    r"^\W*(?:\d+\.\s*)?If\b|\bprovided (?:that|only)\b|\bon (?:the )?condition\b"
)
_READY = re.compile(
    r"\b(?:are|is|am|were|was) (?P<ready>ready|prepared|willing) to (?P<verb>[a-z]+) "
    r"(?:(?:you|us|them|him|her) )?(?P<thing>[^—;,.:\"”]{3,60}?)"
    r"(?=\s*(?:[—;,.:\"”]|\s(?:for|to|in|if)\s))"
)
_PROPOSED = re.compile(
    r"\b(?:the\s+)?(?P<who>[A-Z][a-z]+)\s+(?:have\s+|has\s+|had\s+)?(?:officially\s+|formally\s+)?"
    r"(?P<act>appealed|proposed|demanded|requested|suggested|protested)\b"
    r"|\b(?P<noun>demand|proposal|request|appeal|protest)\s+(?:by|of|from)\s+the\s+(?P<by>[A-Z][a-z]+)"
)
_ACT_NOUNS = {
    "appealed": "appeal", "proposed": "proposal", "demanded": "demand", "requested": "request",
    "suggested": "suggestion", "protested": "protest",
}  # fmt: skip
_LOADED = re.compile(
    r"\b(?:impertinent|unacceptable|aggressive|aggression|aggressors?|imperialists?|imperialism|"
    r"reactionar(?:y|ies)|puppets?|bandits?|insolent|provocations?|provocative|outrageous|"
    r"treacherous|slander(?:ous)?|lackeys?|warmongers?|barbarous|brutal|heroic|glorious|"
    r"so-called|deplorable|intolerable|absurd|unjust|criminal)\b"
)
# Amounts of time ask "how long", not "what were".
_DURATIONS = frozenset(terms("hours days weeks months years minutes"))


def close_reading_questions(asker: Asker, document: Document, author: str) -> list[StudyQuestion]:
    """What the document offers and on what condition, how it answers a proposal, what its
    numbers count (each answered when archive-qa quotes the sentence it was asked of, else a
    prompt with that sentence), and which words judge (a prompt)."""
    scope = Scope(documents=frozenset({document.id}))
    found: dict[str, StudyQuestion] = {}
    for question, cue, about in _cued_questions(document, author):
        if about in found and found[about].answer is not None:
            continue
        answer = asker.ask(question, scope=scope)
        if says_something(answer) and any(overlaps(c, cue) for c in answer.citations):
            found[about] = StudyQuestion(question=question, answer=answer)
        else:
            found.setdefault(about, prompt_with(question, "close reading", [cue]))
    loaded = cued(document, _LOADED)
    if loaded:
        word = _LOADED.search(loaded[0].quote)
        assert word is not None
        found["loaded"] = prompt_with(
            f"The {kind_of(document)} calls something “{word.group()}”. What does the word "
            f"tell you about {author}'s view, and what would the other side "
            "have called it?",
            "close reading",
            loaded[:1],
        )
    return list(found.values())


def _cued_questions(document: Document, author: str) -> Iterator[tuple[str, Citation, str]]:
    """Close-reading questions cued by sentences of the body, each with its sentence and what it
    asks about: of the questions about one thing, the first archive-qa answers is kept."""
    offers = [s for s in cued(document, _OFFER) if not s.quote.rstrip('"”').endswith("?")]
    if offers:
        yield f"What did {author} offer?", offers[0], "offer"
    for s in offers:
        ready = _READY.search(s.quote)
        if ready and _CONDITION.search(s.quote):
            thing = ready["thing"].strip()
            condition = (
                f"On what condition was {author} {ready['ready']} to {ready['verb']} {thing}?"
            )
            yield condition, s, "condition"
            break
    asked = set()
    for s in cued(document, _PROPOSED, limit=None):
        for match in _PROPOSED.finditer(s.quote):
            who, noun = (match["who"], _ACT_NOUNS[match["act"]]) if match["who"] else (
                match["by"], match["noun"])  # fmt: skip
            if terms(who) and is_nationality(terms(who)[0]) and (who, noun) not in asked:
                asked.add((who, noun))
                yield f"How did {author} answer the {who} {noun}?", s, who
    numbered: set[str] = set()
    for amount in counted(document):
        unit = amount.unit
        plural = unit.endswith("s") and not unit.endswith("ss")
        if not plural or terms(unit)[0] in _DURATIONS or unit in numbered or len(numbered) == 2:
            continue
        numbered.add(unit)
        sentence = cite(document, amount.sentence.start, amount.sentence.end)
        yield f"What were the {amount.phrase}?", sentence, amount.phrase


# -- corroboration --------------------------------------------------------------------------------


def corroboration_questions(
    asker: Asker, document: Document, others: list[Document]
) -> list[StudyQuestion]:
    """What other documents say of the people, places and organisations this one names most,
    each with this document's passage beside the other documents' answer."""
    if not others:
        return []
    scope = Scope(documents=frozenset(d.id for d in others))
    found = []
    kinds = {e.term: e.kind for e in glossary(document)}
    for name, mention in named_most(document):
        answer = asker.ask(f"What is said about {topic(name, kinds[name])}?", scope=scope)
        if not says_something(answer) or not speaks_of(answer.citations[0].quote, name):
            continue
        found.append(
            StudyQuestion(
                question=f"What do other documents say about {topic(name, kinds[name])}? Does it "
                "agree with "
                f"what this {kind_of(document)} says?",
                skill="corroboration",
                answer=answer,
                passages=[mention],
            )
        )
        if len(found) == _CORROBORATED_NAMES:
            break
    return found


# -- essays ---------------------------------------------------------------------------------------


def essay_questions(
    document: Document, guide: list[StudyQuestion], author: str
) -> list[StudyQuestion]:
    """Questions to write on at length, each with its key: the cited sentences a strong answer
    would use, from the guide's answers (what the document says; how other documents compare)."""
    kind, essays = kind_of(document), []
    reading = _first_citations(guide, "close reading")
    if len(reading) >= 2:
        aims = f"{author}'s aims" if author != "the writer" else "its writer's aims"
        essays.append(
            StudyQuestion(
                question=f"What does the {kind} show of {aims}? Answer in a paragraph that "
                "cites at least two passages.",
                skill="close reading",
                passages=reading[:_ESSAYPASSAGES],
            )
        )
    others = _first_citations(guide, "corroboration")
    own = [c for q in guide if q.skill == "corroboration" for c in q.passages]
    if others:
        essays.append(
            StudyQuestion(
                question=f"Compare the {kind} with the other documents that speak of the same "
                "people and places: where do they agree, where do they differ, and why might "
                "they?",
                skill="corroboration",
                passages=_once([*own, *others])[:_ESSAYPASSAGES],
            )
        )
    return essays


_ESSAYPASSAGES = 4


def _first_citations(guide: list[StudyQuestion], skill: Skill) -> list[Citation]:
    """The first quote of each answered question of `skill`, each passage once."""
    return _once([q.answer.citations[0] for q in guide if q.skill == skill and q.answer])


def _once(citations: list[Citation]) -> list[Citation]:
    """Each passage once, where it first comes."""
    kept: dict[tuple[str, int, int], Citation] = {}
    for c in citations:
        kept.setdefault((c.document_id, c.start, c.end), c)
    return list(kept.values())
