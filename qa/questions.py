"""Reading a question before answering it: its words, its names, the kind of answer it wants.

The extractive answerer uses this to judge sentences as a reader would: "How many tanks?" is not
answered by a sentence without a number counting tanks, and "What did Stalin offer?" is about
more than Stalin, so a sentence that only names him does not answer it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from qa.answer import strip_markers
from qa.words import FILLERS, MONTH_NAMES, PERSONAL_TITLES, is_nationality, related
from vectorstore.text import LIST_LABEL, terms

_WORD = re.compile(r"[\w'’]+(?:-[\w'’]+)*")  # noqa: RUF001 - apostrophes of both kinds; "En-lai"

# Titles before a name identify no one ("Dr. Wallace" is found by "Wallace").
_TITLES = frozenset(terms(" ".join(PERSONAL_TITLES)))


class Expectation(Enum):
    """The kind of fact a question asks for, when its wording says so."""

    NUMBER = "a number"
    MONEY = "a sum of money"
    TIME = "a date or time"
    DURATION = "a length of time"
    PLACE = "a place"
    REASON = "a reason"


_EXPECTS = [
    (
        re.compile(
            r"^\s*how\s+much\b.*\b(money|cost|costs|pay|paid|lend|lent|loan|credit)\b", re.I
        ),
        Expectation.MONEY,
    ),
    (
        re.compile(r"^\s*how\s+(many|much|old)\b|\b(what|which)\s+(number|no\.?)\s", re.I),
        Expectation.NUMBER,
    ),
    (re.compile(r"^\s*how\s+long\b", re.I), Expectation.DURATION),
    (
        re.compile(
            r"^\s*when\b|\b(what|which)\s+(date|day|year|month|time|hour)\b|\bin\s+what\s+year\b",
            re.I,
        ),
        Expectation.TIME,
    ),
    (re.compile(r"^\s*where\b", re.I), Expectation.PLACE),
    (re.compile(r"^\s*why\b", re.I), Expectation.REASON),
]
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundred|hundreds|thousand|thousands|million|millions|"
    r"billion|billions|dozen|dozens|half"
)
_NUMBER = re.compile(rf"\b(?:\d+(?:[,.:]\d+)*|{_NUMBER_WORDS})\b", re.I)
_UNIT = r"(?:minute|hour|day|week|month|year)s?"
# "two to three months"; and a length without a number: "for an indefinite period of time".
_DURATION = re.compile(
    rf"\b(?:(?:\d[\d,.]*|{_NUMBER_WORDS}|a|an|several|few)\W+){{1,4}}{_UNIT}\b|"
    r"\bindefinite(?:ly)?\b|\b(?:long|short|brief|extended|limited)\s+(?:period|time)\b",
    re.I,
)
_MONTHS = rf"{MONTH_NAMES}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec"
_TIME = re.compile(
    rf"\b(?:{_MONTHS})\b\.?|\b1[7-9]\d\d\b|\b20\d\d\b|\b\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}\b|"
    r"\b\d{1,2}:\d\d\b|\b(?:yesterday|today|tomorrow|tonight|Monday|Tuesday|Wednesday|Thursday|"
    r"Friday|Saturday|Sunday)\b"
)
_MONEY = re.compile(
    r"[$£¥€]\s?\d|\b(?:dollars?|rubles?|roubles?|yuan|pounds?|sterling|francs?|yen|marks)\b", re.I
)
_NEAR = 3  # "nine Chinese divisions": words from a number to what it counts
_HOW_MANY = re.compile(r"^\s*how\s+many\s+(?P<words>(?:[\w-]+\s+){0,3}[\w-]+)", re.I)
# "in Moscow", "at the embassy"; and a named place reached: "visited Chinese Naval base Tsoying".
_PLACE = re.compile(
    r"\b(?:in|at|near|inside|outside)\s+(?:the\s+|a\s+)?([A-Za-z][\w'’-]*)"  # noqa: RUF001
    r"|\b(?:visit(?:ed|ing|s)?|reach(?:ed|ing|es)?|toward|towards|into)\s+(?:the\s+)?"
    r"([A-Z][\w'’-]*)"  # noqa: RUF001
)
# "since" gives a reason before a clause ("since they made it clear"), a time before a noun
# ("since current hate campaign began").
_REASON = re.compile(
    r"\b(?:because|since\s+(?:i|we|you|he|she|it|they|there|this|that)\b|as a result|"
    r"in order to|so that|so as to|for fear|lead to|led to|due to|owing to|reason|therefore|"
    r"thus|hence|consequently|in view of|on the ground|for the purpose)\b",
    re.I,
)
# A year in a question ("How much did the USSR lend China in 1950?") is, like a name, something
# the documents that answer it must mention (their date line counts).
_YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
# A list number opening a sentence ("4. The current Soviet program ...") is not a figure.
_ENUMERATOR = re.compile(rf"^{LIST_LABEL.pattern}\s")


@dataclass(frozen=True)
class Name:
    """A name in a question as written, and the word stems that find it in a text."""

    text: str
    stems: frozenset[str]
    words: str = ""
    """The name without titles ("Wallace" for "Dr. Wallace"), to search for it."""

    def found_in(self, vocabulary: set[str] | frozenset[str]) -> bool:
        """Whether any word of the name ("Soviet Union") or a synonym ("USSR") is in it."""
        return not self.stems.isdisjoint(vocabulary)


@dataclass(frozen=True)
class Question:
    text: str
    terms: tuple[str, ...]
    names: tuple[Name, ...]
    expects: Expectation | None
    counted: frozenset[str] = frozenset()
    """For "How many tanks ...?": what is counted, with its synonyms."""

    def is_answered_by_kind(self, sentence: str) -> bool:
        """Whether `sentence` holds the kind of fact asked for (always true when none is)."""
        if self.expects is None:
            return True
        # A list number ("4. ...") and footnote markers ("Dr. Wallace,[2]") are not figures.
        body = strip_markers(_ENUMERATOR.sub(" ", sentence, count=1))
        if self.expects is Expectation.DURATION:
            return _DURATION.search(body) is not None
        if self.expects is Expectation.TIME:
            return _TIME.search(body) is not None
        if self.expects is Expectation.PLACE:
            # "in Moscow", "at the embassy", "in prison": a place after a preposition of place
            # that the question does not already name, and not a date ("in February").
            return any(
                not set(terms(place)) <= set(self.terms) and not _TIME.match(place)
                for place in map("".join, _PLACE.findall(body))
            )
        if self.expects is Expectation.REASON:
            return _REASON.search(body) is not None
        if self.expects is Expectation.MONEY and _MONEY.search(body) is None:
            return False
        asked = {m.group().lower() for m in _NUMBER.finditer(self.text)}
        words = _WORD.findall(body)
        numbers = [
            i for i, w in enumerate(words) if _NUMBER.fullmatch(w) and w.lower() not in asked
        ]
        if not self.counted:
            return bool(numbers)
        # The number must count the thing asked about: 124 jet fighters do not answer "How many
        # tanks?", and "two to three months ... our pilots" does not count pilots.
        counted = [i for i, w in enumerate(words) if not self.counted.isdisjoint(terms(w))]
        return any(0 < j - i <= _NEAR or i - j == 1 for i in numbers for j in counted)


@lru_cache(maxsize=1024)
def read_question(text: str) -> Question:
    """Analyse a question: its terms, names and the kind of answer it expects. The chain, the
    retriever and the answerer each need the reading; it is made once per question text."""
    names = _names(text)
    question_terms = tuple(t for t in terms(text) if t not in FILLERS)
    expects = next((kind for pattern, kind in _EXPECTS if pattern.search(text)), None)
    counted = frozenset(terms(_counted_noun(text)))
    counted = (
        counted.union(*map(related, counted)) if expects is Expectation.NUMBER else frozenset()
    )
    return Question(text, question_terms, tuple(names), expects, counted)


def _counted_noun(question: str) -> str:
    """ "How many Soviet pilots flew ...?" -> "pilots": the first plural among the next words,
    before the verb ("How many aircraft did the Soviets send?" counts aircraft, not Soviets)."""
    found = _HOW_MANY.match(question)
    if not found:
        return ""
    words = found.group("words").split()
    verb = next((i for i, w in enumerate(words) if w.lower() in _AUXILIARIES), len(words))
    words = words[:verb] or words[:1]
    return next((w for w in words if w.endswith("s") and not w.endswith("ss")), words[-1])


_AUXILIARIES = frozenset(
    ("did", "do", "does", "was", "were", "is", "are", "has", "have", "had", "will", "would",
     "could", "can", "should", "might", "may", "must")
)  # fmt: skip


def _names(question: str) -> list[Name]:
    """Runs of capitalised words, not counting the first word ("Kim Il Sung" is one name), and
    years.

    A country or its adjective alone ("Soviet", "the English") is not kept as a name.
    """
    names = [Name(year, frozenset({year}), year) for year in _YEAR.findall(question)]
    run: list[str] = []
    for i, word in enumerate([*_WORD.findall(question), ""]):
        word = re.sub(r"['’]s$", "", word)  # noqa: RUF001
        if word[:1].isupper() and terms(word) and (i > 0 or word.isupper()):
            run.append(word)
            continue
        words = [w for w in run if not set(terms(w)) <= _TITLES]
        stems = {t for w in words for t in terms(w)}
        if stems and not all(map(is_nationality, stems)):
            # A country's other names find it ("Soviet Union": USSR); the record type's related
            # words do not ("United States" is not found by "troops", kin of "units").
            found_by = frozenset(stems.union(*(related(s) for s in stems if is_nationality(s))))
            names.append(Name(" ".join(run), found_by, " ".join(words)))
        run = []
    return names
