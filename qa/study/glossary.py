"""A document's glossary: the people, places, organisations and dates it names, each cited
verbatim at its most telling mention, with the other forms the name takes in the record, the
editors' footnote that identifies it, and, for an abbreviation, where the record spells it out.

Names are found by their capitals (not a sentence's first word alone, not a lone nationality, not
a common word the record writes in lower case elsewhere) in the document's title and text, and
told apart by the record's own cues: their words and the words before them ("Security Council"
is an organisation, "Ambassador Roshchin" a person, "in Moscow" a place), the editors' footnotes
("Ralph N. Clough, Consul at Hong Kong"), the title's correspondents ("Filippov [Stalin] to Zhou
Enlai"), datelines, and what they do ("Nehru said").

The timeline is qa.study.timeline's; `timeline` and `TimelineEntry` are re-exported here.
"""

from __future__ import annotations

import re
from collections import Counter

from pydantic import BaseModel

from qa.answer import Citation, cite
from qa.study.abbreviations import expansion_of, is_abbreviation
from qa.study.names import (
    Identifications,
    Kind,
    core_of,
    kind_of_name,
    named_as_person,
    named_as_place,
    named_by_deeds,
    names_in,
    role_and_noun,
)
from qa.study.record import body_of, clause_around
from qa.study.timeline import TimelineEntry, timeline
from qa.words import FULL_DATE
from vectorstore.documents import Document
from vectorstore.text import Span, split_sentences

__all__ = [
    "GlossaryEntry", "Kind", "TimelineEntry", "body_of", "glossary", "kind_of_name", "mentions",
    "names_in", "timeline",
]  # fmt: skip


class GlossaryEntry(BaseModel):
    term: str
    kind: Kind
    source: Citation
    """The name's most telling mention: its fullest form, in the clause that holds it."""
    variants: list[str] = []
    """The other forms of the name in the record, merged here ("Koo", "Ambassador Koo")."""
    identification: Citation | None = None
    """The editors' footnote that says who this is ("Ralph N. Clough, Consul at Hong Kong.")."""
    expansion: Citation | None = None
    """For an abbreviation, where the record spells it out ("Commander in Chief Far East")."""


class _Mention(BaseModel):
    at: int
    name: str
    sentence: Span


def mentions(document: Document) -> Counter[str]:
    """Names in the document's body and how often each is mentioned, each form counted under
    its glossary term ("Koo" under "Wellington Koo")."""
    terms_of = {v: e.term for e in glossary(document) for v in (e.term, *e.variants)}
    start, end = body_of(document)
    counts: Counter[str] = Counter()
    for sentence in split_sentences(document.text, start, end):
        found = names_in(document, sentence.start, sentence.end).values()
        counts.update(terms_of[name] for name in found if name in terms_of)
    return counts


def glossary(document: Document) -> list[GlossaryEntry]:
    """People, places, organisations and dates the document names, each once under its fullest
    form, cited at its most telling mention."""
    found = _mentions_of(document)
    by_name: dict[str, list[_Mention]] = {}
    for mention in found:
        by_name.setdefault(mention.name, []).append(mention)
    notes = Identifications(document)
    kinds = _kinds(document, by_name, notes)
    entries = [
        _entry(document, group, kinds, by_name, notes)
        for group in _grouped(document, kinds).values()
    ]
    entries += _dates(document)
    order = {"person": 0, "organisation": 1, "place": 2, "date": 3, "other": 4}
    return sorted(entries, key=lambda e: (order[e.kind], e.term.lower()))


def _sentences(document: Document) -> list[Span]:
    """The title (names found only there, like the telegram's addressees, belong too) and the
    sentences of the body, headings left out."""
    title = [Span(s.start, s.end) for s in document.sections if s.name == "Title"]
    start, end = body_of(document)
    body = split_sentences(document.text, start, end)
    return title + [s for s in body if not _is_heading(document.text[s.start : s.end])]


def _mentions_of(document: Document) -> list[_Mention]:
    found = []
    for sentence in _sentences(document):
        for at, name in names_in(document, sentence.start, sentence.end).items():
            if not FULL_DATE.search(name):
                found.append(_Mention(at=at, name=name, sentence=sentence))
    return found


def _is_heading(text: str) -> bool:
    """Whether a line is a heading in title case ("Strength of Chinese Communist Ties"): its
    words are names only by their capitals. A list of participants ("Participants: | Dr. V. K.
    Wellington Koo, Chinese Ambassador") is not one."""
    words = re.findall(r"[A-Za-z][\w'’-]*", text)  # noqa: RUF001
    content = [w for w in words if w.lower() not in ("of", "the", "and", "for", "in", "on", "to")]
    return (
        len(content) >= 3
        and not re.search(r"[.:|,]\s*$|[:|]", text)
        and all(w[0].isupper() for w in content)
    )


def _kinds(
    document: Document, by_name: dict[str, list[_Mention]], notes: Identifications
) -> dict[str, Kind]:
    """Each name's kind: what most of its mentions say by their own words, else what the rest of
    the record says about it. A title before a common noun ("General Situation") is no name."""
    kinds: dict[str, Kind] = {}
    for name, found in by_name.items():
        said = Counter(
            kind_of_name(name, document.text[max(0, m.at - 30) : m.at + 1]) for m in found
        )
        typed = [k for k, _ in said.most_common() if k != "other"]
        kinds[name] = typed[0] if typed else "other"
    for name, kind in list(kinds.items()):
        if kind == "person" and role_and_noun(name, document):
            del kinds[name]
        elif kind == "other":
            kinds[name] = _kind_in_record(name, document, kinds, notes)
    for name, kind in kinds.items():
        if kind == "other" and _listed_with_places(name, document, kinds):
            kinds[name] = "place"
    return kinds


def _listed_with_places(name: str, document: Document, kinds: dict[str, Kind]) -> bool:
    """Whether the record lists a name with a place ("Formosa and the Pescadores")."""
    places = "|".join(re.escape(n) for n, k in kinds.items() if k == "place")
    if not places:
        return False
    quoted = re.escape(name)
    joined = r",?[ \t]+(?:and|or)[ \t]+(?:the[ \t]+)?|,[ \t]+(?:the[ \t]+)?"
    listed = rf"\b(?:{places})(?:{joined}){quoted}\b|\b{quoted}(?:{joined})(?:{places})\b"
    return re.search(listed, document.text) is not None


def _kind_in_record(
    name: str, document: Document, kinds: dict[str, Kind], notes: Identifications
) -> Kind:
    """What the record says elsewhere about a name its mentions leave untyped."""
    if notes.identify(name) or named_as_person(name, document, kinds):
        return "person"
    if is_abbreviation(name):
        spelled = expansion_of(name, document)
        if spelled is not None:
            return kind_of_name(" ".join(document.text[slice(*spelled)].split()), " ")
    place = named_as_place(name, document)
    if place == "surely":
        return "place"
    if named_by_deeds(name, document):
        return "person"
    if place == "probably":
        return "place"
    if name.endswith("ists") or name.endswith("ites"):  # "Stalinists": a party's people
        return "organisation"
    return "other"


def _grouped(document: Document, kinds: dict[str, Kind]) -> dict[str, list[str]]:
    """The names under their fullest form: a person's other forms ("Koo", "Ambassador Koo"
    under "Wellington Koo", when no other person shares the surname), an abbreviation under
    the name it spells ("JCS" under "Joint Chiefs of Staff")."""
    groups: dict[str, list[str]] = {name: [name] for name in kinds}
    people = [n for n, k in kinds.items() if k == "person"]
    full = [n for n in people if len(core_of(n).split()) > 1]
    for name in people:
        core = core_of(name).split()
        if len(core) > 1:
            continue
        owners = {core_of(f) for f in full if core[0] in _surnames(core_of(f))}
        if len(owners) == 1:
            owner = max((f for f in full if core_of(f) in owners), key=_fullness)
        else:
            same = [n for n in people if core_of(n) == core[0]]
            owner = max(same, key=_fullness)
        if owner != name:
            groups[owner] += groups.pop(name)
    for name in [n for n in groups if is_abbreviation(n)]:
        spelled = expansion_of(name, document)
        written = " ".join(document.text[slice(*spelled)].split()) if spelled else ""
        if written in groups and written != name:
            groups[written] += groups.pop(name)
    # A pseudonym with the name behind it ("FILIPPOV [Stalin]"): one person, under the name.
    lowered = {n.lower(): n for n in groups}
    for alias, name in PSEUDONYM.findall(document.text):
        a, n = lowered.get(alias.lower()), lowered.get(name.lower())
        if a and n and a != n and a in groups and n in groups:
            groups[n] += groups.pop(a)
    return groups


PSEUDONYM = re.compile(r"\b(?P<alias>[A-Z][\w’'-]+)[ \t]*\[(?P<name>[A-Z][\w .’'-]+)\]")  # noqa: RUF001
"""A pen name and the name behind it, as editors write it: "FILIPPOV [Stalin]"."""


def _surnames(core: str) -> tuple[str, ...]:
    """The words a person's name may be shortened to: the last ("Koo" of "Wellington Koo"),
    and the first of a romanised Chinese name ("Chiang" of "Chiang Kai-shek")."""
    words = [w for w in core.split() if not re.fullmatch(r"[A-Z]\.?", w)]
    if len(words) == 2 and ("-" in words[1] or words[1][1:].islower()):
        return (words[-1], words[0])
    return (words[-1],) if words else ()


def _fullness(name: str) -> tuple[int, int, int]:
    """How full a form of a name is: words of the name itself, then any title, then length."""
    core = core_of(name).split()
    return (len([w for w in core if len(w.rstrip(".")) > 1]), len(name.split()), len(name))


def _entry(
    document: Document,
    group: list[str],
    kinds: dict[str, Kind],
    by_name: dict[str, list[_Mention]],
    notes: Identifications,
) -> GlossaryEntry:
    # A group's first name is its term: the fullest form, the spelled-out name of an
    # abbreviation, the name behind a pseudonym.
    term = group[0]
    title_end = next((s.end for s in document.sections if s.name == "Title"), -1)
    best = max(
        (m for name in group for m in by_name[name]),
        key=lambda m: (m.at > title_end, _fullness(m.name), -m.at),
    )
    start, end = clause_around(
        document.text, best.sentence.start, best.sentence.end, best.at, best.at + len(best.name)
    )
    spelled = expansion_of(term, document) if is_abbreviation(term) else None
    identified = next((c for c in map(notes.identify, group) if c is not None), None)
    kind = kinds[term]
    if spelled is not None:  # the record's own words say what "NSC" is, not a stray "in NSC"
        kind = kind_of_name(" ".join(document.text[slice(*spelled)].split()), " ")
        kind = kinds[term] if kind == "other" else kind
    if kind == "other" and identified is not None:
        kind = "person"
    return GlossaryEntry(
        term=term, kind=kind, source=cite(document, start, end),
        variants=sorted(set(group) - {term}),
        identification=identified,
        expansion=cite(document, *spelled) if spelled else None,
    )  # fmt: skip


def _dates(document: Document) -> list[GlossaryEntry]:
    """The full dates the body gives, each cited at the clause of its first mention."""
    entries: dict[str, GlossaryEntry] = {}
    start, end = body_of(document)
    for sentence in split_sentences(document.text, start, end):
        for found in FULL_DATE.finditer(document.text, sentence.start, sentence.end):
            if found.group() not in entries:
                left, right = clause_around(
                    document.text, sentence.start, sentence.end, found.start(), found.end()
                )
                entries[found.group()] = GlossaryEntry(
                    term=found.group(), kind="date", source=cite(document, left, right)
                )
    return list(entries.values())
