"""How many answers the model writes at once in one process: a bound, so that slow model answers
cannot hold every worker of a server, with a clear "busy, try again in N seconds" beyond it."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from vectorstore.errors import BusyError

# Seconds a model answer is taken to last before any has been timed (a small model on a CPU).
_FIRST_GUESS = 10.0


class Slots:
    """`size` answers at a time; the next is refused with `BusyError`, saying when a slot is
    likely to be free (from how long recent answers took and how long the oldest has run)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._started: dict[object, float] = {}
        self._typical = _FIRST_GUESS
        self._lock = threading.Lock()

    @contextmanager
    def taken(self) -> Iterator[None]:
        """Hold a slot for the block; `BusyError` when none is free."""
        holder, start = object(), time.monotonic()
        with self._lock:
            if len(self._started) >= self.size:
                wait = self._wait(start)
                raise BusyError(
                    f"archive-qa is writing as many answers with its language model as it may "
                    f"at once ({self.size}): try again in {wait} seconds.",
                    retry_after=wait,
                )
            self._started[holder] = start
        try:
            yield
        finally:
            took = time.monotonic() - start
            with self._lock:
                del self._started[holder]
                self._typical = 0.8 * self._typical + 0.2 * took

    def _wait(self, now: float) -> int:
        longest = now - min(self._started.values())
        return max(1, math.ceil(self._typical - longest))
