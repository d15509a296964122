"""The vocabulary archive-qa reads questions and records with, in one place: related words of
diplomatic and military records (the thesaurus), countries and peoples, kinds of document,
months, titles of persons, and the words that mark organisations and places.

Every list is of the record type, never of one document. The grammar that uses a list (a regular
expression around it) stays beside the code it serves.
"""

from __future__ import annotations

import re

from vectorstore.text import terms

# Related words for diplomatic and military records, so a question meets the text's own words.
# People ask "What did Stalin offer?"; the telegram says "we are ready to send you". Embeddings
# blur such pairs and BM25 misses them, so questions are widened with these groups before lexical
# search and before sentences are scored. The groups are the vocabulary of the record type (speech
# acts, communication, forces, countries and their adjectives), not of any one document.
_GROUPS = """
offer propose proposal ready prepared willing intend
aid assistance help support supply
ask request appeal demand urge
reply respond response answer react reaction
position view opinion attitude stance consider think believe
decide decision resolve determine
plan intend intention
agree accept consent approve
refuse reject decline
warn warning threaten threat
withdraw retreat evacuate
end terminate termination cease stop halt
channel telegraph telegram cable cipher ciphered wire courier
message telegram cable letter note dispatch
send transmit forward dispatch
troops forces army units divisions
aircraft planes jets fighters aviation airplanes
border frontier
money loan credit dollars rubles funds lend
meeting talk talks conference conversation
"""
# Countries and their adjectives: "the Soviets" finds "USSR", but as adjectives ("American
# military material") they describe rather than name, so questions do not insist on them.
_PEOPLES = """
china chinese
soviet soviets ussr russia russian russians
english britain british england
korea korean koreans
india indian
america american americans
japan japanese
france french
"""


def _build() -> dict[str, frozenset[str]]:
    related: dict[str, set[str]] = {}
    for line in f"{_GROUPS}\n{_PEOPLES}".strip().splitlines():
        group = set(terms(line))
        for stem in group:
            related.setdefault(stem, set()).update(group - {stem})
    return {stem: frozenset(others) for stem, others in related.items()}


_RELATED = _build()


_NATIONALITIES = frozenset(terms(_PEOPLES))


def is_nationality(stem: str) -> bool:
    """Whether `stem` is a country or people ("soviet", "chines")."""
    return stem in _NATIONALITIES


def related(stem: str) -> frozenset[str]:
    """Stems that mean nearly what `stem` means in these records (not `stem` itself)."""
    return _RELATED.get(stem, frozenset())


def widen(stems: list[str]) -> list[str]:
    """`stems` followed by their related stems, each once."""
    seen = dict.fromkeys(stems)
    for stem in stems:
        seen.update(dict.fromkeys(sorted(related(stem))))
    return list(seen)


MONTH_NAMES = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
FULL_DATE = re.compile(
    rf"\b(?:(?P<d1>\d{{1,2}})\s+(?P<m1>{MONTH_NAMES}),?|(?P<m2>{MONTH_NAMES})\s+(?P<d2>\d{{1,2}}),?)"
    r"\s+(?P<y>1[5-9]\d\d|20\d\d)\b"
)
"""A full date as records write it: "July 13, 1950", "13 July 1950" (day, month and year in
named groups)."""
CALENDAR = frozenset(
    terms(
        f"{MONTH_NAMES.replace('|', ' ')} monday tuesday wednesday thursday friday saturday sunday"
    )
)
"""Month and day names (as stems): a date, not a name."""
# Kinds of document, as questions and records name them ("the telegram", "a despatch").
DOCUMENT_KIND_WORDS = [
    *("telegram", "telegrams", "message", "messages", "cable", "cables", "letter", "letters"),
    *("memorandum", "memoranda", "memo", "memos", "note", "notes", "dispatch", "dispatches"),
    *("despatch", "despatches", "report", "reports", "minutes", "instruction", "instructions"),
    *("estimate", "estimates", "paper", "papers", "conversation", "conversations", "circular"),
    *("circulars", "proclamation", "proclamations", "statement", "statements", "speech"),
    *("speeches", "communiqué", "communique"),
]
DOCUMENT_KINDS = "|".join(sorted(DOCUMENT_KIND_WORDS, key=len, reverse=True))
"""The kinds as one regular-expression alternation, longest first."""
PERSONAL_TITLES = (
    *("Dr", "Mr", "Mrs", "Ms", "Miss", "Sir", "Gen", "General", "Adm", "Admiral", "Col"),
    *("Colonel", "Capt", "Captain", "Lt", "President", "Ambassador", "Secretary", "Minister"),
    *("Premier", "Chairman", "Comrade", "Prof", "Professor", "Marshal", "Consul"),
)
"""Titles written before a person's name."""
FILLERS = frozenset(terms("happen kind type sort way many much long mean make made get take"))
"""Words that ask for an answer without saying what it is about ("What would happen to ...")."""
ORGANISATION_WORDS = frozenset(
    terms(
        "council government ministry committee party army navy department office embassy "
        "nations republic assembly bureau command staff union congress parliament senate "
        "agency commission corps division forces legation consulate"
    )
)
"""Words that make a name an organisation ("Security Council")."""
PLACE_WORDS = frozenset(terms("island islands river sea strait bay province city states kingdom"))
"""Words that make a name a place ("Korea Strait", "Yangtze River"); no names of places, which
the words before them ("in Moscow") tell instead."""
DIRECTIONS = frozenset(terms("north south east west northern southern eastern western"))
OPENERS = frozenset(["upon", "then", "thus", "hence", "however", "moreover", "also"])
"""Adverbs that open a sentence with a capital: not part of a name after them."""
PROVENANCE_WORDS = frozenset(
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
"""Words that ask a provenance question rather than describe the document it is about (stems)."""
