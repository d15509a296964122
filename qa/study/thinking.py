"""Study questions in the four historical-thinking kinds a history teacher asks of a source:
sourcing (whose voice it is, for whom, why, how reliable), context (what was happening around it),
close reading (offers, conditions, answers to proposals, numbers, loaded words) and corroboration
(what other documents of the collection say of the same people and events).

Each question comes from a cue in the record: its fields, its editors' summary and footnotes, and
sentences of its body ("we are ready to send", "If you have made such a decision", "a demand by
the English"). A question is given an answer only when archive-qa answers it with checked quotes
(for a cued question, quoting the sentence it was cued by); otherwise it is a prompt for
discussion, with the passages to read and never an answer. "How reliable" and "why" questions are
always prompts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from qa.answer import Answer, Asker, Citation, Scope, cite
from qa.study.glossary import body_of, glossary, mentions
from qa.study.quiz import counted, item_key
from qa.words import (
    DOCUMENT_KINDS,
    MONTH_NAMES,
    ORGANISATION_WORDS,
    PLACE_WORDS,
    is_nationality,
)
from vectorstore.documents import Document
from vectorstore.text import split_sentences, terms

Skill = Literal["sourcing", "context", "close reading", "corroboration"]
"""The historical-thinking skill a question exercises: whose voice the source is (who wrote it, to
whom, when, why, in what language, where it is kept); what was happening around it; what it says;
what other sources say of the same people and events."""

SKILLS: tuple[Skill, ...] = ("sourcing", "context", "close reading", "corroboration")

# A student's first questions of any source, answered from the record's fields, by what each asks.
SOURCING = {
    "author": "Who wrote the {kind}, and under what name?",
    "recipient": "To whom was the {kind} addressed?",
    "date": "When was the {kind} written?",
    "language": "In what language was the original written?",
    "archive": "Where is the original kept?",
}
# How an offline answer marks a quote from the editors' footnotes (qa.offline.extractive).
_EDITORS = "The editors' footnote"
# Passages a prompt offers to read: a few, not the whole document.
_PASSAGES = 3
# An answer worth studying quotes a sentence that says something: not a heading, a dateline, a
# table row or a stage direction of minutes ("(At this point General Collins entered)").
_MIN_WORDS = 8
_CORROBORATED_NAMES = 2
# Other documents give context when written up to a month before the document or a week after.
_BEFORE, _AFTER = timedelta(days=31), timedelta(days=7)


class StudyQuestion(BaseModel):
    """A question about the document: answered by archive-qa with checked quotes, or, when it
    cannot be (most "how reliable" and many "why" questions), a prompt for discussion with the
    passages to read and no answer."""

    question: str
    skill: Skill = "close reading"
    answer: Answer | None = None
    """None for a prompt."""
    passages: list[Citation] = Field(default_factory=list)
    """What to read beside the answer: for a prompt, the passages to discuss; for a
    corroboration question, this document's side (the answer quotes the other documents)."""
    key: str = ""
    """Names the question to a teacher's edits (qa.study.edits): made from its first wording,
    kept when a teacher rewords it."""

    @model_validator(mode="after")
    def _keyed(self) -> StudyQuestion:
        self.key = self.key or item_key("question", self.question)
        return self


# -- sourcing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sourced:
    """What the record says of itself (its author, recipient, date, language, archive), as
    archive-qa quoted it answering the sourcing questions: the other questions build on it."""

    said: dict[str, list[Citation]]

    def quoted(self, *aspects: str) -> list[Citation]:
        """The passages that state `aspects`, each wording once."""
        cited = [c for a in aspects for c in self.said.get(a, [])]
        once = {" ".join(c.quote.split()).lower(): c for c in cited}
        return [c.model_copy(update={"n": n}) for n, c in enumerate(once.values(), start=1)]

    @property
    def author(self) -> str:
        """The author as a question names them: the name behind a pseudonym ("Filippov
        [Stalin]": Stalin), the holder of an office ("The Ambassador in India (Henderson)":
        Henderson), a short name as it is, else "the writer"."""
        for c in self.said.get("author", []):
            said = " ".join(c.quote.split())
            named = _NAMED_IN.search(said)
            if named:
                return named["bracket"] or named["paren"]
            if len(said.split()) <= 3:
                return said.title() if said.isupper() else said
        return "the writer"

    @property
    def when(self) -> str:
        """ " (July 13, 1950)": the record's date as it gives it, or ""."""
        dates = self.said.get("date", [])
        return f" ({dates[0].quote.strip()})" if dates else ""


_NAMED_IN = re.compile(r"\[(?P<bracket>[^\]]+)\]|\((?!via\b)(?P<paren>[^)]+)\)")


def sourcing_questions(asker: Asker, document: Document) -> tuple[list[StudyQuestion], Sourced]:
    """Who wrote it and under what name, to whom, when, in what language, where it is kept
    (answered from the record's fields, kept only when cited); then prompts on why it was written,
    whose voice it is and how far to trust it. With what the answers quote, for the rest."""
    scope = Scope(documents=frozenset({document.id}))
    kept: list[StudyQuestion] = []
    said: dict[str, list[Citation]] = {}
    for aspect, template in SOURCING.items():
        question = template.format(kind=kind_of(document))
        answer = asker.ask(question, scope=scope)
        if not answer.abstained and answer.citations:
            kept.append(StudyQuestion(question=question, answer=answer, skill="sourcing"))
            said[aspect] = answer.citations
    sourced = Sourced(said)
    return kept + list(_sourcing_prompts(document, sourced)), sourced


_PSEUDONYM = re.compile(r"(?P<alias>[\w .’'-]+?)\s*\[(?P<name>[^\]]+)\]")  # noqa: RUF001
_REPORTED = re.compile(
    r"\b(?:reports?|reported|according to|states? that|stated that|informed (?:me|us|him) that|"
    r"told (?:me|us|him) that|said that)\b"
)
_UNATTRIBUTED = re.compile(
    r"\b[Ii]t was (?:stated|agreed|pointed out|suggested|noted|felt|understood|reported)\b"
)
_REQUEST = re.compile(
    r"^\W*(?:Communicate|Inform|Tell|Please|Report|Request)\b|\b(?:we|I) (?:ask|request|urge)\b"
)


def _sourcing_prompts(document: Document, sourced: Sourced) -> Iterator[StudyQuestion]:
    kind, author = kind_of(document), sourced.author
    parties = sourced.quoted("author", "recipient")[:_PASSAGES]
    for signed in parties[:1]:
        alias = _PSEUDONYM.fullmatch(signed.quote.strip())
        if alias:
            yield _prompt(
                f"Why might {alias['name']} have signed the {kind} “{alias['alias'].strip()}”?",
                "sourcing", [signed],
            )  # fmt: skip
    unnamed = _cued(document, _UNATTRIBUTED)
    if unnamed:
        said = _UNATTRIBUTED.search(unnamed[0].quote)
        assert said is not None
        yield _prompt(
            f"Who is speaking when the {kind} says “{said.group().lower()}”? Why might it not "
            "name the speaker?",
            "sourcing", unnamed,
        )  # fmt: skip
    elif reported := _cued(document, _REPORTED):
        yield _prompt(
            f"The {kind} reports what others said. Whose words are these: {author}'s or the "
            f"speakers'? What might {author} have left out or shaped?",
            "sourcing", reported,
        )  # fmt: skip
    requests = _cued(document, _REQUEST)
    if requests:
        yield _prompt(
            f"Why was the {kind} written, and what did {author} want from its readers?",
            "sourcing", requests,
        )  # fmt: skip
    grounds = parties or sourced.quoted("date", "archive")[:_PASSAGES]
    if grounds:
        yield _prompt(
            f"How reliable is the {kind} as evidence of what {author} thought and intended? "
            "Consider who wrote it, for whom, when and why.",
            "sourcing", grounds,
        )  # fmt: skip
    language = sourced.quoted("language")
    if language and "english" not in language[0].quote.lower():
        yield _prompt(
            f"The original is in {language[0].quote.strip()}; you read a translation. "
            "What might be lost or changed in translation?",
            "sourcing", language,
        )  # fmt: skip


# -- context --------------------------------------------------------------------------------------


def context_questions(
    asker: Asker, document: Document, others: list[Document], sourced: Sourced
) -> list[StudyQuestion]:
    """What was happening around the document: what other documents of the collection written
    about then say (answered), and what the editors' summary and footnotes say (a prompt)."""
    found = []
    when = _date_of(document)
    kinds = {e.term: e.kind for e in glossary(document)}
    place = next((n for n, _ in _named(document) if kinds[n] == "place"), None)
    near = [
        d.id for d in others
        if when and (d_when := _date_of(d)) and when - _BEFORE <= d_when <= when + _AFTER
    ]  # fmt: skip
    if when and place and near:
        question = f"What was happening in {topic(place, 'place')} in {when:%B %Y}?"
        answer = asker.ask(question, scope=Scope(documents=frozenset(near)))
        if says_something(answer):
            shown = f"What do other documents of the time say was happening in {topic(place)}?"
            found.append(StudyQuestion(question=shown, skill="context", answer=answer))
    notes = _editors_notes(document)
    if notes:
        found.append(
            _prompt(
                f"What was happening when the {kind_of(document)} was written{sourced.when}? "
                "Start from what the editors say, and what you know of the time.",
                "context",
                notes,
            )
        )
    elif earlier := [c for c in _cued(document, _DATED, None) if _telling(c.quote, "")][:_PASSAGES]:
        found.append(
            _prompt(
                f"The {kind_of(document)} refers to earlier events and papers. What was happening "
                f"then, and how does it explain what the {kind_of(document)} says?",
                "context",
                earlier,
            )
        )
    return found


_DATED = re.compile(rf"\b(?:1[89]\d\d|{MONTH_NAMES})\b")
_REFERENCE = re.compile(r"\b(?:see|not printed|printed|for text)\b", re.I)


def _editors_notes(document: Document) -> list[Citation]:
    """The editors' summary, else their footnotes that speak of dated events (rather than only
    point to another page)."""
    notes = []
    for section in document.sections:
        if section.name not in ("Summary", "Footnotes"):
            continue
        for s in split_sentences(document.text, section.start, section.end):
            text = document.text[s.start : s.end]
            if len(text.split()) < _MIN_WORDS:
                continue
            weight = 3 if section.name == "Summary" else 0
            weight += bool(_DATED.search(text)) - bool(_REFERENCE.search(text))
            if weight > 0:
                notes.append((-weight, s.start, cite(document, s.start, s.end)))
    best = sorted(notes, key=lambda n: n[:2])[:_PASSAGES]
    return [c for *_, c in sorted(best, key=lambda n: n[1])]


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
        if says_something(answer) and any(_overlaps(c, cue) for c in answer.citations):
            found[about] = StudyQuestion(question=question, answer=answer)
        else:
            found.setdefault(about, _prompt(question, "close reading", [cue]))
    loaded = _cued(document, _LOADED)
    if loaded:
        word = _LOADED.search(loaded[0].quote)
        assert word is not None
        found["loaded"] = _prompt(
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
    offers = [s for s in _cued(document, _OFFER) if not s.quote.rstrip('"”').endswith("?")]
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
    for s in _cued(document, _PROPOSED, limit=None):
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
    for name, mention in _named(document):
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
                passages=reading[:_ESSAY_PASSAGES],
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
                passages=_once([*own, *others])[:_ESSAY_PASSAGES],
            )
        )
    return essays


_ESSAY_PASSAGES = 4


def _first_citations(guide: list[StudyQuestion], skill: Skill) -> list[Citation]:
    """The first quote of each answered question of `skill`, each passage once."""
    return _once([q.answer.citations[0] for q in guide if q.skill == skill and q.answer])


def _once(citations: list[Citation]) -> list[Citation]:
    """Each passage once, where it first comes."""
    kept: dict[tuple[str, int, int], Citation] = {}
    for c in citations:
        kept.setdefault((c.document_id, c.start, c.end), c)
    return list(kept.values())


# -- shared ---------------------------------------------------------------------------------------


def kind_of(document: Document) -> str:
    """What the title calls the document ("telegram"), or "document"."""
    found = re.search(rf"\b(?:{DOCUMENT_KINDS})\b", document.title, re.I)
    return found.group().lower() if found else "document"


def topic(name: str, kind: str = "") -> str:
    """A name as a question says it: "the Security Council", "the Far East", "Zhou Enlai"."""
    first, last = name.split()[0], set(terms(name.split()[-1]))
    if kind == "organisation" or first in ("Far", "Middle", "Near", "United"):
        return f"the {name}"
    return f"the {name}" if (ORGANISATION_WORDS | PLACE_WORDS) & last else name


def says_something(answer: Answer) -> bool:
    """Whether an answer quotes first a sentence of a document's own text that says something:
    not the editors' footnote, a heading, a dateline, a table row, a stage direction or a
    question."""
    if answer.abstained or not answer.citations or answer.answer.startswith(_EDITORS):
        return False
    quote = " ".join(answer.citations[0].quote.split())
    # A question in the source ("Did we know what Wuchow was ...?") answers nothing.
    asked = quote.rstrip("\"”'’").endswith("?")  # noqa: RUF001
    return (
        len(quote.split()) >= _MIN_WORDS and "|" not in quote and quote[0] not in "([" and not asked
    )


def speaks_of(text: str, name: str) -> bool:
    """Whether `text` names `name` itself, not a longer name ending in it ("National Security
    Council" is not the Security Council)."""
    return re.search(rf"(?<![A-Z][\w.]\s)(?<![A-Z]\w\w\s)\b{re.escape(name)}\b", text) is not None


def _prompt(question: str, skill: Skill, passages: list[Citation]) -> StudyQuestion:
    return StudyQuestion(question=question, skill=skill, passages=passages)


def _cued(
    document: Document, cue: re.Pattern[str], limit: int | None = _PASSAGES
) -> list[Citation]:
    """The sentences of the document's body in which `cue` is found (not table rows), cited."""
    start, end = body_of(document)
    spans = [s for s in split_sentences(document.text, start, end)
             if cue.search(text := document.text[s.start : s.end]) and "|" not in text]  # fmt: skip
    return [cite(document, s.start, s.end) for s in spans[:limit]]


def _overlaps(a: Citation, b: Citation) -> bool:
    return a.document_id == b.document_id and a.start < b.end and b.start < a.end


def _named(document: Document) -> Iterator[tuple[str, Citation]]:
    """The people, places, organisations and other names the body names most, each with the
    first sentence that says something of it."""
    start, end = body_of(document)
    sentences = split_sentences(document.text, start, end)
    kinds = {e.term: e.kind for e in glossary(document)}
    for name, count in mentions(document).most_common(10):
        # An untyped name is a name still when the document repeats it ("re Tibet").
        kind = kinds.get(name)
        if kind is None or kind == "date" or (kind == "other" and count < 2):
            continue
        first = next((s for s in sentences if _telling(document.text[s.start : s.end], name)), None)
        if first is not None:
            yield name, cite(document, first.start, first.end)


def _telling(sentence: str, name: str) -> bool:
    """Whether a sentence names `name` (any, if "") and says something of it."""
    text = " ".join(sentence.split())
    named = speaks_of(text, name) if name else True
    return named and len(text.split()) >= _MIN_WORDS and "|" not in text


def _date_of(document: Document) -> date | None:
    try:
        return date.fromisoformat(document.date or "")
    except ValueError:
        return None
