"""A document's quiz: fill in the blank in sentences of its own text, with lettered choices of the
same kind as the answer, each item keyed to the sentence it comes from.

Only the document's body is blanked, and only what a teacher would ask: a number and what it
counts ("124 pieces"), a person, a place or an organisation. Never its title, dateline, signature,
a table row, a stage direction of minutes or the editors' notes: those are the archive's
apparatus, not the document speaking. Wrong choices are of the answer's kind: people for a
person, places for a place, and for a number other amounts of the same thing, taken from the
document where it counts that thing again, else made in the same notation ("nine" -> "six",
"$71.2 million" -> "$35.6 million").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from typing import Literal, NamedTuple

from pydantic import BaseModel, model_validator

from qa.answer import Citation, cite
from qa.study.glossary import body_of, glossary, kind_of_name, names_in
from qa.words import MONTH_NAMES
from vectorstore.documents import Document
from vectorstore.text import Span, split_sentences, terms


def item_key(kind: str, *words: str) -> str:
    """A short, stable name for a study item, made from what it says ("quiz-1f3a9c0b2d")."""
    return f"{kind}-{hashlib.sha1(' '.join(words).encode()).hexdigest()[:10]}"


QUIZ_ITEMS = 5
CHOICES = 4
LETTERS = "ABCD"
BLANK = "_____"
# A sentence to complete says something: a heading, a salutation or a signature does not.
_MIN_WORDS = 8
# A quiz asks about several kinds of fact, not five organisations.
_PER_KIND = 3

BlankKind = Literal["number", "person", "place", "organisation"]

_WORD_NUMBERS = [
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "fifteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "hundred",
]
# An amount and the word after it, which says what it counts: "124 pieces", "nine divisions",
# "$71.2 million for", "3,000 tons".
_AMOUNT = re.compile(
    rf"(?<![\w/.-])(?P<amount>\$?\d[\d,]*(?:\.\d+)?(?:\s+(?:million|billion|thousand))?"
    rf"|(?i:{'|'.join(_WORD_NUMBERS)}))(?![\w/-])(?:(?:\s+[A-Z][\w-]*)*\s+(?P<unit>[a-z][a-z-]+))?"
)
# A number that is a reference or part of a date, not an amount: "No. 15", "telegram 1191",
# "July 13", "13 July", a year.
_REFERENCE_BEFORE = re.compile(
    rf"(?:\bNos?\.|\b(?:telegram|despatch|dispatch|instruction|note|article|section|paragraph|"
    rf"page|p\.|pp\.|circular|resolution|{MONTH_NAMES}))\s*$",
    re.I,
)
_MONTH_AFTER = re.compile(rf"^\s*(?:{MONTH_NAMES})\b", re.I)
_YEAR = re.compile(r"1[6-9]\d\d|20\d\d")
_NUMBERED = re.compile(r"^\s*[\"“]?\(?\d{1,3}[.)]\s+")


class QuizItem(BaseModel):
    """Fill in the blank in a sentence of the document: four lettered choices, one of them right,
    the key citing the sentence."""

    prompt: str
    choices: list[str]
    """In the order lettered A, B, C, D."""
    answer: str
    kind: BlankKind
    source: Citation
    key: str = ""
    """Names the item to a teacher's edits (qa.study.edits): made from its sentence and blank."""

    @model_validator(mode="after")
    def _keyed(self) -> QuizItem:
        self.key = self.key or item_key("quiz", self.prompt, self.answer)
        return self

    @property
    def letter(self) -> str:
        """The right choice's letter."""
        return LETTERS[self.choices.index(self.answer)]


def quiz(
    document: Document, first: Iterable[Citation] = (), beside: Iterable[Document] = ()
) -> list[QuizItem]:
    """Up to `QUIZ_ITEMS` fill-in-the-blank items from the document's body: the sentences `first`
    quotes (a study guide's answers) come first, then those with an amount, then the rest, in the
    document's order; one item a sentence, each answer once. Wrong names come from the document,
    then, where it has too few of a kind, from the documents studied `beside` it."""
    sentences = _quiz_sentences(document)
    quoted = {c.start for c in first if c.document_id == document.id}
    amounts = _amounts(document, sentences)
    names = _names(document, sentences)
    pool = _pool(beside)
    ranked = sorted(
        sentences,
        key=lambda s: (s.start not in quoted, not any(a.sentence == s for a in amounts)),
    )
    items: list[QuizItem] = []
    for sentence in ranked:
        item = _item(document, sentence, amounts, names, pool, {i.answer for i in items})
        if item is not None and sum(i.kind == item.kind for i in items) < _PER_KIND:
            items.append(item)
        if len(items) == QUIZ_ITEMS:
            break
    return sorted(items, key=lambda i: i.source.start)


def _quiz_sentences(document: Document) -> list[Span]:
    """The sentences of the document's body worth completing: not its apparatus repeated (a
    dateline opening the text), not a table row, a stage direction or a short line."""
    start, end = body_of(document)
    apparatus = " ".join(
        " ".join(document.text[s.start : s.end].split())
        for s in document.sections
        if s.name not in ("Contents", "Footnotes")
    )
    kept = []
    for sentence in split_sentences(document.text, start, end):
        text = " ".join(document.text[sentence.start : sentence.end].split())
        if len(text.split()) < _MIN_WORDS or "|" in text or text[0] in "([":
            continue
        # The end of a bracketed aside ("[... During this discussion, Mr. Rusk left the
        # meeting.]") is a stage direction too.
        if text.count("]") > text.count("[") or text.count(")") > text.count("("):
            continue
        if text in apparatus:
            continue
        kept.append(sentence)
    return kept


class Amount(NamedTuple):
    """An amount in a sentence of the document, and what it counts."""

    sentence: Span
    at: int
    """Its offset in the document's text."""
    amount: str
    """As written: "124", "nine", "$71.2 million"."""
    unit: str
    """The word it counts: "pieces", "divisions"."""
    phrase: str
    """The amount with what it counts: "nine Chinese divisions"."""


def counted(document: Document) -> list[Amount]:
    """The amounts in the sentences of the document's body a quiz may ask about, with what each
    counts ("124 pieces"), in the document's order: no references, dates or years."""
    return _amounts(document, _quiz_sentences(document))


def _amounts(document: Document, sentences: list[Span]) -> list[Amount]:
    found = []
    for sentence in sentences:
        text = document.text[sentence.start : sentence.end]
        for match in _AMOUNT.finditer(text):
            amount, unit = match["amount"], (match["unit"] or "").lower()
            if _YEAR.fullmatch(amount) or (re.fullmatch(r"\d{1,2}", amount) and not unit):
                continue
            if _REFERENCE_BEFORE.search(text[: match.start()]) or _MONTH_AFTER.match(
                text[match.end("amount") :]
            ):
                continue
            if not unit or not terms(unit):  # "124 for": what it counts is not next to it
                continue
            at = sentence.start + match.start()
            found.append(Amount(sentence, at, amount, unit, match.group().strip()))
    return found


def _names(document: Document, sentences: list[Span]) -> dict[int, tuple[str, BlankKind]]:
    """The people, places and organisations of the sentences, by offset, typed as the glossary
    types them."""
    found: dict[int, tuple[str, BlankKind]] = {}
    typed = {form: e.kind for e in glossary(document) for form in (e.term, *e.variants)}
    for sentence in sentences:
        for at, name in names_in(document, sentence.start, sentence.end).items():
            before = document.text[max(0, at - 30) : at + 1]
            kind = _BLANKABLE.get(typed.get(name) or kind_of_name(name, before))
            if kind is not None and not re.search(r"\w-[A-Z]", name):  # "First Party-Second ..."
                found[at] = (name, kind)
    return found


_BLANKABLE: dict[str, BlankKind] = {k: k for k in ("person", "place", "organisation")}


def _pool(documents: Iterable[Document]) -> dict[BlankKind, list[str]]:
    """The people, places and organisations of other documents, by kind, as their glossaries
    type them: wrong choices where a document has too few of its own."""
    pool: dict[BlankKind, list[str]] = {}
    for document in documents:
        for entry in glossary(document):
            kind = _BLANKABLE.get(entry.kind)
            if kind is not None:
                pool.setdefault(kind, []).append(entry.term)
    return {kind: list(dict.fromkeys(terms)) for kind, terms in pool.items()}


def _item(
    document: Document,
    sentence: Span,
    amounts: list[Amount],
    names: dict[int, tuple[str, BlankKind]],
    pool: dict[BlankKind, list[str]],
    used: set[str],
) -> QuizItem | None:
    text = document.text[sentence.start : sentence.end]
    blanks: list[tuple[str, BlankKind, list[str]]] = []
    for s, _, amount, unit, _ in amounts:
        if s == sentence:
            blanks.append((amount, "number", _other_amounts(amount, unit, amounts)))
    for at, (name, kind) in names.items():
        if sentence.start <= at < sentence.end:
            others = [n for n, k in dict.fromkeys(names.values()) if k == kind and n != name]
            others += pool.get(kind, [])
            blanks.append((name, kind, others))
    for answer, kind, candidates in blanks:
        if answer in used or text.count(answer) != 1:
            continue
        wrong: list[str] = []
        for other in dict.fromkeys(candidates):
            # Each choice names something else: not "Chinese Nationalist" and "... Nationalists".
            if other not in text and not any(_same(other, c) for c in [answer, *wrong]):
                wrong.append(other)
        if len(wrong) < CHOICES - 1:
            continue
        choices = [answer, *wrong[: CHOICES - 1]]
        # Without the sentence's own list number: the quiz numbers its items.
        prompt = " ".join(_NUMBERED.sub("", text.replace(answer, BLANK, 1), count=1).split())
        return QuizItem(
            prompt=prompt, choices=_in_order(choices, kind), answer=answer, kind=kind,
            source=cite(document, sentence.start, sentence.end),
        )  # fmt: skip
    return None


def _same(a: str, b: str) -> bool:
    """Whether two choices name the same thing ("Koo", "Wellington Koo")."""
    x, y = set(terms(a)), set(terms(b))
    return bool(x and y and (x <= y or y <= x))


def _other_amounts(amount: str, unit: str, amounts: list[Amount]) -> list[str]:
    """Other amounts of what `amount` counts, in its notation ("five years": not "350 years"):
    those the document gives of it, then made ones."""
    stem = terms(unit)
    in_words = amount.lower() in _WORD_NUMBERS
    said = [
        a for _, _, a, u, _ in amounts
        if terms(u) == stem and a != amount and (a.lower() in _WORD_NUMBERS) == in_words
    ]  # fmt: skip
    return list(dict.fromkeys([*said, *_alike(amount)]))


def _alike(amount: str) -> Iterator[str]:
    """Amounts written like `amount`, other than it: a word number for a word number, and the
    same prefix, decimals and scale word for figures."""
    if amount.lower() in _WORD_NUMBERS:
        i = _WORD_NUMBERS.index(amount.lower())
        for j in (i - 3, i + 3, i - 1, i + 1, i + 6, i - 6):
            if 0 <= j < len(_WORD_NUMBERS) and j != i:
                word = _WORD_NUMBERS[j]
                yield word.capitalize() if amount[0].isupper() else word
        return
    match = re.fullmatch(r"(\$?)(\d[\d,]*)(\.\d+)?(.*)", amount, re.S)
    if match is None:
        return
    prefix, whole, decimals, scale = match.groups()
    value = float(whole.replace(",", "") + (decimals or ""))
    places = len(decimals) - 1 if decimals else 0
    for factor in (0.5, 2.0, 1.5, 3.0, 0.25):
        other = round(value * factor, places)
        if other <= 0 or other == value:
            continue
        figure = f"{other:,.{places}f}" if "," in whole else f"{other:.{places}f}"
        yield f"{prefix}{figure}{scale}"


def _in_order(choices: list[str], kind: BlankKind) -> list[str]:
    """Choices in an order that gives nothing away: amounts by size, names alphabetically."""
    if kind != "number":
        return sorted(choices, key=str.lower)

    def size(amount: str) -> float:
        if amount.lower() in _WORD_NUMBERS:
            return float(_WORD_NUMBERS.index(amount.lower()))
        digits = re.sub(r"[^\d.]", "", amount.split()[0])
        return float(digits or 0)

    return sorted(choices, key=size)
