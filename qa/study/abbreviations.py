"""Where a record spells out its own abbreviations, for the glossary: "GOI" is the "Government of
India" it names elsewhere, "CINCFE" the "Commander in Chief, Far East" of an editors' footnote,
"FonOff" the "Foreign Office", "Gimo" the "Generalissimo".

Only the record is read (its title, text, summary and footnotes), never a list of known
abbreviations: an abbreviation the record does not spell out keeps no expansion.
"""

from __future__ import annotations

import re
from collections import Counter

from vectorstore.documents import Document

# An abbreviation: capitals ("GOI", "MDAP"), or telegraphese that runs words together ("FonOff",
# "ComNavPhil") or cuts one short ("Gimo").
_CAPITALS = re.compile(r"[A-Z]{2,7}")
_RUN_TOGETHER = re.compile(r"(?:[A-Z][a-z]{1,4}){2,4}")
_WORD = re.compile(r"[A-Za-z]+")
# Words an expansion may pass over without a letter of their own ("Government of India").
_MINOR = frozenset({"of", "the", "and", "for", "in", "on", "to", "at"})
# What may stand between two words of one expansion: spaces, a hyphen, a comma.
_BETWEEN = re.compile(r"[ \t]*(?:[-\u2013,]|\n)?[ \t]*")


def is_abbreviation(term: str) -> bool:
    """Whether a name is written as an abbreviation ("JCS", "FonOff", "Gimo")."""
    return _CAPITALS.fullmatch(term) is not None or _RUN_TOGETHER.fullmatch(term) is not None


def expansion_of(term: str, document: Document) -> tuple[int, int] | None:
    """Where the record spells out the abbreviation `term`, as offsets of its words, the phrase it
    spells most often (then first); None when it spells none."""
    words = list(_WORD.finditer(document.text))
    found: list[tuple[int, int]] = []
    for i, word in enumerate(words):
        if word[0][0] == term[0] and word[0] != term:
            used = _spelled(term, words, i, document.text)
            if used:
                found.append((word.start(), words[i + used - 1].end()))
    if not found:
        return None
    counts = Counter(_flat(document.text[s:e]) for s, e in found)
    return max(found, key=lambda span: (counts[_flat(document.text[span[0] : span[1]])], -span[0]))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _spelled(term: str, words: list[re.Match[str]], i: int, text: str) -> int:
    """How many words from `i` on spell `term` (0 if they do not): capitals letter by letter
    from the words' beginnings ("Commander in Chief, Far East" for CINCFE), a run-together word
    part by part, each part within one word ("Fon" in "Foreign"), a word cut short within one
    longer word ("Gimo" in "Generalissimo")."""
    if _CAPITALS.fullmatch(term):
        return _by_letters(term.lower(), words, i, text)
    parts = [p.lower() for p in re.findall(r"[A-Z][a-z]*", term)]
    if len(parts) > 1:
        return _by_parts(parts, words, i, text)
    word = words[i][0]
    return int(len(word) > len(term) + 2 and _within(parts[0], word.lower()))


def _by_letters(rest: str, words: list[re.Match[str]], i: int, text: str) -> int:
    """Words from `i` whose beginnings spell `rest` in order: a capitalised word gives its first
    letter, a minor word inside the phrase gives its first letter, all of them or none ("in" of
    CINCFE, "of" of GOI); 0 if they do not spell it."""
    if i >= len(words) or (
        i > 0 and _capitalised(words[i - 1][0]) and _joined(words[i - 1], words[i], text)
    ):
        return 0  # part of a longer name: "Cooperation Administration" of ECA's
    return _from(rest, words, i, text)


def _from(rest: str, words: list[re.Match[str]], i: int, text: str) -> int:
    word = words[i][0]
    if not _capitalised(word) or word[0].lower() != rest[0]:
        return 0
    if len(rest) == 1:  # the last word: not the first of a longer name, nor a possessive
        after = words[i + 1] if i + 1 < len(words) else None
        longer = after is not None and _capitalised(after[0]) and _joined(words[i], after, text)
        return 0 if longer or text[words[i].end() : words[i].end() + 1] in ("\u2019", "'") else 1
    used = _after(rest[1:], words, i + 1, text)
    return 1 + used if used else 0


def _after(rest: str, words: list[re.Match[str]], i: int, text: str) -> int:
    """`_from` at `i`, or through a minor word at `i` that gives none, some or all its letters."""
    if i >= len(words) or not _joined(words[i - 1], words[i], text):
        return 0
    found = _from(rest, words, i, text)
    minor = words[i][0]
    if found or minor not in _MINOR:
        return found
    for given in {minor, minor[0], ""}:
        if rest.startswith(given) and len(rest) > len(given):
            used = _after(rest[len(given) :], words, i + 1, text)
            if used:
                return 1 + used
    return 0


def _capitalised(word: str) -> bool:
    """A word of a name: a capital, then small letters ("Chief", not "CINCFE" or "chief")."""
    return word[:1].isupper() and (len(word) == 1 or word[1:].islower())


def _by_parts(parts: list[str], words: list[re.Match[str]], i: int, text: str) -> int:
    """Words from `i`, one a part, each holding its part's letters in order from its first."""
    if i + len(parts) > len(words):
        return 0
    for k, part in enumerate(parts):
        word = words[i + k]
        if k and not _joined(words[i + k - 1], word, text):
            return 0
        if not word[0][0].isupper() or not _within(part, word[0].lower()):
            return 0
    return len(parts)


def _within(part: str, word: str) -> bool:
    """Whether `word` starts with `part`'s first letter and holds the rest in order."""
    if not word.startswith(part[0]):
        return False
    cursor = 1
    for letter in part[1:]:
        cursor = word.find(letter, cursor) + 1
        if not cursor:
            return False
    return True


def _joined(left: re.Match[str], right: re.Match[str], text: str) -> bool:
    """Whether two words are next to each other in one phrase (not across a full stop)."""
    return _BETWEEN.fullmatch(text, left.end(), right.start()) is not None
