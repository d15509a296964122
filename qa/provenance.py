"""Provenance: questions about a document as a source, answered from the record's own fields.

Who wrote or signed it, to whom, when, from where, in what original language, which archive
holds it, what kind of document it is: a student's first questions of any source. The record
layout states each of them (title and addressing, signature, date line and dateline, original
language, citation and source note), so they are answered from those fields, each quote cut from
the stored text at the field's own characters. A record that does not state the fact (plain text
has no fields) gets an abstention that says so, never a guess. When the question does not say
which document it means and several in scope would fit ("When was the telegram sent?" in a
library of telegrams), the answer asks which one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from qa.answer import Answer, abstention, cite
from qa.questions import DOCUMENT_KIND_WORDS, DOCUMENT_KINDS, MONTH_NAMES
from qa.retrieval import Passage
from vectorstore.lexical import terms
from vectorstore.records import Record, Section, strip_span


class Aspect(Enum):
    """What a provenance question asks about its document."""

    AUTHOR = "who wrote or signed it"
    RECIPIENT = "to whom it was addressed"
    DATE = "its date"
    PLACE = "where it was written"
    LANGUAGE = "its original language"
    ARCHIVE = "where the original is kept"
    KIND = "what kind of document it is"


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
        ),
    ),
]
# Words that ask the provenance question rather than describe the document it is about.
_ASKING = frozenset(
    terms(
        "who whom which what when where kind type sort form date day year language originally "
        "original archive archives kept held hold holds housed stored preserved found sign signed "
        "signature wrote written write writing author sent send sender recipient recipients "
        "addressed addressee intended directed received drafted prepared issued dispatched "
        "composed cabled city place town capital name under whose actually message document "
        "record source text"
    )
    + terms(" ".join(DOCUMENT_KIND_WORDS))
)


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
    if aspect is None:
        return None
    kinds = frozenset(terms(" ".join(re.findall(rf"\b(?:{DOCUMENT_KINDS})\b", question, re.I))))
    described = tuple(dict.fromkeys(t for t in terms(question) if t not in _ASKING))
    return ProvenanceQuestion(aspect, kinds, described)


def answer_provenance(
    asked: ProvenanceQuestion,
    question: str,
    passages: Sequence[Passage],
    catalogue: Callable[[], Sequence[Record]],
    load: Callable[[str], Record | None],
) -> Answer:
    """Answer from the fields of the document the question means.

    `catalogue` lists the documents in scope (without their texts) and `load` reads one; they
    are used only when the question does not say which document it means.
    """
    found = _which_document(asked, passages, catalogue)
    if isinstance(found, list):
        return _ask_which(question, asked, found)
    record = load(found) if isinstance(found, str) else found
    if record is None:
        return abstention(question, "extractive", reason="no document found answers it")
    spans = _FIELDS[asked.aspect](record)
    if not spans:
        reason = f"the record of “{record.title}” does not state {asked.aspect.value}"
        return abstention(question, "extractive", reason=reason)
    citations = [cite(record, start, end, n=i) for i, (_, start, end) in enumerate(spans, start=1)]
    text = " ".join(
        template.format(f"“{c.quote}” [{c.n}]") + "."
        for (template, _, _), c in zip(spans, citations, strict=True)
    )
    if len({p.record.id for p in passages}) > 1:
        # Among several documents, say which one the answer is about.
        text = f"About “{record.title}”{f' ({record.date})' if record.date else ''}: {text}"
    return Answer(
        question=question, answer=text, abstained=False, mode="extractive", citations=citations
    )


# -- which document ---------------------------------------------------------------------------


def _which_document(
    asked: ProvenanceQuestion,
    passages: Sequence[Passage],
    catalogue: Callable[[], Sequence[Record]],
) -> Record | str | list[Record]:
    """The record the question means (or its id), or the candidates when it could be several."""
    if not asked.described:
        pool = [r for r in catalogue() if not asked.kinds or asked.kinds & _kinds_of(r)]
        if len(pool) == 1:
            return pool[0].id
        if pool or not passages:
            return pool
    records = list({p.record.id: p.record for p in passages}.values())
    if not records:
        return []
    wanted = set(asked.described)

    def matched(record: Record) -> int:
        return len(wanted & set(terms(_self_description(record))))

    # What the record says about itself names it best; retrieval order breaks ties.
    return max(records, key=lambda r: (matched(r), -records.index(r)))


def _kinds_of(record: Record) -> frozenset[str]:
    found = re.findall(rf"\b(?:{DOCUMENT_KINDS})\b", _self_description(record), re.I)
    return frozenset(terms(" ".join(found)))


def _self_description(record: Record) -> str:
    """What a record says about itself: title, date, summary, source note, dateline. From its
    metadata, not its text: the catalogue of a scope is read without the texts."""
    parts = [record.title, record.date or "", record.summary or ""]
    return " ".join([*parts, *(v for k, v in record.extra.items() if k != "Document")])


def _ask_which(question: str, asked: ProvenanceQuestion, pool: list[Record]) -> Answer:
    if not pool:
        return abstention(question, "extractive", reason="no document in scope fits it")
    kind = "/".join(sorted(asked.kinds)) or "document"
    listed = "; ".join(f"“{r.title}” ({r.date or 'undated'})" for r in pool[:5])
    more = f" and {len(pool) - 5} more" if len(pool) > 5 else ""
    reason = (
        f"{len(pool)} documents in scope could be the {kind} you mean ({listed}{more}). "
        "Ask again naming one (its title, sender or date), or ask within one document"
    )
    return abstention(question, "extractive", reason=reason)


# -- the fields ---------------------------------------------------------------------------------

Span = tuple[str, int, int]
"""An answer as (sentence template, start, end): the template says what the field is, and its
``{}`` takes the quote of ``text[start:end]`` with its citation number."""


def _section(record: Record, name: str) -> Section | None:
    return next((s for s in record.sections if s.name == name), None)


def _titled(record: Record) -> Section | None:
    """The title field, when the record has one (plain text has none)."""
    return _section(record, "Title")


_KIND_PHRASE = re.compile(
    rf"(?:[A-Z][\w-]*\s+){{0,3}}?(?:{DOCUMENT_KINDS})(?:\s+of\s+(?:Conversation|the\s+Record|Telephone\s+Conversation))?\b",
    re.I,
)
# "X to Y", "Memorandum by X to Y", "Memorandum Prepared by X for Y", "Presented to Y by X",
# "Memorandum of Conversation, Prepared in X".
_FOR = re.compile(r"\b[Pp]repared\s+by\s+(?P<from>.+?)\s+for\s+(?P<to>.+)$")
_BY = re.compile(r"\b(?:by|[Pp]repared\s+in)\s+(?P<from>.+?)(?:\s+to\s+(?P<to>.+))?$")
_TO_BY = re.compile(r"\bto\s+(?P<to>.+?)\s+by\s+(?P<from>.+)$")
_A_TO_B = re.compile(r"(?:No\.\s*\d+\.\s+)?(?P<from>.+?)\s+to\s+(?P<to>.+?)$")


def _parties(record: Record) -> dict[str, tuple[int, int]]:
    """The sender ("from") and recipient ("to") as the title gives them, as text spans."""
    title = _titled(record)
    if title is None:
        return {}
    start, end = title.start, title.end
    text = record.text
    while end > start and text[end - 1] in ".,; ":
        end -= 1
    head = _KIND_PHRASE.match(text, start, end)
    if head:
        start = head.end()
        while start < end and text[start] in ", ":
            start += 1
    patterns = (_FOR.search, _TO_BY.search, _BY.search, _A_TO_B.match) if head else (_A_TO_B.match,)
    for find in patterns:
        found = find(text, start, end)
        if found:
            return {k: found.span(k) for k in ("from", "to") if found.group(k)}
    return {}


def _author(record: Record) -> list[Span]:
    spans: list[Span] = []
    signed = _signature(record)
    if signed:
        spans.append(("It is signed {}", *signed))
    sender = _parties(record).get("from")
    if sender and (not signed or record.text[slice(*signed)] != record.text[slice(*sender)]):
        spans.append(("The record's title gives the sender as {}", *sender))
    return spans


def _recipient(record: Record) -> list[Span]:
    to = _parties(record).get("to")
    return [("The record's title gives the addressee as {}", *to)] if to else []


_FULL_DATE = re.compile(
    rf"\b(?:(?:{MONTH_NAMES})\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+(?:{MONTH_NAMES}),?\s+\d{{4}})\b"
)


def _date(record: Record) -> list[Span]:
    dated = _section(record, "Date")
    if dated:
        return [("The record is dated {}", dated.start, dated.end)]
    if _titled(record) is None:
        return []
    # Undated in the layout: a full date on the first or last line of the body.
    for line in _edge_lines(record):
        found = _FULL_DATE.search(record.text, *line)
        if found:
            return [("The text is dated {}", *found.span())]
    return []


def _place(record: Record) -> list[Span]:
    """The place a dateline opens with: "Taipei" of "Taipei, January 24, 1951."."""
    dateline = _section(record, "Dateline")
    if dateline is None:
        return []
    month = re.compile(rf"\b(?:{MONTH_NAMES})\b|\b\d{{1,2}}\s+(?:{MONTH_NAMES})\b")
    found = month.search(record.text, dateline.start, dateline.end)
    start, end = dateline.start, found.start() if found else dateline.start
    while end > start and record.text[end - 1] in ",[] \n":
        end -= 1
    while start < end and record.text[start] in "[ ":
        start += 1
    return [("The dateline places it at {}", start, end)] if end > start else []


def _language(record: Record) -> list[Span]:
    found = _section(record, "Original Language")
    if found is None:
        return []
    return [("The record gives its original language as {}", found.start, found.end)]


def _archive(record: Record) -> list[Span]:
    spans: list[Span] = []
    citation = _section(record, "Citation")
    if citation:
        start, end = citation.start, citation.end
        url = record.text.find(" <http", start, end)
        end = url if url >= 0 else end
        # The archive follows the title and date the citation opens with.
        date = _FULL_DATE.search(record.text, start, end)
        if date:
            start = date.end()
            while start < end and record.text[start] in ", ":
                start += 1
        spans.append(("The archival citation is {}", *strip_span(record.text, start, end)))
    note = _section(record, "Source Note")
    if note:
        spans.append(("The source note gives the file: {}", note.start, note.end))
    return spans


def _kind(record: Record) -> list[Span]:
    title = _titled(record)
    if title:
        head = _KIND_PHRASE.match(record.text, title.start, title.end)
        if head:
            return [("The record's title calls it a {}", *head.span())]
    note = _section(record, "Source Note")
    if note:
        found = re.search(rf"\b(?:{DOCUMENT_KINDS})\b", record.text[note.start : note.end], re.I)
        if found:
            start, end = note.start + found.start(), note.start + found.end()
            return [("Its source note calls it a {}", start, end)]
    return []


def _signature(record: Record) -> tuple[int, int] | None:
    """The signature line: the first name after a complimentary close ("Sincerely yours,"), or
    else the last line of the body when it is a short run of capitalised words."""
    body = _section(record, "Contents")
    if body is None or _titled(record) is None:
        return None
    lines = _lines(record.text, body.start, body.end)
    for i, (start, end) in enumerate(lines):
        if _CLOSE.search(record.text, start, end):
            for later in lines[i + 1 : i + 4]:
                if _is_signature(record.text[slice(*later)]):
                    return later
    for start, end in reversed(lines):
        line = record.text[start:end]
        if ":" in line or line.startswith("["):
            continue
        return (start, end) if _is_signature(line) else None
    return None


_CLOSE = re.compile(
    r"\b(?:yours|obedient\s+servant|respectfully|sincerely|cordially|faithfully)\b,?\s*$|"
    r"\bI\s+(?:have|am)\b.*(?:\[etc\.?\]|&c)\.?,?\s*$",
    re.I,
)
_WORD = re.compile(r"[\w'’.\[\]-]+")  # noqa: RUF001


def _is_signature(line: str) -> bool:
    """A few capitalised words and no figures ("Thomas D. Cabot", "FILIPPOV [Stalin]", "D. P.
    HEAP, Captain of Engineers"): a date or place line is not a signature."""
    if any(c.isdigit() for c in line):
        return False
    name = line.split(",")[0]
    words = _WORD.findall(name)
    return 0 < len(words) <= 5 and all(w[0].isupper() or w[0] == "[" for w in words)


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for line in text[start:end].split("\n"):
        span = strip_span(text, cursor, cursor + len(line))
        if span[1] > span[0]:
            spans.append(span)
        cursor += len(line) + 1
    return spans


def _edge_lines(record: Record) -> list[tuple[int, int]]:
    body = _section(record, "Contents")
    if body is None:
        return []
    lines = _lines(record.text, body.start, body.end)
    return [*lines[:2], *lines[-2:]]


_FIELDS: dict[Aspect, Callable[[Record], list[Span]]] = {
    Aspect.AUTHOR: _author,
    Aspect.RECIPIENT: _recipient,
    Aspect.DATE: _date,
    Aspect.PLACE: _place,
    Aspect.LANGUAGE: _language,
    Aspect.ARCHIVE: _archive,
    Aspect.KIND: _kind,
}
