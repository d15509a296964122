"""Jobs: long library work (adding large uploads) taken off the request path, with progress.

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
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from pydantic import BaseModel, Field

from qa.library import Added, Report

_log = logging.getLogger(__name__)
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
    """The jobs of one process, run one at a time on a worker thread."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="archive-qa-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, work: Callable[[Report], list[Added]]) -> Job:
        """Queue `work` (told how to report its progress); returns the job as it starts."""
        job = Job(id=uuid.uuid4().hex)
        self._set(job)
        self._pool.submit(self._run, job.id, work)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _run(self, job_id: str, work: Callable[[Report], list[Added]]) -> None:
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
