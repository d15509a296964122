"""The JSON API under ``/api``: one route per act (models in ui/schemas.py), and the HTTP status
of each of the project's errors (vectorstore/errors.py), in one place.

Routes only translate: asking goes through `Archive.ask`, the library through `qa.library`. They
find the archive and the server's setup in a `Service` on the app (FastAPI's dependencies).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

import anyio
from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    File,
    Form,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from qa.answer import Answer, Streamed, stopped_by
from qa.assembly import Archive
from qa.errors import ArchiveQAError, BusyError, NotFoundError, ReadOnlyError
from qa.library import (
    MAX_UPLOAD_PASSAGES,
    SUPPORTED_SUFFIXES,
    Added,
    Document,
    Library,
    collection_name,
)
from qa.study import StudyPack, StudyQuestion
from qa.study.edits import StudyEdits, apply_edits, hideable
from ui.asked import AskedLog
from ui.courses import Course, Sessions, for_reader, kept_in, seen_by
from ui.format import chicago, long_date
from ui.guards import bears, client_of, share_of
from ui.jobs import Job, Jobs
from ui.schemas import (
    AddedQuestion,
    AskRequest,
    Collection,
    CollectionChange,
    DocumentSummary,
    DocumentText,
    StudyItem,
    sections_of,
    summary_of,
)

_log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_FILES_PER_REQUEST = 100
# Seconds a study-pack request waits for its pack before answering 202 (unless the server is told
# otherwise), and the Retry-After then.
STUDY_WAIT = 15.0
_STUDY_RETRY = 5
# The HTTP status of each error; the first class in an error's ancestry that is listed wins.
STATUS: dict[type[ArchiveQAError], int] = {
    NotFoundError: 404,
    ReadOnlyError: 403,
    BusyError: 503,
    ArchiveQAError: 400,
}


def install_errors(app: FastAPI) -> None:
    """Answer the project's errors with their status (`STATUS`) and ``{"error": message}``, and
    anything else with a 500 that does not show its internal text."""

    @app.exception_handler(ArchiveQAError)
    def readable_error(_: Request, exc: ArchiveQAError) -> JSONResponse:
        status = next(STATUS[k] for k in type(exc).__mro__ if k in STATUS)
        retry = {"retry-after": str(exc.retry_after)} if isinstance(exc, BusyError) else None
        return JSONResponse(status_code=status, content={"error": str(exc)}, headers=retry)

    @app.exception_handler(Exception)
    def internal_error(request: Request, exc: Exception) -> JSONResponse:
        _log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        message = "something went wrong on the server (it is logged there); try again later."
        return JSONResponse(status_code=500, content={"error": message})


@dataclass
class Service:
    """What the routes serve from: the archive, and how this server is set up."""

    archive: Archive
    max_upload_bytes: int
    read_only: bool = False
    admin_token: str | None = None
    """A request bearing it may change a read-only library (the command line, through the
    server that owns the store)."""
    study_wait: float = STUDY_WAIT
    """Seconds a study-pack request waits for its pack before answering 202."""
    jobs: Jobs = field(default_factory=Jobs)
    studies: Jobs = field(default_factory=Jobs)
    sessions: Sessions | None = None
    """The course sessions of LTI launches (ui.courses), when course sites launch this server."""
    questions: AskedLog | None = None
    """Where the questions a course's students ask are kept for its teachers (ui.asked)."""
    _readers: anyio.CapacityLimiter | None = None

    def stream_readers(self) -> anyio.CapacityLimiter:
        """The threads that read streamed answers, apart from the workers every other request
        needs (made in the server's event loop; the model's slots bound how many wait)."""
        self._readers = self._readers or anyio.CapacityLimiter(1000)
        return self._readers

    def is_admin(self, request: Request) -> bool:
        return bears(request.headers, self.admin_token)

    def course_of(self, request: Request) -> Course | None:
        """The course whose session the request carries, if any."""
        return self.sessions.course_of(request.cookies) if self.sessions else None

    def library_for(self, request: Request) -> Library:
        """The library as the request's reader sees it (a course's, in its session)."""
        return seen_by(self.archive.library, self.course_of(request))

    def changer(self, request: Request) -> Library:
        """The library a change the request asks is made through: its course's, for the
        course's teachers (even on a read-only server); `ReadOnlyError` when it may not."""
        course = self.course_of(request)
        if course is not None:
            course.check_change(request.headers)
        else:
            self.check_writable(request)
        return seen_by(self.archive.library, course)

    def edits_of(self, request: Request, collection: str | None) -> str | None:
        """Whose edits of study materials the request reads: its course's, in a course's
        session, else those for the collection it names (never a course's private one)."""
        course = self.course_of(request)
        if course is not None:
            return course.collection
        return self.archive.library.known_as(collection) if collection else None

    def check_teacher(self, request: Request, *, change: bool = False) -> None:
        """`ReadOnlyError` unless the request bears the admin token, or a course teacher's
        session (and for a `change`, the course page's CSRF token): only a teacher edits study
        materials (a course's teacher, the course's own) and reads the key."""
        course = self.course_of(request)
        if course is not None and change:
            course.check_change(request.headers)
        elif course is not None and not course.teaches:
            raise ReadOnlyError("only the course's teachers may do this.")
        elif course is None and not self.is_admin(request):
            raise ReadOnlyError(
                "only a teacher may do this: send the server's admin token "
                "(`archive-qa token` prints it) as `Authorization: Bearer TOKEN`."
            )

    def check_writable(self, request: Request) -> None:
        """`ReadOnlyError` for a change asked of a read-only server by anyone but its admin."""
        if self.read_only and not self.is_admin(request):
            raise ReadOnlyError(
                "this server's library is read-only (ARCHIVE_QA_READ_ONLY): its administrator "
                "adds documents with `archive-qa ingest`."
            )


def _service(request: Request) -> Service:
    service: Service = request.app.state.archive_qa
    return service


Served = Annotated[Service, Depends(_service)]
router = APIRouter(prefix="/api")
"""The API's routes; `serve_api` puts them on an app with the `Service` they answer from."""


def serve_api(app: FastAPI, service: Service) -> None:
    """Put the API's routes on `app`, answering from `service`, with the project's errors
    answered by their status (`STATUS`)."""
    app.state.archive_qa = service
    app.include_router(router)
    install_errors(app)


@router.post(
    "/ask",
    response_model=Answer,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def ask_api(request: Request, body: AskRequest, served: Served) -> Any:
    """Answer a question; every citation's quote is the document text [start:end]. With
    `"stream": true`, as server-sent events: each sentence once its citations are verified (as
    the model writes it, in LLM mode), then the whole answer. A model already writing as many
    answers as the server allows gives 503 with Retry-After."""
    question, history, course = body.question, body.history, served.course_of(request)
    if course is not None and served.questions is not None:
        served.questions.record(course, question)
    scope = kept_in(body.scope(), course)
    if not body.stream:
        return await run_in_threadpool(served.archive.ask, question, history, scope)
    parts = _Reader(served.archive.stream(question, history, scope), served.stream_readers())
    # The first part is awaited here, so that a bad question is answered with its status.
    first = await parts.next()
    return StreamingResponse(
        _events(first, parts),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


class _Reader:
    """A streamed answer's parts, read on the server's threads for streams (so that streams
    waiting on a model never hold the workers every other request needs); once its client has
    gone (`close`), a model still writing stops at its next word (`stopped_by`)."""

    def __init__(self, parts: Iterator[Streamed], threads: anyio.CapacityLimiter) -> None:
        self._parts, self._threads = parts, threads
        self._gone = threading.Event()
        self._pulling = threading.Lock()

    async def next(self) -> Streamed | None:
        """The next part; None at the end, or once the client has gone. Not waited out when
        the client goes (Starlette then cancels the stream, which closes this)."""
        return await anyio.to_thread.run_sync(
            self._pull, abandon_on_cancel=True, limiter=self._threads
        )

    def close(self) -> None:
        """The client has gone, or the answer is over: end it (its model request with it)."""
        self._gone.set()
        if self._pulling.acquire(blocking=False):  # else the pull in flight ends it
            try:
                _close(self._parts)
            finally:
                self._pulling.release()

    def _pull(self) -> Streamed | None:
        with self._pulling, stopped_by(self._gone):
            part = next(self._parts, None)
        if self._gone.is_set():  # the client went meanwhile, maybe while this held the lock
            with self._pulling:
                _close(self._parts)
            return None
        return part


async def _events(first: Streamed | None, parts: _Reader) -> AsyncIterator[str]:
    """Server-sent events: ``sentence`` for each checked sentence, ``answer`` for the whole
    answer, and ``error`` (with a readable message) if answering fails on the way."""
    part = first
    try:
        while part is not None:
            name = "answer" if isinstance(part, Answer) else "sentence"
            yield f"event: {name}\ndata: {part.model_dump_json()}\n\n"
            part = await parts.next()
    except Exception as exc:
        _log.exception("a streamed answer failed")
        message = str(exc) if isinstance(exc, ArchiveQAError) else "the answer failed; try again."
        yield f"event: error\ndata: {json.dumps({'error': message})}\n\n"
    finally:
        parts.close()


def _close(parts: Iterator[Streamed]) -> None:
    """End an answer being written (a model's request with it)."""
    close = getattr(parts, "close", None)
    if close is not None:
        close()


@router.get("/documents", response_model=list[DocumentSummary])
def list_documents(request: Request, served: Served) -> Any:
    """Every indexed document, without its text (a course's, in a course session)."""
    return [summary_of(r) for r in served.library_for(request).documents()]


@router.get("/documents/{document_id}", response_model=DocumentText)
def get_document(request: Request, document_id: str, served: Served) -> Any:
    """One document with its full text, for highlighting citations in a host page."""
    document = _document(served, request, document_id)
    cited = chicago(document)
    return DocumentText(
        **summary_of(document).model_dump(), text=document.text,
        sections=sections_of(document), summary=document.summary,
        original_language=document.original_language, date_display=long_date(document.date),
        cite_note=cited.note, cite_bibliography=cited.bibliography,
    )  # fmt: skip


CourseCollection = Annotated[
    str | None,
    Query(
        description="The course's collection: its teacher's edits (else those for every course)."
    ),
]


@router.get(
    "/documents/{document_id}/study",
    response_model=StudyPack,
    responses={202: {"description": "Being made: ask again after Retry-After seconds."}},
)
def study_document(
    request: Request, document_id: str, served: Served, collection: CourseCollection = None
) -> Any:
    """Starter questions, a study guide of the four historical-thinking kinds (each question
    answered with checked quotes, or a prompt for discussion with passages), a quiz, a glossary
    and a timeline for one document, as its teacher edited them; every item carries its
    verbatim source. They are made off the request path, one document at a time: a pack not
    ready within a few seconds is answered 202 with Retry-After, and is there when asked again."""
    document = _document(served, request, document_id)
    made = _study(served, document)
    if isinstance(made, JSONResponse):
        return made
    return _as_edited(served, request, made, document, collection)


@router.get(
    "/documents/{document_id}/study/handout",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "text/markdown": {}}}},
)
def study_handout(
    request: Request,
    document_id: str,
    served: Served,
    collection: CourseCollection = None,
    kind: Annotated[Literal["pdf", "markdown"], Query(alias="format")] = "pdf",
    key: Annotated[bool, Query(description="The teacher's key (teachers only).")] = False,
) -> Response:
    """The study materials for print, as the teacher edited them: the student sheet, or with
    `key` the teacher's key, which cites every answer."""
    # The PDF library takes most of a second to import: only a handout pays for it.
    from ui.handout import handout_markdown, handout_pdf

    if key:
        served.check_teacher(request)
    document = _document(served, request, document_id)
    made = _study(served, document)
    if isinstance(made, JSONResponse):
        return made
    pack = _as_edited(served, request, made, document, collection)
    name = f"{document.id}-{'key' if key else 'sheet'}"
    if kind == "markdown":
        text = handout_markdown(pack, key=key)
        return _download(text.encode(), f"{name}.md", "text/markdown; charset=utf-8")
    return _download(handout_pdf(pack, key=key), f"{name}.pdf", "application/pdf")


@router.get("/documents/{document_id}/study/edits", response_model=StudyEdits)
def get_study_edits(
    request: Request, document_id: str, served: Served, collection: CourseCollection = None
) -> Any:
    """A teacher's edits of a document's study materials (teachers only)."""
    served.check_teacher(request)
    return served.archive.study_edits(
        _document(served, request, document_id).id, served.edits_of(request, collection)
    )


@router.get("/documents/{document_id}/study/items", response_model=list[StudyItem])
def list_study_items(
    request: Request, document_id: str, served: Served, collection: CourseCollection = None
) -> Any:
    """Every item of a document's study materials a teacher may hide, and whether it is hidden
    (teachers only): the course page's choice of what its students see."""
    served.check_teacher(request)
    document = _document(served, request, document_id)
    made = _study(served, document)
    if isinstance(made, JSONResponse):
        return made
    edits = served.archive.study_edits(document.id, served.edits_of(request, collection))
    return [
        StudyItem(key=key, label=label, hidden=key in edits.hidden)
        for label, key in hideable(made, edits)
    ]


@router.put("/documents/{document_id}/study/edits", response_model=StudyEdits)
def put_study_edits(
    request: Request,
    document_id: str,
    edits: StudyEdits,
    served: Served,
    collection: CourseCollection = None,
) -> Any:
    """Hide, reword and reorder a document's study items, by their keys (teachers only).
    Questions are added one at a time (POST .../study/questions), checked; here the `added`
    list can only drop them."""
    served.check_teacher(request, change=True)
    document = _document(served, request, document_id)
    kept = {q.key for q in edits.added}
    stored = served.archive.study_edits(document.id, served.edits_of(request, collection))
    edits.added = [q for q in stored.added if q.key in kept]
    served.archive.save_study_edits(document.id, edits, served.edits_of(request, collection))
    return edits


@router.post("/documents/{document_id}/study/questions", response_model=StudyQuestion)
def add_study_question(
    request: Request,
    document_id: str,
    added: AddedQuestion,
    served: Served,
    collection: CourseCollection = None,
) -> Any:
    """Add a teacher's own question (teachers only): kept with archive-qa's cited answer
    when it quotes the document, else as a prompt with the passages found; refused (400) when
    the document has nothing on it."""
    served.check_teacher(request, change=True)
    document = _document(served, request, document_id)
    course = served.edits_of(request, collection)
    return served.archive.add_study_question(document, added.question, added.skill, course)


def _as_edited(
    served: Service, request: Request, made: StudyPack, document: Document, collection: str | None
) -> StudyPack:
    """A document's study materials as the teacher of the request's course (or of the
    collection it names) left them."""
    edits = served.archive.study_edits(document.id, served.edits_of(request, collection))
    return for_reader(apply_edits(made, edits, document), served.course_of(request))


def _study(served: Service, document: Document) -> StudyPack | JSONResponse:
    """The document's pack, made off the request path; a 202 to retry while it is made."""
    ready = served.archive.studied(document)
    if ready is not None:
        return ready
    key = f"{document.id}:{hash(document.text)}"
    made = served.studies.once(key, partial(served.archive.study, document))
    try:
        return made.result(timeout=served.study_wait)
    except FutureTimeout:
        message = {"status": "being made", "retry_after": _STUDY_RETRY}
        headers = {"retry-after": str(_STUDY_RETRY)}
        return JSONResponse(status_code=202, content=message, headers=headers)


def _download(body: bytes, filename: str, media_type: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(body, media_type=media_type, headers={"content-disposition": disposition})


@router.post("/documents", response_model=list[Added])
async def upload_documents(
    request: Request,
    served: Served,
    files: Annotated[list[UploadFile], File(description=", ".join(SUPPORTED_SUFFIXES))],
    collection: Annotated[str | None, Form(description="Also put them here.")] = None,
    replace: Annotated[bool, Form(description="Replace stored documents with the same ids.")] = (
        False
    ),
    background: Annotated[
        bool, Form(description="Answer at once (202) with a job to follow at /api/jobs/{id}.")
    ] = False,
    origin: Annotated[str | None, Form(include_in_schema=False)] = None,
) -> Any:
    """Add documents; one result per file (a refused file names the reason). A file whose id is
    taken by a different document is refused unless `replace` is set. Large uploads take
    minutes: with `background`, follow their progress at `GET /api/jobs/{id}`."""
    library = served.changer(request)
    if len(files) > MAX_FILES_PER_REQUEST:
        raise ArchiveQAError(f"send at most {MAX_FILES_PER_REQUEST} files per request.")
    limit = served.max_upload_bytes
    uploads = [(f.filename or "upload", await f.read(limit + 1)) for f in files]
    admin = served.is_admin(request)  # the command line's `ingest`: any length of text
    # Who sent it is shown to every reader as "a visitor"; the address only goes to the log.
    _log.info("upload of %s from %s", [name for name, _ in uploads], client_of(request))
    course = served.course_of(request)
    by = "the course's teacher" if course else "a visitor, through the API"
    work = partial(
        library.add_uploads, uploads, collection=collection or None,
        max_bytes=limit, max_passages=sys.maxsize if admin else MAX_UPLOAD_PASSAGES,
        replace=replace and not course,  # a course never replaces the shared library's
        origin=origin if admin and len(uploads) == 1 else None, added_by=None if admin else by,
    )  # fmt: skip
    if not background:
        return await _until_gone(request, work)
    share = share_of(client_of(request))
    job = served.jobs.start(lambda report: work(report=report), client=share)
    headers = {"location": f"/api/jobs/{job.id}"}
    return JSONResponse(status_code=202, content=job.model_dump(), headers=headers)


@router.get("/jobs/{job_id}", response_model=Job)
def follow_job(job_id: str, served: Served) -> Any:
    """Where a background upload has got to; its results once it is done."""
    job = served.jobs.get(job_id)
    if job is None:
        raise NotFoundError(
            f"no job {job_id!r} on this server (a job's result is kept for an hour, and for five "
            "minutes once read; with several replicas, ask the one that took it)."
        )
    return job


@router.delete("/documents/{document_id}", status_code=204)
def remove_document(request: Request, document_id: str, served: Served) -> Response:
    """Take a document out of the library (and out of every collection)."""
    if served.changer(request).remove([document_id]).missing:
        raise _no_document(document_id)
    return Response(status_code=204)


@router.get("/collections", response_model=list[Collection])
def list_collections(request: Request, served: Served) -> Any:
    """Every collection and its documents (a course's own, in a course session)."""
    collections = served.library_for(request).collections()
    return [Collection(name=n, documents=ids) for n, ids in collections.items()]


@router.put("/collections/{name}", response_model=Collection)
def add_to_collection(request: Request, name: str, change: CollectionChange, served: Served) -> Any:
    """Put documents in a collection, creating it if it is new."""
    members = served.changer(request).add_to_collection(name, change.documents)
    return Collection(name=collection_name(name), documents=members)


@router.delete("/collections/{name}", status_code=204)
def delete_collection(request: Request, name: str, served: Served) -> Response:
    """Delete a collection; its documents stay in the library."""
    served.changer(request).remove_from_collection(name, None)  # a 400 naming the collections
    return Response(status_code=204)


def _document(served: Service, request: Request, document_id: str) -> Document:
    document = served.library_for(request).document(document_id)
    if document is None:
        raise _no_document(document_id)
    return document


async def _until_gone(request: Request, work: Callable[..., T]) -> T:
    """`work(stop=...)` on a worker thread, told to stop once the client has gone away."""
    gone = threading.Event()

    async def watch() -> None:
        while not await request.is_disconnected():
            await anyio.sleep(0.5)
        gone.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(watch)
        try:
            done = await run_in_threadpool(work, stop=gone.is_set)
        finally:
            tasks.cancel_scope.cancel()
    return done


def _no_document(document_id: str) -> NotFoundError:
    return NotFoundError(f"no document {document_id!r}; GET /api/documents lists them.")
