"""The study guide's question, the historical-thinking skill it exercises, and the reading its
makers share (qa.study.thinking, qa.study.reading): what a document calls itself, how a question
names a name, which sentences a cue finds, whether an answer says something worth studying.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from qa.answer import Answer, Citation, cite
from qa.study.glossary import body_of, glossary, mentions
from qa.study.quiz import item_key
from qa.words import DOCUMENT_KINDS, ORGANISATION_WORDS, PLACE_WORDS
from vectorstore.documents import Document
from vectorstore.text import split_sentences, terms

Skill = Literal["sourcing", "context", "close reading", "corroboration"]
"""The historical-thinking skill a question exercises: whose voice the source is (who wrote it, to
whom, when, why, in what language, where it is kept); what was happening around it; what it says;
what other sources say of the same people and events."""

SKILLS: tuple[Skill, ...] = ("sourcing", "context", "close reading", "corroboration")

# How an offline answer marks a quote from the editors' footnotes (qa.offline.extractive).
EDITORS = "The editors' footnote"
# Passages a prompt offers to read: a few, not the whole document.
PASSAGES = 3
# An answer worth studying quotes a sentence that says something: not a heading, a dateline, a
# table row or a stage direction of minutes ("(At this point General Collins entered)").
MIN_WORDS = 8


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
    if answer.abstained or not answer.citations or answer.answer.startswith(EDITORS):
        return False
    quote = " ".join(answer.citations[0].quote.split())
    # A question in the source ("Did we know what Wuchow was ...?") answers nothing.
    asked = quote.rstrip("\"”'’").endswith("?")  # noqa: RUF001
    return (
        len(quote.split()) >= MIN_WORDS and "|" not in quote and quote[0] not in "([" and not asked
    )


def speaks_of(text: str, name: str) -> bool:
    """Whether `text` names `name` itself, not a longer name ending in it ("National Security
    Council" is not the Security Council)."""
    return re.search(rf"(?<![A-Z][\w.]\s)(?<![A-Z]\w\w\s)\b{re.escape(name)}\b", text) is not None


def prompt_with(question: str, skill: Skill, passages: list[Citation]) -> StudyQuestion:
    """A question for discussion: the passages to read, and no answer."""
    return StudyQuestion(question=question, skill=skill, passages=passages)


def cued(document: Document, cue: re.Pattern[str], limit: int | None = PASSAGES) -> list[Citation]:
    """The sentences of the document's body in which `cue` is found (not table rows), cited."""
    start, end = body_of(document)
    spans = [s for s in split_sentences(document.text, start, end)
             if cue.search(text := document.text[s.start : s.end]) and "|" not in text]  # fmt: skip
    return [cite(document, s.start, s.end) for s in spans[:limit]]


def overlaps(a: Citation, b: Citation) -> bool:
    """Whether two citations quote overlapping text of one document."""
    return a.document_id == b.document_id and a.start < b.end and b.start < a.end


def named_most(document: Document) -> Iterator[tuple[str, Citation]]:
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
        first = next((s for s in sentences if tells_of(document.text[s.start : s.end], name)), None)
        if first is not None:
            yield name, cite(document, first.start, first.end)


def tells_of(sentence: str, name: str) -> bool:
    """Whether a sentence names `name` (any, if "") and says something of it."""
    text = " ".join(sentence.split())
    named = speaks_of(text, name) if name else True
    return named and len(text.split()) >= MIN_WORDS and "|" not in text
