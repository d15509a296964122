"""Study questions of the first two historical-thinking kinds a history teacher asks of a
source: sourcing (whose voice it is, for whom, why, how reliable) and context (what was happening
around it); qa.study.reading asks the other two.

Each question comes from a cue in the record: its fields, its editors' summary and footnotes, and
sentences of its body. A question is given an answer only when archive-qa answers it with checked
quotes; otherwise it is a prompt for discussion, with the passages to read and never an answer.
"Why" and "how reliable" questions are always prompts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from qa.answer import Asker, Citation, Scope, cite
from qa.study.glossary import PSEUDONYM, glossary
from qa.study.question import (
    MIN_WORDS,
    PASSAGES,
    StudyQuestion,
    cued,
    kind_of,
    named_most,
    prompt_with,
    says_something,
    tells_of,
    topic,
)
from qa.words import MONTH_NAMES
from vectorstore.documents import Document
from vectorstore.text import split_sentences

# A student's first questions of any source, answered from the record's fields, by what each asks.
SOURCING = {
    "author": "Who wrote the {kind}, and under what name?",
    "recipient": "To whom was the {kind} addressed?",
    "date": "When was the {kind} written?",
    "language": "In what language was the original written?",
    "archive": "Where is the original kept?",
}
# Other documents give context when written up to a month before the document or a week after.
_BEFORE, _AFTER = timedelta(days=31), timedelta(days=7)


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
    parties = sourced.quoted("author", "recipient")[:PASSAGES]
    for signed in parties[:1]:
        alias = PSEUDONYM.fullmatch(signed.quote.strip())
        if alias:
            yield prompt_with(
                f"Why might {alias['name']} have signed the {kind} “{alias['alias'].strip()}”?",
                "sourcing", [signed],
            )  # fmt: skip
    unnamed = cued(document, _UNATTRIBUTED)
    if unnamed:
        said = _UNATTRIBUTED.search(unnamed[0].quote)
        assert said is not None
        yield prompt_with(
            f"Who is speaking when the {kind} says “{said.group().lower()}”? Why might it not "
            "name the speaker?",
            "sourcing", unnamed,
        )  # fmt: skip
    elif reported := cued(document, _REPORTED):
        yield prompt_with(
            f"The {kind} reports what others said. Whose words are these: {author}'s or the "
            f"speakers'? What might {author} have left out or shaped?",
            "sourcing", reported,
        )  # fmt: skip
    requests = cued(document, _REQUEST)
    if requests:
        yield prompt_with(
            f"Why was the {kind} written, and what did {author} want from its readers?",
            "sourcing", requests,
        )  # fmt: skip
    grounds = parties or sourced.quoted("date", "archive")[:PASSAGES]
    if grounds:
        yield prompt_with(
            f"How reliable is the {kind} as evidence of what {author} thought and intended? "
            "Consider who wrote it, for whom, when and why.",
            "sourcing", grounds,
        )  # fmt: skip
    language = sourced.quoted("language")
    if language and "english" not in language[0].quote.lower():
        yield prompt_with(
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
    place = next((n for n, _ in named_most(document) if kinds[n] == "place"), None)
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
            prompt_with(
                f"What was happening when the {kind_of(document)} was written{sourced.when}? "
                "Start from what the editors say, and what you know of the time.",
                "context",
                notes,
            )
        )
    elif earlier := [c for c in cued(document, _DATED, None) if tells_of(c.quote, "")][:PASSAGES]:
        found.append(
            prompt_with(
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
            if len(text.split()) < MIN_WORDS:
                continue
            weight = 3 if section.name == "Summary" else 0
            weight += bool(_DATED.search(text)) - bool(_REFERENCE.search(text))
            if weight > 0:
                notes.append((-weight, s.start, cite(document, s.start, s.end)))
    best = sorted(notes, key=lambda n: n[:2])[:PASSAGES]
    return [c for *_, c in sorted(best, key=lambda n: n[1])]


def _date_of(document: Document) -> date | None:
    """The record's date, if it has a full one."""
    try:
        return date.fromisoformat(document.date or "")
    except ValueError:
        return None
