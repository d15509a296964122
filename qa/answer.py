"""The contract, in one place: what is asked (an `Ask`: a question with the conversation before it
and the `Scope` of documents it is asked of, read as a `Standalone` question), what is answered
(an `Answer` with its `Citation`s, streamed as `Sentence`s), and who does each part of the work:
the `Answerer`, the `Condenser` that reads a follow-up as a question of its own, the `Proposer` of
study questions, and the `Asker` that study materials are made with. Answerers read
`vectorstore.passages.Passage`s.

``{"question", "answer", "abstained", "mode", "notice", "citations": [...], "related": [...]}``;
each citation's ``quote`` equals the stored document text ``[start:end]``, and every ``[n]`` in
``answer`` has one. A refusal may list ``related`` passages, checked the same way: the closest the
sources come, shown as such and never as support.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from vectorstore.documents import Document
from vectorstore.errors import ArchiveQAError, QuestionError
from vectorstore.passages import Passage
from vectorstore.privacy import privacy_of

if TYPE_CHECKING:
    from vectorstore.store import Store

Mode = Literal["extractive", "llm"]
MAX_QUESTION_CHARS = 1000
# Only the end of a conversation is read: a follow-up leans on the last questions, and the cost of
# reading stays the same however long a chat (or a hostile request) grows.
RECENT_TURNS = 6
TURN_CHARS = 2_000
_MARKER = re.compile(r"\[(\d+)\]")

# -- what is asked ------------------------------------------------------------------------------


class Turn(BaseModel):
    """One message of the conversation so far (role and content, as Gradio and the OpenAI API
    keep them)."""

    role: str
    content: str


@dataclass(frozen=True)
class Scope:
    """Which documents a question is asked of: by id, by collection, by date (ISO, inclusive),
    or any of these together."""

    documents: frozenset[str] | None = None
    since: str | None = None
    until: str | None = None
    collection: str | None = None
    member_of: str | None = None
    """The private collection (a course's, vectorstore.privacy) the asker is a member of: set
    by the server from the asker's session, never from what they send. Its own documents are
    seen by its members alone."""

    @classmethod
    def of(
        cls,
        *,
        documents: Iterable[str] | None = None,
        collection: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Scope | None:
        """A scope from optional parts, as flags, forms and query strings give them; None (the
        whole store) when no part is given. An empty list of documents is a scope of none."""
        if documents is None and not (collection or since or until):
            return None
        return cls(
            documents=None if documents is None else frozenset(documents),
            collection=collection or None, since=since or None, until=until or None,
        )  # fmt: skip

    def kept_in(self, collection: str) -> Scope:
        """This scope, for a member of the private collection `collection`: within it alone."""
        return replace(self, collection=collection, member_of=collection)

    def resolve(self, store: Store) -> frozenset[str] | None:
        """The ids of the documents in scope, or None for the whole store. A private collection's
        own documents (a course's, vectorstore.privacy) are in scope for its members alone."""
        allowed = self.documents
        privacy = privacy_of(store)
        if self.collection is not None:
            members = frozenset(privacy.members(store, self.collection, self.member_of))
            allowed = members if allowed is None else allowed & members
        hidden = privacy.hidden_from(self.member_of)
        if hidden:
            allowed = (frozenset(store.document_ids()) if allowed is None else allowed) - hidden
        if self.since is None and self.until is None:
            return allowed
        dated = frozenset(store.dated_between(self.since, self.until))
        return dated if allowed is None else dated & allowed


def documents_in(scope: Scope | None, store: Store) -> frozenset[str] | None:
    """The ids of the documents a question asked in `scope` reads (None: the whole store)."""
    return (scope or Scope()).resolve(store)


class Ask(BaseModel):
    """One question as the chain takes it (a plain string is a question with nothing else)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    question: str
    history: tuple[Turn, ...] = ()
    """The conversation so far, oldest first: a follow-up is read with it."""
    scope: Scope | None = None
    """The documents asked; None for the whole store."""


@dataclass(frozen=True)
class Standalone:
    """A question as it stands alone: its own words; for a follow-up read offline, the earlier
    question it is read with ("Why?" after "What did Stalin offer?"); and the documents it is
    asked of (None: all)."""

    own: str
    follows: Standalone | None = None
    scope: Scope | None = None

    @property
    def text(self) -> str:
        """What retrieval and answering read: the question with the one it follows, if any."""
        return self.own if self.follows is None else f"{self.own} (after: {self.follows.text})"


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


def recent(history: Sequence[Turn]) -> list[Turn]:
    """The last turns of a conversation, each cut to a length worth reading."""
    return [Turn(role=t.role, content=t.content[:TURN_CHARS]) for t in history[-RECENT_TURNS:]]


# -- what is answered ---------------------------------------------------------------------------


class Citation(BaseModel):
    """One verified passage of a source document, with its archival citation."""

    n: int = Field(description="The number used as [n] in the answer text.")
    document_id: str
    title: str
    chunk_id: str = Field(description="The id of the passage quoted from.")
    quote: str = Field(description="Verbatim text of the document: text[start:end].")
    start: int
    end: int
    citation: str | None = Field(description="Archival citation (archive, fond, delo ...).")
    url: str | None
    date: str | None = None
    added_by: str | None = Field(
        default=None,
        description="Who uploaded its document to this library, where known: a document "
        "anyone added speaks for them, not for the archive.",
    )


class Answer(BaseModel):
    """A cited answer, or an abstention said plainly."""

    question: str
    answer: str
    abstained: bool
    mode: Mode
    notice: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    related: list[Citation] = Field(
        default_factory=list,
        description="With a refusal: the passages closest to the question, which do not answer "
        "it (numbered apart from the citations). Never support for a claim.",
    )


class Sentence(BaseModel):
    """One sentence of an answer with the citations its markers name: what a stream sends at a
    time (``POST /api/ask`` with ``"stream": true``)."""

    text: str
    citations: list[Citation] = Field(default_factory=list)


Streamed = Sentence | Answer
"""What an answer stream yields: each sentence once its citations are verified, then the whole
answer."""


def cite(document: Document, start: int, end: int, *, n: int = 1, passage_id: str = "") -> Citation:
    """The citation of ``document.text[start:end]``: the quote is cut from the stored text, so it
    is verbatim by construction."""
    return Citation(
        n=n, document_id=document.id, title=document.title, chunk_id=passage_id,
        quote=document.text[start:end], start=start, end=end, citation=document.citation,
        url=document.url, date=document.date, added_by=document.added_by,
    )  # fmt: skip


def abstention(question: str, mode: Mode, notice: str | None = None, reason: str = "") -> Answer:
    """The plain refusal given when the documents do not support an answer."""
    text = "I can't answer that from the documents in this collection"
    text += f": {reason}." if reason else "."
    return Answer(question=question, answer=text, abstained=True, mode=mode, notice=notice)


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


def with_notice(notice: str | None, more: str) -> str:
    """An answer's notice with `more` said after it."""
    return f"{notice} {more}" if notice else more


def keep_sentences(answer: Answer, kept: Sequence[Sentence], notice: str) -> Answer:
    """`answer` with only the `kept` of its sentences (`sentences_of`), their citations numbered
    again in order of use, and `notice` added to its own; an abstention when none is left."""
    numbers: dict[int, int] = {}
    for sentence in kept:
        for citation in sentence.citations:
            numbers.setdefault(citation.n, len(numbers) + 1)
    noticed = with_notice(answer.notice, notice)
    if not numbers:
        return abstention(answer.question, answer.mode, noticed, reason="the sources do not say")
    text = " ".join(_MARKER.sub(lambda m: f"[{numbers[int(m[1])]}]", s.text) for s in kept)
    cited = [c.model_copy(update={"n": numbers[c.n]}) for c in answer.citations if c.n in numbers]
    return answer.model_copy(
        update={"answer": text, "citations": sorted(cited, key=lambda c: c.n), "notice": noticed}
    )


def final_answer(parts: Iterable[Streamed]) -> Answer:
    """The whole answer a stream ends with."""
    last = deque(parts, maxlen=1)
    if not last or not isinstance(last[0], Answer):
        raise ArchiveQAError("the answer ended before it was complete: ask again.")
    return last[0]


def cited_numbers(text: str) -> set[int]:
    """The citation numbers ``[n]`` used in an answer text."""
    return {int(n) for n in _MARKER.findall(text)}


def strip_markers(text: str) -> str:
    """`text` without ``[n]`` markers (footnote references in sources, stray ones from a model)."""
    return _MARKER.sub("", text)


def as_claim(quote: str) -> str:
    """A quoted sentence as it reads inside an answer: one line, in quotation marks.

    Footnote markers such as ``[3]`` are left out so they cannot be read as citations.
    """
    return "“" + " ".join(strip_markers(quote).split()).strip('"“”') + "”"


# -- who does the work --------------------------------------------------------------------------


class Answerer(Protocol):
    """Turns a question and its retrieved passages into a cited answer (the one seam)."""

    @property
    def mode(self) -> str: ...

    def answer(
        self, question: Standalone, passages: list[Passage], notice: str | None = None
    ) -> Answer:
        """Answer `question` from `passages` only, or abstain."""
        ...


@runtime_checkable
class StreamingAnswerer(Answerer, Protocol):
    """An answerer that gives each sentence as soon as it is checked."""

    def stream(
        self, question: Standalone, passages: list[Passage], notice: str | None = None
    ) -> Iterator[Streamed]:
        """The answer's sentences as they are ready, then the whole answer."""
        ...


def answer_parts(
    answerer: Answerer, question: Standalone, passages: list[Passage], notice: str | None = None
) -> Iterable[Streamed]:
    """The answer as `answerer` gives it: sentence by sentence if it streams, else at once."""
    if isinstance(answerer, StreamingAnswerer):
        return answerer.stream(question, passages, notice)
    return [answerer.answer(question, passages, notice)]


_STOP: ContextVar[threading.Event | None] = ContextVar("archive_qa_stop", default=None)


@contextmanager
def stopped_by(event: threading.Event) -> Iterator[None]:
    """Within this block, an answer begun (`Archive.stream`) stops writing as soon as `event` is
    set: its reader has gone, and a model writing for nobody holds a slot another needs."""
    token = _STOP.set(event)
    try:
        yield
    finally:
        _STOP.reset(token)


def should_stop() -> bool:
    """Whether whoever reads the answer being written has gone (`stopped_by`)."""
    event = _STOP.get()
    return event is not None and event.is_set()


class Condenser(Protocol):
    """Turns a question and the conversation before it into a question that stands alone."""

    def condense(self, question: str, history: Sequence[Turn]) -> Standalone: ...


class Proposer(Protocol):
    """Proposes questions about a document (which are then asked, and kept only if answered)."""

    def propose(self, document: Document) -> list[str]: ...


class Asker(Protocol):
    """What answers questions about documents: an archive (qa.assembly), or the server that has
    its store open (ui.remote)."""

    def documents(self) -> list[Document]:
        """Every document it holds, without its text."""
        ...

    def ask(
        self, question: str, history: Sequence[Turn] = (), scope: Scope | None = None
    ) -> Answer: ...

    def stream(
        self, question: str, history: Sequence[Turn] = (), scope: Scope | None = None
    ) -> Iterator[Streamed]: ...
