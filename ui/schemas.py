"""The JSON API's request and response models (ui/api.py serves them; /docs shows them)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from qa.answer import MAX_QUESTION_CHARS, Scope, Turn
from qa.library import Document
from qa.study import Skill

MAX_HISTORY_TURNS = 50
MAX_SCOPE_DOCUMENTS = 5_000


_ISO_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"


class AskRequest(BaseModel):
    question: str = Field(
        description=f"The question, in plain language (up to {MAX_QUESTION_CHARS} characters).",
    )
    stream: bool = Field(
        default=False,
        description="Answer as server-sent events: a `sentence` event per checked sentence "
        "with its citations, then an `answer` event holding the whole answer contract.",
    )
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="The conversation so far, oldest first, for follow-up questions "
        f"(at most {MAX_HISTORY_TURNS} turns; only the last few are read).",
    )
    documents: list[str] | None = Field(
        default=None,
        max_length=MAX_SCOPE_DOCUMENTS,
        description="Search only these document ids (GET /api/documents).",
    )
    collection: str | None = Field(
        default=None,
        max_length=200,
        description="Search only this collection (GET /api/collections).",
    )
    since: str | None = Field(
        default=None,
        pattern=_ISO_DATE,
        description="Only documents dated on or after (YYYY[-MM[-DD]]).",
    )
    until: str | None = Field(
        default=None,
        pattern=_ISO_DATE,
        description="Only documents dated on or before (YYYY[-MM[-DD]]).",
    )

    def scope(self) -> Scope | None:
        return Scope.of(
            documents=self.documents, collection=self.collection, since=self.since,
            until=self.until,
        )  # fmt: skip


class DocumentSummary(BaseModel):
    id: str
    title: str
    date: str | None
    citation: str | None
    url: str | None


class Collection(BaseModel):
    name: str
    documents: list[str] = Field(description="Document ids, in the order they were added.")


class CollectionChange(BaseModel):
    documents: list[str] = Field(description="Document ids to put in the collection.")


class DocumentSection(BaseModel):
    """A labelled part of a document's text, and who speaks in it."""

    name: str = Field(description='Its label in the record ("Citation", "Contents", "Footnotes").')
    start: int = Field(description="Where its body starts in the text.")
    end: int = Field(description="Where its body ends: text[start:end] is the body.")
    part: str = Field(
        description='Who speaks in it: "document" (its own text), "editors" (the publishing '
        'editors\' footnotes), "summary" (the archive\'s summary) or "apparatus" (the '
        "archive's description: title, citation, source note)."
    )
    speaker: str = Field(description='Who speaks, in words ("the editors\' notes").')


class DocumentText(DocumentSummary):
    text: str = Field(description="The stored text; citations' start/end index into it.")
    sections: list[DocumentSection] = Field(
        description="Its labelled parts, in order; the text between them is the record's "
        "labels and markup."
    )
    summary: str | None
    original_language: str | None
    date_display: str = Field(description='The date as written in prose ("July 13, 1950").')
    cite_note: str = Field(description="Chicago notes-bibliography style: the note.")
    cite_bibliography: str = Field(description="Chicago notes-bibliography style: the entry.")


def sections_of(document: Document) -> list[DocumentSection]:
    """A document's labelled parts, each with who speaks in it."""
    return [
        DocumentSection(
            name=s.name, start=s.start, end=s.end, part=s.part.name.lower(), speaker=s.part.value
        )
        for s in document.sections
    ]


def summary_of(document: Document) -> DocumentSummary:
    """A document's catalogue entry."""
    return DocumentSummary(
        id=document.id, title=document.title, date=document.date, citation=document.citation,
        url=document.url,
    )  # fmt: skip


class AddedQuestion(BaseModel):
    """A teacher's own question for a document's study guide."""

    question: str = Field(max_length=MAX_QUESTION_CHARS, description="The question, as asked.")
    skill: Skill = Field(default="close reading", description="The skill it exercises.")


class StudyItem(BaseModel):
    """An item of a document's study materials a teacher may hide from its students."""

    key: str
    label: str
    hidden: bool
