"""Jobs: long work (adding large uploads, making study packs) taken off the request path.

A request starts a job and gets its id at once; the job runs on one worker thread (the store
has one writer at a time anyway) and anyone holding the id can follow it. The worker takes the
clients' jobs in turn, so one client's pile of uploads does not hold back another's one; a
client may have `WAITING_PER_CLIENT` jobs waiting at once. A job is never forgotten before it has
run: its result is kept until its sender has read it (and a few minutes more, for a sender that
asks again) or for an hour. With several app replicas, a job is followed on the replica that
took it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel, Field

from qa.errors import BusyError
from qa.library import Added, Reporter

_log = logging.getLogger(__name__)
T = TypeVar("T")
WAITING_PER_CLIENT = 10
KEEP_UNREAD = 3600.0
"""Seconds a finished job's result is kept for a sender who has not read it."""
KEEP_READ = 300.0
"""Seconds it is kept once read (a sender that asks again still finds it)."""


class Job(BaseModel):
    """Where one job has got to."""

    id: str
    state: Literal["queued", "running", "done", "failed"] = "queued"
    progress: float = Field(default=0.0, description="The share done, 0 to 1.")
    doing: str = Field(default="", description="What it is doing now.")
    results: list[Added] = Field(default_factory=list, description="One per file, when done.")
    error: str | None = None


Work = Callable[[Reporter], list[Added]]


@dataclass
class _Kept:
    job: Job
    ended: float | None = None
    read: float | None = None

    def expired(self, now: float) -> bool:
        if self.ended is None:
            return False  # waiting or running: never forgotten
        if self.read is not None:
            return now - self.read > KEEP_READ
        return now - self.ended > KEEP_UNREAD


class Jobs:
    """The jobs of one kind in one process, run one at a time on a worker thread: followed by
    id with progress (`start`), taking the clients in turn, or awaited as futures (`once`)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="archive-qa-job")
        self._jobs: dict[str, _Kept] = {}
        self._waiting: dict[str, deque[tuple[str, Work]]] = {}
        self._turns: deque[str] = deque()
        """The clients with jobs waiting, in the order the worker takes them."""
        self._running: str | None = None
        self._once: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()

    def start(self, work: Work, client: str = "") -> Job:
        """Queue `work` (told how to report its progress) in `client`'s turn; returns the job as
        it starts. `BusyError` when the client has `WAITING_PER_CLIENT` jobs waiting already."""
        job = Job(id=uuid.uuid4().hex)
        with self._lock:
            self._forget_expired()
            waiting = self._waiting.setdefault(client, deque())
            if len(waiting) >= WAITING_PER_CLIENT:
                raise BusyError(
                    f"{len(waiting)} of your uploads are waiting on this server already: follow "
                    "them (GET /api/jobs/ID) and send more once one has finished.",
                    retry_after=30,
                )
            waiting.append((job.id, work))
            if client not in self._turns and client != self._running:
                self._turns.append(client)
            self._jobs[job.id] = _Kept(job)
        self._pool.submit(self._run_next)  # one turn per job: the turns and the jobs match
        return job

    def _run_next(self) -> None:
        """Run the first waiting job of the client whose turn it is."""
        with self._lock:
            client = self._running = self._turns.popleft()
            job_id, work = self._waiting[client].popleft()
        self._run(job_id, work)
        with self._lock:  # back in line behind those who came while this ran, if it has more
            self._running = None
            if self._waiting[client]:
                self._turns.append(client)
            else:
                del self._waiting[client]

    def once(self, key: str, work: Callable[[], T]) -> Future[T]:
        """`work` queued on the worker, unless work under the same `key` is queued or running
        already: then that one's future (so a hundred asks for one thing cost one)."""
        with self._lock:
            running = self._once.get(key)
            if running is not None and not running.done():
                return cast("Future[T]", running)
            future = self._pool.submit(work)
            self._once[key] = future
        # Outside the lock: a future already done runs its callback here and now.
        future.add_done_callback(lambda _: self._forget(key, future))
        return future

    def _forget(self, key: str, future: Future[Any]) -> None:
        with self._lock:
            if self._once.get(key) is future:
                del self._once[key]

    def get(self, job_id: str) -> Job | None:
        """Where the job has got to (None for no such job, or one forgotten: `KEEP_READ` after
        its finished result was read, `KEEP_UNREAD` after it finished)."""
        with self._lock:
            self._forget_expired()
            kept = self._jobs.get(job_id)
            if kept is None:
                return None
            if kept.ended is not None and kept.read is None:
                kept.read = time.monotonic()
            return kept.job

    def _run(self, job_id: str, work: Callable[[Reporter], list[Added]]) -> None:
        def report(share: float, doing: str) -> None:
            self._update(job_id, state="running", progress=round(share, 3), doing=doing)

        report(0.0, "starting")
        try:
            results = work(report)
        except Exception:
            _log.exception("job %s failed", job_id)
            self._update(job_id, state="failed", error="the job failed (it is logged there).")
            return
        self._update(job_id, state="done", progress=1.0, doing="", results=results)

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            kept = self._jobs[job_id]
            kept.job = kept.job.model_copy(update=changes)
            if kept.job.state in {"done", "failed"}:
                kept.ended = time.monotonic()

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for job_id in [i for i, kept in self._jobs.items() if kept.expired(now)]:
            del self._jobs[job_id]
