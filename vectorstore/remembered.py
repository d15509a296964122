"""What is kept of recent work, within bounds: the reader's sections and field lines, documents'
words and kinds, the list of documents, questions' vectors and the passage vectors of small
scopes. Questions about the same documents meet the same texts again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from vectorstore.documents import Document

V = TypeVar("V")


class Kept(Generic[V]):
    """The latest values made, by key: at most `most` of them and, with `weight`, at most
    `budget` of weight in all. A value's weight may grow while it is kept (a section read
    further); the budget is kept each time a value is added."""

    def __init__(
        self, most: int, *, budget: int = 0, weight: Callable[[V], int] | None = None
    ) -> None:
        self._most, self._budget, self._weight = most, budget, weight
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value kept for `key`, or the one `make` makes, then kept."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()  # two threads may both make it: the same value, kept once
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._most or self._over_budget():
                self._values.popitem(last=False)
        return value

    def _over_budget(self) -> bool:
        weight = self._weight
        if weight is None or len(self._values) <= 1:
            return False
        return sum(weight(v) for v in self._values.values()) > self._budget


def text_key(document: Document, text: str | None = None) -> tuple[str, int, int]:
    """A document's text (or another string of it, `text`) in a key: its id, length and hash.
    The text itself in a key would keep a copy of it alive for each question that brought it
    (each read from the store anew)."""
    text = document.text if text is None else text
    return document.id, len(text), hash(text)
