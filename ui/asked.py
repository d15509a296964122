"""What a course's students asked, for its teachers: the questions only, with no names unless the
platform sends them and a teacher of the course turns them on.

Questions are kept in the store (a note per course, the latest `KEPT`), written by one thread in
the background so that no answer ever waits on the store's lease.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from qa.errors import ArchiveQAError
from ui.courses import Course, Sessions
from vectorstore.store import Store

_log = logging.getLogger(__name__)
KEPT = 500  # questions kept per course, the latest


class Asked(BaseModel):
    """One question a student of the course asked."""

    question: str
    at: float
    """When (seconds since the epoch)."""
    name: str | None = None
    """Who, when the platform sent their name and the course's teachers show names."""


class AskedLog:
    """The questions each course's students asked, kept in `store`."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._waiting: queue.Queue[tuple[str, Asked]] = queue.Queue(maxsize=10_000)
        self._writer: threading.Thread | None = None
        self._lock = threading.Lock()

    def record(self, course: Course, question: str) -> None:
        """Keep that a student of `course` asked `question` (in the background; a teacher's
        own questions are not kept)."""
        question = question.strip()[:1000]
        if course.teaches or not question:
            return
        # Whether names are kept is decided as the question is asked.
        named = course.name if self.names_shown(course.collection) else None
        try:
            self._waiting.put_nowait((course.collection, Asked(question=question, at=time.time(),
                                                               name=named)))  # fmt: skip
        except queue.Full:
            _log.warning("a question of %r was not kept: too many wait to be written", course.title)
            return
        with self._lock:  # one writer, for as long as the server runs
            if self._writer is None:
                self._writer = threading.Thread(target=self._write, daemon=True, name="asked")
                self._writer.start()

    def recent(self, collection: str) -> list[Asked]:
        """The questions asked in the course `collection`, newest first (with the names kept
        while names are shown)."""
        shown = self.names_shown(collection)
        found = [Asked(**item) for item in reversed(self._kept(collection))]
        return found if shown else [a.model_copy(update={"name": None}) for a in found]

    def names_shown(self, collection: str) -> bool:
        return self._store.note(_NAMES + collection) == "on"

    def show_names(self, collection: str, on: bool) -> None:
        """Keep the askers' names (those the platform sends) from now on, or stop, forgetting
        those kept."""
        with self._store.lease.held():
            self._store.put_note(_NAMES + collection, "on" if on else "off")
            if not on:
                unnamed = [item | {"name": None} for item in self._kept(collection)]
                self._store.put_note(_ASKED + collection, json.dumps(unnamed))

    def _write(self) -> None:
        while True:
            collection, asked = self._waiting.get()
            try:
                with self._store.lease.held():
                    kept = [*self._kept(collection), asked.model_dump()]
                    self._store.put_note(_ASKED + collection, json.dumps(kept[-KEPT:]))
            except Exception:  # the next question is written all the same; the log has why
                _log.exception("a question asked in %r was not kept", collection)

    def _kept(self, collection: str) -> list[dict[str, Any]]:
        text = self._store.note(_ASKED + collection)
        kept: list[dict[str, Any]] = json.loads(text) if text else []
        return kept


_ASKED = "asked:"
_NAMES = "asked-names:"


def serve_asked(app: FastAPI, sessions: Sessions, log: AskedLog) -> None:
    """Put ``/lti/asked`` on `app`: what the course's students asked (GET, for its teachers),
    and whether their names are kept (PUT, ``{"names": true}``, with the page's CSRF token)."""

    @app.api_route("/lti/asked", methods=["GET", "PUT"], include_in_schema=False)
    async def asked(request: Request) -> JSONResponse:
        course = sessions.course_of(request.cookies)
        if course is None or not course.teaches:
            return JSONResponse({"error": "only the course's teachers read this."}, 403)
        if request.method == "PUT":
            try:
                course.check_change(request.headers)
            except ArchiveQAError as exc:
                return JSONResponse({"error": str(exc)}, 403)
            try:
                on = bool((await request.json())["names"])
            except (ValueError, KeyError, TypeError):
                return JSONResponse({"error": 'send {"names": true} or {"names": false}.'}, 400)
            await run_in_threadpool(log.show_names, course.collection, on)
        found = await run_in_threadpool(log.recent, course.collection)
        names = await run_in_threadpool(log.names_shown, course.collection)
        return JSONResponse({"names": names, "asked": [a.model_dump() for a in found]})
