"""Names in a record's text, and what each names, for the glossary and the quiz.

A name is a capitalised run ("Security Council", "Omar N. Bradley"), trimmed of what only looks
like one: a sentence's opening word, telegraphese ("Depinstr", "Re Deptel"), a date's month
("Kalimpong January"), a trailing "for FY", a common word the record writes in lower case
elsewhere ("Strategic Importance of Formosa" is Formosa). Its kind comes from the record's own
cues: its words and the words before it, titles and roles anywhere in the record, the editors'
footnotes, the title's correspondents, datelines, what it does ("Nehru said"), and the names of
countries (pycountry's, the ISO lists: a record-type vocabulary, not one document's).
"""

from __future__ import annotations

import itertools
import re
import zoneinfo
from functools import cache, lru_cache
from typing import Literal

import pycountry

from qa.answer import Citation, cite
from qa.study.record import clause_around, footnotes_of, markers_of
from qa.words import (
    CALENDAR,
    DIRECTIONS,
    DOCUMENT_KIND_WORDS,
    MONTH_NAMES,
    OPENERS,
    ORGANISATION_WORDS,
    PERSONAL_TITLES,
    PLACE_WORDS,
    is_nationality,
)
from vectorstore.documents import Document
from vectorstore.text import LIST_LABEL, split_sentences, terms

Kind = Literal["person", "place", "organisation", "date", "other"]
# Capitalised runs, allowing "of (the)", "for (the)" inside ("Secretary of State"), initials
# ("Omar N. Bradley"), and a bracketed identification after a pseudonym ("FILIPPOV [Stalin]").
_WORD = r"(?:(?<![.\w])[A-Z]\.(?=[ \t]+[A-Z])|[A-Z][\w'’-]*)"  # noqa: RUF001
_NAME = re.compile(rf"\[?{_WORD}(?:[ \t]+(?:(?:of|for)(?:[ \t]+the)?[ \t]+)?{_WORD})*\]?")
_TITLES = re.compile(rf"\b(?:{'|'.join(PERSONAL_TITLES)})\.?\s+$")
_PLACE_BEFORE = re.compile(r"\b(?:in|at|near|inside|toward|towards)\s+(?:the\s+)?$", re.I)
_LEADING_LABEL = re.compile(rf"^{LIST_LABEL.pattern}")
_POSSESSIVE = re.compile(r"['’]s?$")  # noqa: RUF001
# Words that open a clause with a capital, beyond qa.words.OPENERS.
_CLAUSE_OPENERS = frozenset(
    {"although", "though", "please", "following", "finally", "when", "while", "since"}
    | {"after", "before", "unless", "because", "meanwhile", "nevertheless", "accordingly"}
    | {"received", "dear", "neither", "yet", "outside", "therefore", "however", "subject"}
    | {"even", "recommend", "request", "suggest", "see", "note", "perhaps", "only", "both"}
    | {"referring", "replying", "acknowledging", "regarding", "concerning", "reference"}
)
# Telegraphese and the apparatus's shorthand: references to other telegrams, routing words,
# clipped common words. Never names, alone or opening one ("Re Deptel", "Sent Department").
_TELEGRAPHESE = re.compile(
    r"(?:dep|emb|ur|my|re|ref|con|circ|gad|reur)(?:tel|instr|des|off|airgram|cirtel)s?|re|ref|"
    r"rptd|niact|para|paras|info|sent|fyi|dept|def|asst|adjt|flt|comm?|recd|urgent|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec",
    re.I,
)
# Bodies beyond qa.words.ORGANISATION_WORDS, and peoples acting as one ("Chinese Communists").
_BODIES = frozenset(
    terms(
        "mission group board conference league regime fleet communists nationalists allies "
        "company chiefs service services delegation administration office yuan kuomintang bank"
    )
)
# A title or office makes a name a person's ("Admiral Lalor", "Foreign Minister of Pakistan",
# "Secretary of State"); an organisation's word wins before it ("General Assembly").
_ROLE_NAMES = (
    *PERSONAL_TITLES, "Chargé", "Governor", "King", "Queen", "Emperor", "Prince", "Princess",
    "Lord", "Marquis", "Count", "Duke", "Viceroy", "Senator", "Commander", "Envoy", "Attaché",
    "Generalissimo", "Major", "Messrs", "Representative", "Delegate", "Madame", "Señor",
    "Lieutenant", "Brigadier", "Excellency", "Maj", "Brig", "Dalai", "Lama", "Mayor", "Premier",
    "Earl", "Baron", "Monsignor", "Bishop", "Father",
)  # fmt: skip
ROLES = frozenset(t for role in _ROLE_NAMES for t in terms(role))
"""Titles and offices that make a name a person's (as stems)."""
# A name with an initial ("Robert M", "John A. Smith") or a romanised Chinese given name
# ("Chen Cho-lin", "Wei Tao-ming").
_PERSON_SHAPE = re.compile(
    r"^[A-Z][a-z]+ [A-Z]$|\b[A-Z]\.? [A-Z][a-z]+$|^[A-Z][a-z’']+ [A-Z][a-z’']+-[A-Za-z’']+$"  # noqa: RUF001
)
# Kinds of document, which open a title-case heading ("Memorandum of Conversation").
_KIND_WORDS = frozenset([*DOCUMENT_KIND_WORDS, "telephone", "enclosure", "annex", "attachment"])
# Words of an office's name, beyond ROLES ("Foreign Secretary", "Deputy Director").
_OFFICE_WORDS = frozenset(
    terms("foreign deputy assistant director chief acting vice special under head executive")
)
# Continents, oceans and their parts: names of regions by their words alone ("Far East").
_REGIONS = frozenset(
    terms("asia europe africa america americas pacific atlantic orient far middle near central")
    + terms("latin southeast southwest northeast northwest mainland")
)
# Given names common in these records' English: a name opening with one is a person's.
_GIVEN = frozenset([
    "john", "james", "william", "charles", "george", "henry", "robert", "thomas", "edward",
    "richard", "joseph", "david", "paul", "walter", "frank", "harry", "arthur", "albert",
    "alfred", "francis", "frederick", "samuel", "benjamin", "howard", "ralph", "philip",
    "dean", "harold", "herbert", "kenneth", "louis", "lewis", "livingston", "warren",
    "douglas", "omar", "karl", "carl", "alexander", "andrew", "anthony", "daniel", "ernest",
    "eugene", "hugh", "lucius", "nathan", "roger", "stanley", "theodore", "victor", "wallace",
    "winston", "franklin", "mark", "michael", "peter", "stephen", "alonzo", "averell",
    "everett", "lawton", "lyman", "durward", "angus", "wickham",
])  # fmt: skip
# What a person does in these records, right after the name ("Nehru said", "Bajpai added").
_DEEDS = (
    "said|says|stated|states|told|tells|asked|asks|replied|remarked|added|indicated|expressed|"
    "believes|believed|thought|thinks|agreed|explained|noted|suggested|informed|commented|felt|"
    "feels|wrote|confirmed|desired|declared|emphasized|mentioned|observed|inquired|urged|"
    "insisted|assured|stressed|recalled|pointed|doubted|hoped|promised|requested|received"
)
# Words before a name that make it a place, surely ("in", "at", "Embassy in") or probably
# ("from", "to": a telegram from London, a letter to Acheson).
_SURELY_PLACE = r"in|at|near|on|off|via|toward|towards|into|across|throughout|within|inside"
_PROBABLY_PLACE = r"from|to"
_OF_PLACE = (
    r"Government|Republic|Embassy|Legation|Consulate|people|peoples|island|capital|province|"
    r"city|port|coast|invasion|King|Kingdom|Governor|Mayor|Ambassador|Minister|Consul"
)


def names_in(document: Document, start: int, end: int) -> dict[int, str]:
    """The names in ``document.text[start:end]`` by offset: capitalised runs, not the first word
    of a sentence alone, not a lone nationality or a common word, not telegraphese; shouted
    header words ("SOVIET AMBASSADOR") only where the document also writes them as a name
    ("Zhou Enlai")."""
    found: dict[int, str] = {}
    text = document.text[start:end]
    common = common_words(document.text)
    for match in _NAME.finditer(text):
        name = match.group().strip("[] ").rstrip(".") if "[" in match.group() else match.group()
        name = name.rstrip(".") if not re.search(r"\b[A-Z]\.$", name) else name
        shouted = list(
            itertools.takewhile(lambda w: re.fullmatch(r"[A-Z][A-Z'’-]+", w), name.split())  # noqa: RUF001
        )
        if shouted and _is_acronym(name, text):
            pass
        elif shouted:
            name = " ".join(shouted).title()
            if len(name) < 4 or name not in document.text:
                continue
        at = match.start()
        opening = not re.search(r"[A-Za-z0-9]", _LEADING_LABEL.sub("", text[:at], count=1))
        if opening and " " not in name:  # capitalised because it opens the sentence
            continue
        name = _POSSESSIVE.sub("", name)
        first, _, rest = name.partition(" ")
        while rest and _opens(first):  # "That the UN", "My Dear Sir", "Although General ..."
            at += len(first) + 1
            name = re.sub(r"^(?:(?:of|the|for)\s+)+", "", rest)
            first, _, rest = name.partition(" ")
        if _opens(first) and not rest:  # "Please", "Finally"
            continue
        if opening:  # "Effect of Counter-Measures", "Continuation of UN Operations"
            head, of, tail = name.partition(" of ")
            if of and " " not in head and not _has_role_or_body(head) and not _is_region(head):
                at += len(head) + len(of)
                name = re.sub(r"^the\s+", "", tail)
        trimmed = _trimmed(name, common, document.text)
        if trimmed is None:
            continue
        at += name.index(trimmed)
        name = trimmed
        words = [t for t in terms(name) if t not in DIRECTIONS]
        if len(name) < 3 or not words or all(is_nationality(t) for t in words):
            continue
        if words[0] in CALENDAR:
            continue
        found[start + at] = name
    return found


def _is_acronym(name: str, sentence: str) -> bool:
    """Whether a word in capitals is an abbreviation ("GOI", "CINCFE"), not a shouted header
    word ("BEIJING", "TELEGRAM") or a roman numeral: short, alone, among words in lower case."""
    return (
        re.fullmatch(r"[A-Z]{2,6}", name) is not None
        and re.fullmatch(r"[IVXLC]+", name) is None
        and re.search(r"\b[a-z]{3,}\b", sentence) is not None
    )


def _opens(word: str) -> bool:
    """Whether a capitalised word is one that opens a clause, not a name ("Although", "Please",
    "Consequently")."""
    lower = word.lower()
    return not terms(word) or lower in OPENERS or lower in _CLAUSE_OPENERS or lower.endswith("ly")


@lru_cache(maxsize=8)
def common_words(text: str) -> frozenset[str]:
    """The words a record writes in lower case somewhere: common words, not names, when they
    are capitalised elsewhere ("Strategic", "Defense")."""
    return frozenset(re.findall(r"(?<![\w'’-])[a-z][a-z'’-]*", text))  # noqa: RUF001


def _trimmed(name: str, common: frozenset[str], text: str) -> str | None:
    """A capitalised run without what only looks like a name in it; None when nothing is left."""
    words = name.split()
    while words and (_TELEGRAPHESE.fullmatch(words[0]) or words[0].lower() in _KIND_WORDS):
        words = words[1:]  # "Re Deptel", "Memorandum of Conversation"
        while words and words[0] in ("of", "the", "for"):
            words = words[1:]
    cut = next((i for i, w in enumerate(words) if i and _is_calendar(w)), len(words))
    words = words[:cut]
    name = " ".join(words)
    left, found, right = name.partition(" for ")
    if found and not _has_role_or_body(left):
        name = left
    left, found, right = name.partition(" of ")
    nationality = all(is_nationality(t) for t in terms(right))
    if found and not _has_role_or_body(left) and (_has_role_or_body(right) or nationality):
        name = left  # "Charles Burton Marshall of the Policy Planning Staff", "Allen of Canadian"
    name = re.sub(r"(?:\s+(?:of|the|for))+$", "", name)
    first, _, rest = name.partition(" ")
    if rest and is_nationality(terms(first)[0] if terms(first) else "") and _is_region(rest):
        name = rest  # "Chinese Hong Kong"
    if not _has_role_or_body(name) and not set(terms(name)) & (_REGIONS | PLACE_WORDS):
        while " " in name and name.split()[0].lower() in common:
            name = re.sub(r"^\S+\s+(?:(?:of|the|for)\s+)*", "", name)
    if not name or _TELEGRAPHESE.fullmatch(name) or _is_demonym(name, text):
        return None
    if re.fullmatch(
        r"(?:(?:Part|Article|Section|Volume|Chapter|Annex|[IVXLC]+(?:th|st|nd|rd)?|"
        r"[A-Z]\.?)(?:\s+|$))+",
        name,
    ):
        return None  # "Part IV", "XIVth", "R. N": numbering and initials, no name
    stems = terms(name)
    if all(is_nationality(t) or t in ROLES or t in _OFFICE_WORDS for t in stems):
        return None  # "Chinese Ambassador", "Director": a title, no name
    every_word_common = all(w.lower() in common | _KIND_WORDS for w in name.split())
    if every_word_common and not _has_role_or_body(name):
        return None  # "Telephone Conversation", "Fiscal Year", "Respect", "Defense"
    return name


def _is_calendar(word: str) -> bool:
    return (
        bool(set(terms(word)) & CALENDAR)
        or re.fullmatch(r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?", word)
        is not None
    )


def _has_role_or_body(name: str) -> bool:
    words = set(terms(name))
    return bool(words & (ORGANISATION_WORDS | _BODIES | ROLES))


def _is_demonym(name: str, text: str) -> bool:
    """Whether a lone word is a people's adjective or plural ("Italian", "Asians", "Tibetan"
    where the record names Tibet), like the nationalities qa.words leaves out."""
    if " " in name:
        return False
    if re.search(r"(?:ian|ean|ese|ish|ic|ics)s?$", name):
        return True
    if _names_a_country(name.lower()):
        return True
    stem = re.sub(r"s$", "", name)
    places = (stem[:-1], stem[:-2], stem[:-3] + "o")  # Asia(n), Tibet(an), Mexic(an)o
    return stem.endswith("an") and any(len(p) > 2 and re.search(rf"\b{p}\b", text) for p in places)


def kind_of_name(name: str, before: str) -> Kind:
    """What a name names, by its words and the words before it (`before` ends with the name's
    first character: "FILIPPOV [" marks an identification, a person)."""
    words = set(terms(name))
    before, first = before[:-1], before[-1:]
    if words & ORGANISATION_WORDS or words & _BODIES:
        return "organisation"
    if _TITLES.search(before) or first == "[" or words & ROLES or _PERSON_SHAPE.search(name):
        return "person"
    if _PLACE_BEFORE.search(before) or words & PLACE_WORDS or _is_region(name):
        return "place"
    given = [w for w in name.split()[:-1] if not re.fullmatch(r"[A-Z]\.", w)]
    if given and given[0].lower() in _GIVEN:
        return "person"  # "Cordell Hull", "W. Henry Brown"
    return "other"


def _names_a_country(word: str) -> bool:
    """Whether a lower-case word is a country's adjective cut from its name: "thai" of
    Thailand, "philippine" of the Philippines, "german" of Germany."""
    return len(word) > 3 and any(word + end in _nations() for end in ("s", "land", "y", "ia"))


@cache
def _nations() -> frozenset[str]:
    """Names of countries and former countries (not their provinces or cities), lower case."""
    records = itertools.chain(pycountry.countries, pycountry.historic_countries)
    return frozenset(
        value.split(",")[0].strip().lower()
        for record in records
        for field in ("name", "common_name")
        if isinstance(value := getattr(record, field, None), str)
    )


def _is_region(name: str) -> bool:
    """Whether a name is a country's ("Philippines", "Burma") or a region's ("Far East")."""
    words = terms(name)
    if words and all(w in _REGIONS or w in DIRECTIONS for w in words):
        return True
    bare = re.sub(r"^the\s+", "", name, flags=re.I).lower()
    # "Japan-Ryukyus-Philippines": a line through places is a place.
    return bare in _countries() or ("-" in bare and all(_is_region(p) for p in bare.split("-")))


@cache
def _countries() -> frozenset[str]:
    """Names of countries, former countries, their provinces and states, and cities, in lower
    case."""
    names: set[str] = set()
    records = itertools.chain(
        pycountry.countries, pycountry.historic_countries, pycountry.subdivisions
    )
    for record in records:
        for field in ("name", "common_name", "official_name"):
            value = getattr(record, field, None)
            if isinstance(value, str):
                name = value.split(",")[0].strip().lower()
                names.add(re.sub(r"\s+(?:sheng|shi|zizhiqu|sar|province|oblast)$", "", name))
    # The time-zone database names its zones by their cities ("Asia/Shanghai", "Asia/Chungking").
    for zone in zoneinfo.available_timezones():
        region, _, city = zone.rpartition("/")
        if region.split("/")[0] in _ZONE_REGIONS:
            names.add(city.replace("_", " ").lower())
    return frozenset(names)


_ZONE_REGIONS = frozenset(
    {"Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian"}
    | {"Pacific"}
)


def core_of(name: str) -> str:
    """A person's name without the titles before it ("Koo" of "Ambassador Koo"); the last word
    when an office stands before it ("Acheson" of "Secretary of State Acheson")."""
    words = name.split()
    while len(words) > 1 and (set(terms(words[0])) & ROLES or words[0].rstrip(".") in _TITLE_WORDS):
        words = words[1:]
    if any(w in ("of", "for", "at") for w in words):
        return words[-1]
    return " ".join(words)


_TITLE_WORDS = frozenset({"Rear", "Vice", "Sir", "Dr", "Mr", "Mrs", "Lt", "Gen", "Adm", "Col"})


def role_and_noun(term: str, document: Document) -> bool:
    """Whether a title word is an adjective before a common noun that the record writes in lower
    case elsewhere ("General Situation", not "General Bradley")."""
    role, _, rest = term.partition(" ")
    if not rest or " " in rest or not set(terms(role)) & ROLES:
        return False
    return re.search(rf"\b{re.escape(rest.lower())}\b", document.text) is not None


def named_as_person(name: str, document: Document, kinds: dict[str, Kind]) -> bool:
    """Whether the record elsewhere makes a name a person's: the surname of a person it names
    ("Rusk" of "Dean Rusk"), after a title or an office anywhere ("Mr. Rusk", "Secretary of
    State Acheson"), before a role ("Bajpai, Secretary-General"), or a correspondent of its
    title ("Filippov [Stalin] to Zhou Enlai or Mao Zedong (via Roshchin)")."""
    if " " not in name and any(
        k == "person" and " " in n and name in (n.split()[-1], n.split()[0])
        for n, k in kinds.items()
    ):
        return True
    quoted = re.escape(name)
    office = r"(?:[ \t]+(?:of|for|at)[ \t]+(?:the[ \t]+)?[A-Z]\w+(?:[ \t]+[A-Z]\w+)*)?"
    titled = rf"\b(?:{'|'.join(_ROLE_NAMES)}){office}\.?[ \t]+{quoted}\b"
    roles = "|".join(_ROLE_NAMES)
    before_role = rf"\b{quoted},[ \t]+(?:the[ \t]+)?(?:\w+[ \t]+)?(?:{roles}|Chief|Director)\b"
    if re.search(f"{titled}|{before_role}", document.text):
        return True
    title = next(
        (document.text[s.start : s.end] for s in document.sections if s.name == "Title"), ""
    )
    correspondent = (
        rf"(?:^|,[ \t]+|\bto[ \t]+|\bor[ \t]+|\(via[ \t]+|\()\b{quoted}\b(?![ \t]+[A-Z])"
    )
    return not set(terms(name)) & PLACE_WORDS and re.search(correspondent, title) is not None


def named_as_place(name: str, document: Document) -> Literal["surely", "probably"] | None:
    """Whether the record elsewhere makes a name a place's, surely (after "in", "at", "on", of a
    government or an embassy, opening a dateline: "Taipei, February 27"; a country's or a
    region's name) or probably (after "from" or "to")."""
    quoted = re.escape(name)
    after = r"\b(?![ \t]+[A-Z])(?!['’]s\b)"  # noqa: RUF001
    surely = rf"\b(?:{_SURELY_PLACE})[ \t]+(?:the[ \t]+)?{quoted}{after}"
    of = rf"\b(?:{_OF_PLACE})[ \t]+(?:of|in|at|to)[ \t]+(?:the[ \t]+)?{quoted}\b"
    dated = rf"(?:^|\n){quoted},[ \t]+(?:\d{{1,2}}[ \t]+)?(?:{MONTH_NAMES})"
    government = rf"\b{quoted}[ \t]+(?:Government|Embassy|Legation|Consulate)\b"
    if _is_region(name) or re.search(f"{surely}|{of}|{dated}|{government}", document.text):
        return "surely"
    probably = rf"\b(?:{_PROBABLY_PLACE})[ \t]+(?:the[ \t]+)?{quoted}{after}"
    return "probably" if re.search(probably, document.text) else None


def named_by_deeds(name: str, document: Document) -> bool:
    """Whether the record has a name do what people do in it ("Nehru said", "Bajpai added")."""
    quoted = re.escape(name)
    then = r"(?:(?:also|then|later|had|has|further)[ \t]+)?"
    did = rf"\b{quoted}(?:\[\d+\])?,?[ \t]+{then}(?:{_DEEDS})\b"
    return re.search(did, document.text) is not None


class Identifications:
    """The editors' footnotes that say who a name is: "[1] Ralph N. Clough, Consul at Hong Kong."
    (found by the name's surname), or "[8] Chairman of the Central People's Government Council"
    (found by its marker right after the name in the text)."""

    def __init__(self, document: Document) -> None:
        self._document = document
        self._by_surname: dict[str, list[tuple[str, Citation]]] = {}
        self._by_marker: dict[int, Citation] = {}
        self._markers = markers_of(document)
        common = common_words(document.text)
        for note in footnotes_of(document):
            named = _NAMED_NOTE.match(document.text, note.start, note.end)
            if named and not _is_person_name(named["name"], common):
                named = None
            if named is None and not _ROLE_NOTE.match(document.text, note.start, note.end):
                continue
            first = split_sentences(document.text, note.start, note.end)[0]
            span = clause_around(document.text, first.start, first.end, first.start, first.start)
            quote = cite(document, *span)
            self._by_marker[note.number] = quote
            full = named["name"] if named else ""
            for key in _keys(full):
                self._by_surname.setdefault(key, []).append((full, quote))

    def identify(self, name: str) -> Citation | None:
        """The footnote that identifies `name`, if one does (and only one)."""
        text = self._document.text
        for found in re.finditer(rf"\b{re.escape(name)}\b", text):
            marker = _MARKER_AFTER.match(text, found.end(), found.end() + 8)
            in_text = marker is not None and marker.start(1) - 1 in self._markers
            if marker is not None and in_text and int(marker[1]) in self._by_marker:
                return self._by_marker[int(marker[1])]
        core = core_of(name).split()
        keys = {core[-1], core[0]} if len(core) > 1 else {core[0]}
        fitting = {
            quote.start: quote
            for key in keys
            for full, quote in self._by_surname.get(key, [])
            if set(core) <= set(full.replace(".", ". ").split()) | set(core[-1:])
        }
        return next(iter(fitting.values())) if len(fitting) == 1 else None


_MARKER_AFTER = re.compile(r"(?:,|['’]s)?[ \t]*\[(\d+)\]")  # noqa: RUF001
_NAMED_NOTE = re.compile(
    r"(?:(?:Probably|Evidently|Apparently|Presumably)[ \t]+)?"
    r"(?P<name>(?:[A-Z][\w’'.-]*[ \t]+){0,6}[A-Z][\w’'-]+)"  # noqa: RUF001
    r"(?:,[ \t]+(?:or[ \t]+[^,]+,[ \t]+)?(?:was[ \t]+)?|[ \t]+was[ \t]+)"
    rf"(?!(?:{MONTH_NAMES}|see|not|p|pp|vol|ibid)\b)(?:(?:the|a|an|former)[ \t]+)?[A-Za-z]"
)
_ROLE_NOTE = re.compile(
    rf"(?:[Tt]he[ \t]+)?(?:(?:former|then|acting)[ \t]+)?(?:{'|'.join(_ROLE_NAMES)}|"
    r"Chief|Director|Head|Deputy|Assistant|Vice|Special|Member|Leader|Spokesman|Prime|Foreign)\b"
)


def _is_person_name(name: str, common: frozenset[str]) -> bool:
    """Whether the name opening a footnote is a person's: no organisation's word in it, and not
    a common word capitalised to open the note ("Telegram 1658", "Not printed")."""
    words = set(terms(name))
    return not words & (ORGANISATION_WORDS | _BODIES) and name.split()[0].lower() not in common


def _keys(full: str) -> list[str]:
    """The words a footnote's name may be found by: its last, and its first after any titles
    ("Clough" and "Ralph" of "Ralph N. Clough"; "Chiang" of "Generalissimo Chiang Kai-shek")."""
    words = [w for w in full.split() if len(w.rstrip(".")) > 1]
    words = [w for w in words if w not in _TITLE_WORDS and not set(terms(w)) & ROLES]
    return list(dict.fromkeys([words[-1], words[0]])) if words else []
