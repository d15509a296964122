"""A teacher's edits of a document's study materials: items hidden, reworded, put in another
order, and questions of their own, kept per document (and per collection, so one document can
serve two courses) in the store, and applied to the pack every time it is shown or printed.

A teacher's question is checked like the others: archive-qa asks it of the document, and it is
kept with the answer when that quotes the document, or as a prompt for discussion with the
passages it found; one about which the document has nothing is refused with what to do.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, ValidationError

from qa.answer import Asker, Citation, Scope, check_question
from qa.errors import QuestionError
from qa.study.pack import StudyPack
from qa.study.question import Skill, StudyQuestion, says_something
from vectorstore.documents import Document
from vectorstore.store import Store

_PASSAGES = 3
# Questions that ask for a judgement: always for discussion, never given an answer, whatever the
# reader would quote ("Why did Stalin sign as Filippov?" is not answered by the signature).
_JUDGEMENT = re.compile(
    r"^\s*(?:why|how (?:reliable|far|trustworthy|useful|accurate)|to what extent|should|would|"
    r"could|what if|do you|was it right)\b",
    re.I,
)


class StudyEdits(BaseModel):
    """What a teacher changed in one document's study materials."""

    hidden: list[str] = Field(default_factory=list, description="Keys of items not shown.")
    wording: dict[str, str] = Field(
        default_factory=dict, description="A question's key, and the teacher's wording of it."
    )
    order: list[str] = Field(
        default_factory=list, description="Keys of guide questions in the teacher's order; the "
        "rest follow in theirs.",
    )  # fmt: skip
    added: list[StudyQuestion] = Field(
        default_factory=list, description="The teacher's own questions, each checked when added."
    )


def edits_key(document_id: str, collection: str | None = None) -> str:
    """Where a document's edits are kept in the store (for one collection, or for all)."""
    return f"study-edits:{collection or ''}:{document_id}"


def load_edits(store: Store, document_id: str, collection: str | None = None) -> StudyEdits:
    """The teacher's edits of a document's materials in `collection` (or anywhere): those made
    for the collection, else those made for the document alone, else none."""
    for key in dict.fromkeys([edits_key(document_id, collection), edits_key(document_id)]):
        text = store.note(key)
        if text:
            try:
                return StudyEdits.model_validate_json(text)
            except ValidationError:  # written by another version: start again, lose nothing shown
                return StudyEdits()
    return StudyEdits()


def save_edits(
    store: Store, document_id: str, edits: StudyEdits, collection: str | None = None
) -> None:
    """Keep a teacher's edits of a document's materials, for `collection` (or for every course)
    where every replica sharing the store finds them."""
    store.put_note(edits_key(document_id, collection), edits.model_dump_json())


def apply_edits(pack: StudyPack, edits: StudyEdits, document: Document) -> StudyPack:
    """The pack as the teacher left it: hidden items out, their wording, their order, and their
    own questions after the rest (each dropped if its quotes are no longer in the text)."""
    hidden = set(edits.hidden)
    added = [q for q in edits.added if _still_quoted(q, document)]
    guide = [
        q.model_copy(update={"question": edits.wording[q.key]}) if q.key in edits.wording else q
        for q in [*pack.guide, *added]
        if q.key not in hidden
    ]
    place = {key: i for i, key in enumerate(edits.order)}
    guide.sort(key=lambda q: place.get(q.key, len(place)))
    shown = {q.question for q in pack.guide if q.key not in hidden}
    reworded = {q.question: edits.wording.get(q.key, q.question) for q in pack.guide}
    return pack.model_copy(
        update={
            "guide": guide,
            "essays": [q for q in pack.essays if q.key not in hidden],
            "quiz": [i for i in pack.quiz if i.key not in hidden],
            "starters": [reworded.get(s, s) for s in pack.starters if s in shown],
        }
    )


def check_added(asker: Asker, document: Document, question: str, skill: Skill) -> StudyQuestion:
    """A teacher's question as the pack will hold it: with archive-qa's answer when that quotes
    the document (and the question does not ask for a judgement), else a prompt with the passages
    it found. `QuestionError` when the document has nothing on it."""
    question = check_question(question)
    answer = asker.ask(question, scope=Scope(documents=frozenset({document.id})))
    if says_something(answer) and not _JUDGEMENT.match(question):
        return StudyQuestion(question=question, skill=skill, answer=answer)
    passages = [*answer.citations, *answer.related][:_PASSAGES]
    if not passages:
        raise QuestionError(
            f"archive-qa found no passage of “{document.title}” for that question: word it with "
            "the document's own words, or hand it out without passages."
        )
    numbered = [c.model_copy(update={"n": n}) for n, c in enumerate(passages, start=1)]
    return StudyQuestion(question=question, skill=skill, passages=numbered)


def _still_quoted(question: StudyQuestion, document: Document) -> bool:
    cited: list[Citation] = [
        *question.passages, *(question.answer.citations if question.answer else [])
    ]  # fmt: skip
    return all(
        c.document_id != document.id or document.text[c.start : c.end] == c.quote for c in cited
    )


def hideable(made: StudyPack, edits: StudyEdits) -> list[tuple[str, str]]:
    """The items of a document's study materials a teacher may hide, (label, key): the guide's
    questions with the teacher's own, the essays and the quiz."""
    items = [(short_label(q.question), q.key) for q in [*made.guide, *edits.added]]
    items += [(f"Essay: {short_label(q.question)}", q.key) for q in made.essays]
    items += [(f"Quiz: {short_label(i.prompt)}", i.key) for i in made.quiz]
    return items


def short_label(text: str, width: int = 90) -> str:
    """`text` on one line, cut to `width` characters (a menu's label)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
