"""A model's reply read: each line that keeps to the cited-line format (``Sentence. [P2]
"quote"``) is a `Claim`, read as soon as the line is finished, so an answer can be checked and
shown a sentence at a time while the model writes. A reply that says NOT ANSWERABLE is a
refusal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NOT_ANSWERABLE = "NOT ANSWERABLE"
# `[P2] "quote"`, one or more at the end of a line; any kind of double quotation marks.
_CITED = re.compile(r'\[\s*(P\d+)\s*\]\s*["“”„]([^"“”„\n]+)["“”„]')


@dataclass(frozen=True)
class Claim:
    """One sentence of a model's answer with the (passage id, quote) pairs it gives as support."""

    text: str
    quotes: tuple[tuple[str, str], ...]


def read_line(line: str) -> Claim | None:
    """The claim a line of a model's reply makes, or None when the line cites no passage."""
    first = _CITED.search(line)
    if first is None:
        return None
    return Claim(line[: first.start()].strip(), tuple(_CITED.findall(line)))


def read_reply(reply: str) -> list[Claim]:
    """The claims of a whole reply, a line each; [] when it says the passages do not answer.

    `ValueError` when no line keeps to the format (the offline answer is given instead)."""
    lines = Lines()
    claims = lines.feed(reply, {}) + lines.close()
    if claims or lines.not_answerable:
        return claims
    raise ValueError("no line of the reply cites a passage")


class Lines:
    """A model's reply read as it streams in: each finished line that keeps to the format is a
    claim; the finish reason says whether the reply was cut off at the length bound."""

    def __init__(self) -> None:
        self._pending = ""
        self.claims: list[Claim] = []
        self.not_answerable = False
        self.cut_short = False

    def feed(self, text: str, metadata: Mapping[str, Any]) -> list[Claim]:
        """The claims of the lines that `text` finishes."""
        self.cut_short = self.cut_short or metadata.get("finish_reason") == "length"
        *finished, self._pending = (self._pending + text).split("\n")
        return [c for line in finished for c in self._read(line)]

    def close(self) -> list[Claim]:
        """The claim of the last, unfinished line, if it has one."""
        line, self._pending = self._pending, ""
        return self._read(line)

    def _read(self, line: str) -> list[Claim]:
        self.not_answerable = self.not_answerable or NOT_ANSWERABLE in line.upper()
        claim = read_line(line)
        if claim is None:
            return []
        self.claims.append(claim)
        return [claim]
