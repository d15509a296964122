"""Jobs: long work (adding large uploads, making study packs) taken off the request path.

A request starts a job and gets its id at once; the job runs on one worker thread (the store
has one writer at a time anyway) and anyone holding the id can follow it. A process keeps its
last 100 jobs; with several app replicas, a job is followed on the replica that took it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel, Field

from qa.library import Added, Reporter

_log = logging.getLogger(__name__)
T = TypeVar("T")
_KEPT = 100


class Job(BaseModel):
    """Where one job has got to."""

    id: str
    state: Literal["queued", "running", "done", "failed"] = "queued"
    progress: float = Field(default=0.0, description="The share done, 0 to 1.")
    doing: str = Field(default="", description="What it is doing now.")
    results: list[Added] = Field(default_factory=list, description="One per file, when done.")
    error: str | None = None


class Jobs:
    """The jobs of one kind in one process, run one at a time on a worker thread: followed by
    id with progress (`start`), or awaited as futures (`once`)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="archive-qa-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._once: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()

    def start(self, work: Callable[[Reporter], list[Added]]) -> Job:
        """Queue `work` (told how to report its progress); returns the job as it starts."""
        job = Job(id=uuid.uuid4().hex)
        self._set(job)
        self._pool.submit(self._run, job.id, work)
        return job

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
        with self._lock:
            return self._jobs.get(job_id)

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
            job = self._jobs.get(job_id)
            if job is not None:
                self._jobs[job_id] = job.model_copy(update=changes)

    def _set(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > _KEPT:
                self._jobs.popitem(last=False)
