"""Provenance: questions about a document as a source, answered from the record's own fields.

Who wrote or signed it, to whom, when, from where, in what original language, which archive
holds it, what kind of document it is: a student's first questions of any source. The record
layout states each of them (title and addressing, signature, date line and dateline, original
language, citation and source note), so they are answered from those fields, each quote cut from
the stored text at the field's own characters. A document that does not state the fact (plain text
has no fields) gets an abstention that says so, never a guess. When the question does not say
which document it means and several in scope would fit ("When was the telegram sent?" in a
library of telegrams), the answer asks which one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from qa.answer import (
    Answer,
    Answerer,
    Scope,
    Standalone,
    Streamed,
    abstention,
    answer_parts,
    cite,
    documents_in,
    final_answer,
)
from qa.sourcing.fields import Aspect, stated
from qa.words import DOCUMENT_KINDS, PROVENANCE_WORDS
from vectorstore.documents import Document
from vectorstore.passages import Passage
from vectorstore.remembered import Kept, text_key
from vectorstore.store import Store
from vectorstore.text import terms

_KIND = rf"(?:{DOCUMENT_KINDS}|document|record|source|original)s?"
# Between a verb and the document it acts on: articles, possessives, names, dates ("signed
# Stalin's ciphered telegram", "prepared the January 11, 1951 memorandum"), but no preposition:
# "Who sent troops to the border, according to the telegram?" is not about the telegram's sender.
_NOT_PREPOSITION = r"(?!(?:to|in|on|at|about|from|with|by|for|according|of)\b)"
_OBJECT = rf"(?:\s+{_NOT_PREPOSITION}[\w'’.,-]+){{0,5}}?\s+"  # noqa: RUF001
_WRITES = (
    r"(?:sign|signed|wr[io]te|written|writ|author|authored|sen[dt]|draft|drafted|prepared?|"
    r"issued?|dispatched|composed)"
)
_KEPT = r"(?:kept|held|housed|stored|preserved|found)"
# "it" or "this" for the document, at the end of a short question: "Who wrote it?", "When was
# this sent?". A student's first questions of a source are these.
_IT = r"(?:it|this)"


def _any(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.I)


# How each provenance question is worded; the first that matches decides.
_PATTERNS: list[tuple[Aspect, re.Pattern[str]]] = [
    (
        Aspect.KIND,
        _any(
            r"\b(?:kind|type|sort|form)\s+of\s+(?:document|record|source|text)\b",
            r"\bwhat\s+is\s+(?:this|the)\s+document\b",
        ),
    ),
    (
        Aspect.LANGUAGE,
        _any(
            rf"\blanguage\b.*\b{_KIND}\b",
            rf"\b{_KIND}\b.*\blanguage\b",
            r"\boriginally\s+(?:written|composed)\s+in\b",
            rf"^\s*(?:in\s+)?(?:what|which)\s+language\s+(?:was|is)\s+{_IT}\b",
            r"\btranslated\s+from\b",
        ),
    ),
    (
        Aspect.ARCHIVE,
        _any(
            r"\barchives?\b",
            r"\b(?:fond|delo|repository)\b",
            rf"\boriginal\b.*\b{_KEPT}\b",
            r"\b(?:find|see|consult)\b.*\boriginal\b",
            rf"\bwhere\b.*\b{_KIND}\s+(?:is|was)\s+{_KEPT}\b",
            rf"^\s*where\s+(?:is|was)\s+{_IT}\s+(?:now\s+)?{_KEPT}\W*$",
        ),
    ),
    (
        Aspect.PLACE,
        _any(
            r"\b(?:from|in)\s+(?:which|what)\s+(?:city|place|town|capital|country)\b"
            rf".*\b(?:{_WRITES}|cabled?|write|writing)\b",
            r"\bfrom\s+where\b",
            r"^\s*where\s+(?:was|were|is)\b.*\b(?:written|sent|signed|drafted)\W*$",
            r"\bwhere\b.*\b(?:writing|written|sent|wrote|cabled)\s+from\b",
            r"^\s*where\s+was\b.*\bwhen\b.*\b(?:wrote|sent|signed|cabled)\b",
        ),
    ),
    (
        Aspect.RECIPIENT,
        _any(
            r"\bto\s+whom\b",
            r"\brecipients?\b(?!.*\bcop(?:y|ies)\b)",
            r"\baddressee",
            r"\b(?:addressed|directed|intended)\b",
            rf"\bwho\s+(?:received|got){_OBJECT}{_KIND}\b",
            rf"\bwho\b.*\b{_KIND}\b.*\b(?:sent|addressed|written|directed)\s+to\W*$",
            rf"^\s*who\s+(?:was|is)\s+{_IT}\s+(?:sent|addressed|written|directed)\s+to\W*$",
            rf"^\s*who\s+(?:received|got)\s+{_IT}\W*$",
        ),
    ),
    (
        Aspect.DATE,
        _any(
            r"^\s*(?:when|on\s+what\s+(?:date|day)|what\s+(?:date|day)|in\s+what\s+year|"
            r"which\s+(?:date|day|year))\b"
            rf".*(?:\b{_KIND}\b.*\b{_WRITES}\b|\b{_WRITES}\b{_OBJECT}{_KIND}\b|"
            r"\b(?:write|wrote|cable|cabled|telegraph|wire)\s+to\b)",
            rf"\bdate\s+of\b.*\b{_KIND}\b",
            rf"^\s*when\s+(?:was|is)\s+{_IT}\s+{_WRITES}\W*$",
            r"\bdated\b",
        ),
    ),
    (
        Aspect.AUTHOR,
        _any(
            rf"\b{_WRITES}\b{_OBJECT}{_KIND}\b",
            rf"\b{_KIND}\s+(?:was|were)\s+{_WRITES}\b",
            rf"\bby\s+whom\b.*\b{_WRITES}\b",
            r"\bunder\s+what\s+name\b",
            r"\bwhose\s+(?:name|signature)\b",
            r"\bauthor\b",
            r"\bsignature\b",
            r"\bfrom\s+whom\b",
            rf"^\s*who\s+{_WRITES}\s+{_IT}\W*$",
            rf"^\s*who\s+(?:is|was)\s+{_IT}\s+(?:{_WRITES}\s+)?(?:from|by)\W*$",
        ),
    ),
]


# "At what time did Struble send his message?" names the sending but asks for its time (a field
# the reader finds), not for who sent it.
_PARTIES = (Aspect.AUTHOR, Aspect.RECIPIENT)
_NOT_WHO = re.compile(r"^\s*(?:at\s+what\s+(?:time|hour)|what\s+time|when|where|why|how)\b", re.I)


@dataclass(frozen=True)
class ProvenanceQuestion:
    aspect: Aspect
    kinds: frozenset[str]
    """The kinds of document named ("telegram"), as stems; empty when none is."""
    described: tuple[str, ...]
    """What the question says about which document it means (stems), beyond asking."""


def read_provenance(own: str, question: str | None = None) -> ProvenanceQuestion | None:
    """The provenance question asked in `own` words, or None when it asks about something else.

    For a follow-up, `question` is it read with the earlier question, which may say which
    document is meant ("And when was it sent?" after "Who wrote the telegram to Mao?").
    """
    question = question or own
    aspect = next((a for a, pattern in _PATTERNS if pattern.search(own)), None)
    if aspect is None or (aspect in _PARTIES and _NOT_WHO.match(own)):
        return None
    kinds = frozenset(terms(" ".join(re.findall(rf"\b(?:{DOCUMENT_KINDS})\b", question, re.I))))
    described = tuple(dict.fromkeys(t for t in terms(question) if t not in PROVENANCE_WORDS))
    return ProvenanceQuestion(aspect, kinds, described)


class ProvenanceAnswerer:
    """Answers a question about a document as a source from the document's fields, and every
    other question with the answerer it wraps (the one configured: offline, or a model)."""

    def __init__(self, answerer: Answerer, store: Store) -> None:
        """`store` lists the documents in a question's scope and reads the one it means, when
        the passages found do not say which."""
        self._answerer = answerer
        self._store = store

    @property
    def mode(self) -> str:
        return self._answerer.mode

    def answer(
        self, question: Standalone, passages: list[Passage], notice: str | None = None
    ) -> Answer:
        return final_answer(self.stream(question, passages, notice))

    def stream(
        self, question: Standalone, passages: list[Passage], notice: str | None = None
    ) -> Iterator[Streamed]:
        """A provenance answer at once, or the wrapped answerer's answer as it gives it."""
        asked = read_provenance(question.own, question.text)
        if asked is None:
            yield from answer_parts(self._answerer, question, passages, notice)
        else:
            in_scope = partial(_in_scope, question.scope, self._store)
            yield answer_provenance(asked, question.text, passages, in_scope, self._store.document)


def answer_provenance(
    asked: ProvenanceQuestion,
    question: str,
    passages: Sequence[Passage],
    in_scope: Callable[[], Sequence[Document]],
    load: Callable[[str], Document | None],
) -> Answer:
    """Answer from the fields of the document the question means: the one the passages and the
    question's words point to, or when the question does not say, the one document in scope (of
    the kind it names). `in_scope` lists the documents in scope (without their texts) and `load`
    reads one; they are used only when the question does not say which document it means."""
    found = _which_document(asked, passages, in_scope)
    if isinstance(found, list):
        return _ask_which(question, asked, found)
    document = load(found) if isinstance(found, str) else found
    if document is None:
        return abstention(question, "extractive", reason="no document found answers it")
    stated_there = stated(document, asked.aspect)
    if not stated_there:
        reason = f"the record of “{document.title}” does not state {asked.aspect.value}"
        return abstention(question, "extractive", reason=reason)
    citations = [cite(document, s.start, s.end, n=i) for i, s in enumerate(stated_there, start=1)]
    said = " ".join(
        s.template.format(f"“{c.quote}” [{c.n}]") + "."
        for s, c in zip(stated_there, citations, strict=True)
    )
    if len({p.document_id for p in passages}) > 1:
        # Among several documents, say which one the answer is about.
        said = f"About “{document.title}”{f' ({document.date})' if document.date else ''}: {said}"
    return Answer(
        question=question, answer=said, abstained=False, mode="extractive", citations=citations
    )


def _in_scope(scope: Scope | None, store: Store) -> list[Document]:
    """The documents a question is asked of, without their texts."""
    allowed = documents_in(scope, store)
    return [d for d in store.documents(with_text=False) if allowed is None or d.id in allowed]


# -- which document ---------------------------------------------------------------------------


def _which_document(
    asked: ProvenanceQuestion,
    passages: Sequence[Passage],
    catalogue: Callable[[], Sequence[Document]],
) -> Document | str | list[Document]:
    """The document the question means (or its id), or the candidates when it could be
    several."""
    if not asked.described:
        pool = [d for d in catalogue() if not asked.kinds or asked.kinds & _kinds_of(d)]
        if len(pool) == 1:
            return pool[0].id
        if pool or not passages:
            return pool
    documents = list({p.document.id: p.document for p in passages}.values())
    if not documents:
        return []
    wanted = set(asked.described)

    def matched(document: Document) -> int:
        return len(wanted & set(terms(_described(document))))

    # What a document says about itself names it best; retrieval order breaks ties.
    return max(documents, key=lambda d: (matched(d), -documents.index(d)))


def _kinds_of(document: Document) -> frozenset[str]:
    """The kinds of document ("telegram", "memorandum") it says it is, remembered: a question
    about "the telegram" weighs every document in scope (0.3 s over 10,661 here)."""
    described = _described(document)

    def found() -> frozenset[str]:
        kinds = re.findall(rf"\b(?:{DOCUMENT_KINDS})\b", described, re.I)
        return frozenset(terms(" ".join(kinds)))

    return _KINDS.get(text_key(document, described), found)


# The kinds of the documents weighed latest: about 400 bytes each (4.1 MB for the 10,661 of
# the FRUS library), so about 8 MB at most.
_KINDS: Kept[frozenset[str]] = Kept(20_000)


def _described(document: Document) -> str:
    """What a document says about itself, and its date."""
    return f"{document.self_description()} {document.date or ''}"


def _ask_which(question: str, asked: ProvenanceQuestion, pool: list[Document]) -> Answer:
    if not pool:
        return abstention(question, "extractive", reason="no document in scope fits it")
    kind = "/".join(sorted(asked.kinds)) or "document"
    listed = "; ".join(f"“{d.title}” ({d.date or 'undated'})" for d in pool[:5])
    more = f" and {len(pool) - 5} more" if len(pool) > 5 else ""
    reason = (
        f"{len(pool)} documents in scope could be the {kind} you mean ({listed}{more}). "
        "Ask again naming one (its title, sender or date), or ask within one document"
    )
    return abstention(question, "extractive", reason=reason)
