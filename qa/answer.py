"""The answer contract: what every answerer returns and every interface formats.

``{"question", "answer", "abstained", "mode", "notice", "citations": [...]}``; each citation's
``quote`` equals the stored document text ``[start:end]``, and every ``[n]`` in ``answer`` has one.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from vectorstore.documents import Document
from vectorstore.errors import QuestionError

Mode = Literal["extractive", "llm"]
MAX_QUESTION_CHARS = 1000
_MARKER = re.compile(r"\[(\d+)\]")


class Citation(BaseModel):
    """One verified passage of a source document, with its archival citation."""

    n: int = Field(description="The number used as [n] in the answer text.")
    document_id: str
    title: str
    chunk_id: str
    quote: str = Field(description="Verbatim text of the document: text[start:end].")
    start: int
    end: int
    citation: str | None = Field(description="Archival citation (archive, fond, delo ...).")
    url: str | None
    date: str | None = None


def cite(document: Document, start: int, end: int, *, n: int = 1, chunk_id: str = "") -> Citation:
    """The citation of ``document.text[start:end]``: the quote is cut from the stored text, so it is
    verbatim by construction."""
    return Citation(
        n=n, document_id=document.id, title=document.title, chunk_id=chunk_id,
        quote=document.text[start:end], start=start, end=end, citation=document.citation,
        url=document.url, date=document.date,
    )  # fmt: skip


class Answer(BaseModel):
    """A cited answer, or an abstention said plainly."""

    question: str
    answer: str
    abstained: bool
    mode: Mode
    notice: str | None = None
    citations: list[Citation] = Field(default_factory=list)


class Sentence(BaseModel):
    """One sentence of an answer with the citations its markers name: what a stream sends at a
    time (``POST /api/ask`` with ``"stream": true``)."""

    text: str
    citations: list[Citation] = Field(default_factory=list)


Streamed = Sentence | Answer
"""What an answer stream yields: each sentence once its citations are verified, then the whole
answer."""

# A sentence runs up to its citation markers (and the full stop after them, if any).
_SENTENCE = re.compile(r"\s*(.+?(?:\s*\[\d+\])+[.;,]?)(?=\s|$)|\s*(.+?)\s*$", re.S)


def sentences_of(answer: Answer) -> list[Sentence]:
    """The answer as its sentences, in order, each with its citations (an abstention is one
    sentence with none); their texts joined by spaces are the answer's text."""
    by_number = {c.n: c for c in answer.citations}
    found = []
    for match in _SENTENCE.finditer(answer.answer):
        text = match.group(1) or match.group(2)
        if text:
            cited = [by_number[n] for n in sorted(cited_numbers(text)) if n in by_number]
            found.append(Sentence(text=text, citations=cited))
    return found


def cited_numbers(text: str) -> set[int]:
    """The citation numbers ``[n]`` used in an answer text."""
    return {int(n) for n in _MARKER.findall(text)}


def abstention(question: str, mode: Mode, notice: str | None = None, reason: str = "") -> Answer:
    """The plain refusal given when the documents do not support an answer."""
    text = "I can't answer that from the documents in this collection"
    text += f": {reason}." if reason else "."
    return Answer(question=question, answer=text, abstained=True, mode=mode, notice=notice)


def strip_markers(text: str) -> str:
    """`text` without ``[n]`` markers (footnote references in sources, stray ones from a model)."""
    return _MARKER.sub("", text)


def as_claim(quote: str) -> str:
    """A quoted sentence as it reads inside an answer: one line, in quotation marks.

    Footnote markers such as ``[3]`` are left out so they cannot be read as citations.
    """
    return "“" + " ".join(strip_markers(quote).split()).strip('"“”') + "”"


def check_question(question: str) -> str:
    """The question, trimmed; `QuestionError` when it is empty or too long."""
    question = " ".join(question.split())
    if any("\ud800" <= c <= "\udfff" for c in question):
        raise QuestionError("the question holds a broken character (a lone surrogate): retype it.")
    if not question:
        raise QuestionError("the question is empty: type what you want to know.")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}."
        )
    return question
