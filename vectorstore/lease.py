"""The writer's lease: one writer at a time, also when app replicas share a Chroma server.

An embedded store's folder has one owner process (vectorstore.owner); a Chroma server has none,
so the writers hold a lease kept in the store itself. Taking it is an `add` of one row: of two adds
of the same id Chroma keeps the first, so reading the row back tells each writer whether it holds
it. The holder renews it as it works; a holder that stops (a crash, a lost replica) lets it lapse,
and the next writer takes it over.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator

from chromadb.api.models.Collection import Collection

from vectorstore.errors import StoreError
from vectorstore.rows import put_row

ROW = "__archive_qa_writer__"
_POLL = 0.2


class WriterLease:
    """The right to write to one store, held by at most one writer at a time."""

    def __init__(self, rows: Collection, *, ttl: float = 60.0, wait: float = 30.0) -> None:
        """`rows` is the collection the lease row lives in; a lease not renewed for `ttl`
        seconds lapses; a writer waits up to `wait` seconds for it before giving up."""
        self._rows, self.ttl, self.wait = rows, ttl, wait
        self.me = f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:8]})"
        self._depth = 0
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lease for the writes inside (re-entrant: nested writes share it)."""
        with self._lock:
            if self._depth == 0:
                self._take()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._give_back()

    def renew(self) -> None:
        """Push the lease's end back, as long work goes on (only while holding it)."""
        if self._depth and self._holder()[0] == self.me:
            self._write(upsert=True)

    def clear(self) -> None:
        """Drop a lease left by a process that is gone (for an owner of the whole store)."""
        self._rows.delete(ids=[ROW])

    def _take(self) -> None:
        deadline = time.monotonic() + self.wait
        while True:
            self._write(upsert=False)  # kept only if nobody holds it
            holder, until = self._holder()
            if holder == self.me:
                return
            if until < time.time():
                # Lapsed: drop exactly that lease (not one another writer has just taken), and
                # whoever adds next takes it.
                lapsed = {"$and": [{"holder": holder}, {"until": until}]}
                self._rows.delete(ids=[ROW], where=lapsed)  # type: ignore[arg-type]
                continue
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"another archive-qa process ({holder}) is writing to this store; "
                    "try again when it is done."
                )
            time.sleep(_POLL)

    def _give_back(self) -> None:
        if self._holder()[0] == self.me:
            self._rows.delete(ids=[ROW])

    def _write(self, *, upsert: bool) -> None:
        until = time.time() + self.ttl
        put_row(
            self._rows, ROW, metadata={"holder": self.me, "until": until}, only_if_absent=not upsert
        )

    def _holder(self) -> tuple[str, float]:
        metas = self._rows.get(ids=[ROW], include=["metadatas"])["metadatas"] or []
        meta = (metas[0] or {}) if metas else {}
        until = meta.get("until", 0.0)
        return str(meta.get("holder", "")), float(until) if isinstance(until, int | float) else 0.0
