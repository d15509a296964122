"""The writer's lease: one writer at a time, also when app replicas share a Chroma server.

An embedded store's folder has one owner process (vectorstore.owner); a Chroma server has none,
so the writers hold a lease kept in the store itself. Taking it is an `add` of one row: of two adds
of the same id Chroma keeps the first, so reading the row back tells each writer whether it holds
it. While it holds the lease, the holder's heartbeat renews it every few seconds; a holder that
stops (a crash, a lost replica) lets it lapse within `ttl` seconds, and one on this machine whose
process has gone is known dead at once. The next writer takes the lease over and first finishes
or undoes the batch the dead writer left half-written (`after_takeover`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from typing import NamedTuple

from chromadb.api.models.Collection import Collection

from vectorstore.errors import StoreError
from vectorstore.rows import put_row

ROW = "__archive_qa_writer__"
_POLL = 0.2


class WriterLease:
    """The right to write to one store, held by at most one writer at a time."""

    def __init__(self, rows: Collection, *, ttl: float = 15.0, wait: float = 30.0) -> None:
        """`rows` is the collection the lease row lives in; a lease not renewed for `ttl`
        seconds lapses (its holder's heartbeat renews it every `ttl / 4`); a writer waits up to
        `wait` seconds for it before giving up."""
        self._rows, self.ttl, self.wait = rows, ttl, wait
        self.me = f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:8]})"
        self._depth = 0
        self._lock = threading.RLock()
        self._beat = threading.Lock()  # no beat in flight while the lease is given back
        self.after_takeover: Callable[[], object] | None = None
        """Run, holding the lease, after taking it over from a writer that died holding it."""

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lease for the writes inside (re-entrant: nested writes share it)."""
        with self._lock:
            took_over, beating = False, threading.Event()  # set: this hold's heartbeat stops
            if self._depth == 0:
                took_over = self._take()
                threading.Thread(
                    target=self._heartbeat, args=(beating,), daemon=True, name="lease"
                ).start()
            self._depth += 1
            try:
                if took_over and self.after_takeover is not None:
                    self.after_takeover()
                yield
            finally:
                self._depth -= 1
                with self._beat:
                    beating.set()
                if self._depth == 0:
                    self._give_back()

    def renew(self) -> None:
        """Push the lease's end back, as long work goes on (only while holding it); a writer
        whose lease was taken over (it went `ttl` seconds without renewing it) stops here."""
        if not self._depth:
            return
        holder = self._holder().holder
        if holder != self.me:
            raise StoreError(
                f"this write lost the store's lease to {holder or 'another writer'} after "
                f"{self.ttl:.0f} s without renewing it, and stopped: run it again."
            )
        self._write(upsert=True)

    def clear(self) -> None:
        """Drop a lease left by a process that is gone (for an owner of the whole store)."""
        self._rows.delete(ids=[ROW])

    def _heartbeat(self, beating: threading.Event) -> None:
        """Renew the lease every quarter of its life until this hold ends (`beating` is set): a
        holder at work never lets it lapse, and one that dies lets it go within `ttl`."""
        while not beating.wait(self.ttl / 4):
            with self._beat:
                if beating.is_set():
                    return
                try:
                    if self._holder().holder == self.me:
                        self._write(upsert=True)
                except Exception:  # the next beat tries again; the lease lapses if none does
                    continue

    def _take(self) -> bool:
        """Take the lease, waiting for it; whether it was taken over from a dead writer."""
        deadline = time.monotonic() + self.wait
        took_over = False
        while True:
            self._write(upsert=False)  # kept only if nobody holds it
            held = self._holder()
            holder, until = held.holder, held.until
            if holder == self.me:
                return took_over
            if until < time.time() or _dead_here(held):
                # Lapsed, or its process gone: drop exactly that lease (not one another writer
                # has just taken), and whoever adds next takes it.
                lapsed = {"$and": [{"holder": holder}, {"until": until}]}
                self._rows.delete(ids=[ROW], where=lapsed)  # type: ignore[arg-type]
                took_over = True
                continue
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"another archive-qa process ({holder}) is writing to this store; "
                    "try again when it is done."
                )
            time.sleep(_POLL)

    def _give_back(self) -> None:
        if self._holder().holder == self.me:
            self._rows.delete(ids=[ROW])

    def _write(self, *, upsert: bool) -> None:
        until = time.time() + self.ttl
        here = {"holder": self.me, "until": until, "place": _place(), "pid": os.getpid()}
        put_row(self._rows, ROW, metadata=here, only_if_absent=not upsert)

    def _holder(self) -> _Held:
        metas = self._rows.get(ids=[ROW], include=["metadatas"])["metadatas"] or []
        meta = (metas[0] or {}) if metas else {}
        until, pid = meta.get("until", 0.0), meta.get("pid", 0)
        return _Held(
            str(meta.get("holder", "")), float(until) if isinstance(until, int | float) else 0.0,
            str(meta.get("place", "")), pid if isinstance(pid, int) else 0,
        )  # fmt: skip


class _Held(NamedTuple):
    holder: str
    until: float
    place: str
    """Where its process ran: the machine, and the process-id namespace its pid means something
    in (two containers may share a host name, never a pid namespace)."""
    pid: int


@cache
def _place() -> str:
    """This process's place (`_Held.place`)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()} {namespace}"


def _dead_here(held: _Held) -> bool:
    """Whether the lease's holder ran here (this machine, this pid namespace) in a process that
    has gone."""
    if not held.place or held.place != _place() or held.pid in (0, os.getpid()):
        return False
    try:
        os.kill(held.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False
