"""The web app: a Gradio chat page at ``/``, a chat-only page for iframes at ``/embed``, and a JSON
API at ``/api`` (docs at ``/docs``), one FastAPI app.

Callbacks only format what `qa` returns; the archive is opened once per process.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
import gradio as gr
from fastapi import FastAPI, File, Form, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field

from qa.answer import MAX_QUESTION_CHARS, Answer
from qa.assembly import Archive, open_archive
from qa.followups import Turn
from qa.jobs import Job, Jobs
from qa.library import Added, add_uploads, remove_documents
from qa.retrieval import Scope
from qa.settings import Settings
from qa.study import StudyPack
from ui.format import chicago, long_date
from ui.guards import Guard, Limits
from ui.page import build_blocks
from vectorstore.errors import ArchiveQAError
from vectorstore.owner import announce
from vectorstore.records import SUPPORTED_SUFFIXES, Record
from vectorstore.store import collection_name

_log = logging.getLogger(__name__)
T = TypeVar("T")
_STATIC = Path(__file__).parent / "static"
_PAGE_CONCURRENCY = 8
MAX_HISTORY_TURNS = 50
MAX_SCOPE_DOCUMENTS = 5_000
MAX_FILES_PER_REQUEST = 100
# Seconds a study-pack request waits for its pack before answering 202, and the Retry-After then.
_STUDY_WAIT = 15.0
_STUDY_RETRY = 5
_GRADIO_JS = Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js"
# System fonts only: the page must load in a classroom without internet. Text colours are the
# darker shades of the palette, for WCAG AA contrast (tests/test_browser.py measures it).
_THEME = gr.themes.Soft(
    primary_hue="amber",
    neutral_hue="stone",
    font=["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
).set(
    body_text_color_subdued="*neutral_600",
    block_label_text_color="*primary_800",
    block_title_text_color="*primary_800",
    color_accent="*primary_700",
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    button_primary_text_color="white",
    link_text_color="*primary_800",
)


class ReadOnlyError(ArchiveQAError):
    """A library change asked of a read-only server."""


_ISO_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"


class AskRequest(BaseModel):
    question: str = Field(
        description=f"The question, in plain language (up to {MAX_QUESTION_CHARS} characters).",
    )
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="The conversation so far, oldest first, for follow-up questions "
        f"(at most {MAX_HISTORY_TURNS} turns; only the last few are read).",
    )
    documents: list[str] | None = Field(
        default=None,
        max_length=MAX_SCOPE_DOCUMENTS,
        description="Search only these document ids (GET /api/documents).",
    )
    collection: str | None = Field(
        default=None,
        max_length=200,
        description="Search only this collection (GET /api/collections).",
    )
    since: str | None = Field(
        default=None,
        pattern=_ISO_DATE,
        description="Only documents dated on or after (YYYY[-MM[-DD]]).",
    )
    until: str | None = Field(
        default=None,
        pattern=_ISO_DATE,
        description="Only documents dated on or before (YYYY[-MM[-DD]]).",
    )

    def scope(self) -> Scope | None:
        return Scope.of(
            documents=self.documents, collection=self.collection, since=self.since,
            until=self.until,
        )  # fmt: skip


class DocumentSummary(BaseModel):
    id: str
    title: str
    date: str | None
    citation: str | None
    url: str | None


class Collection(BaseModel):
    name: str
    documents: list[str] = Field(description="Document ids, in the order they were added.")


class CollectionChange(BaseModel):
    documents: list[str] = Field(description="Document ids to put in the collection.")


class DocumentText(DocumentSummary):
    text: str = Field(description="The stored text; citations' start/end index into it.")
    summary: str | None
    original_language: str | None
    date_display: str = Field(description='The date as written in prose ("July 13, 1950").')
    cite_note: str = Field(description="Chicago notes-bibliography style: the note.")
    cite_bibliography: str = Field(description="Chicago notes-bibliography style: the entry.")


def build_app(
    archive: Archive, limits: Limits | None = None, *, admin_token: str | None = None
) -> FastAPI:
    """The FastAPI app over `archive`: the chat page at ``/``, a chat-only page for iframes at
    ``/embed``, the JSON API with its docs at ``/docs`` (served locally, no CDN), and ``/healthz``
    and ``/readyz`` for a proxy or an orchestrator.

    `limits` holds the wall every request passes (ui.guards): allowed hosts, the origins whose
    pages may call the API, rate and size limits. A read-only server refuses uploads, removals
    and collection changes (HTTP 403), except to a request bearing `admin_token` (the command
    line's `ingest`, through the server that owns the store).
    """
    limits = limits or Limits()
    jobs, studies = Jobs(), Jobs()
    read_only, max_upload_bytes = limits.read_only, limits.max_upload_bytes
    api = FastAPIOffline(title="archive-qa", description="Cited answers from archive documents.")
    if limits.cors_origins:
        api.add_middleware(
            CORSMiddleware,
            allow_origins=list(limits.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["*"],
        )

    @api.exception_handler(ArchiveQAError)
    def readable_error(_: Request, exc: ArchiveQAError) -> JSONResponse:
        status = 403 if isinstance(exc, ReadOnlyError) else 400
        return JSONResponse(status_code=status, content={"error": str(exc)})

    @api.exception_handler(Exception)
    def internal_error(request: Request, exc: Exception) -> JSONResponse:
        _log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        message = "something went wrong on the server (it is logged there); try again later."
        return JSONResponse(status_code=500, content={"error": message})

    def is_admin(request: Request) -> bool:
        given = request.headers.get("authorization", "")
        return admin_token is not None and secrets.compare_digest(given, f"Bearer {admin_token}")

    def writable(request: Request) -> None:
        if read_only and not is_admin(request):
            raise ReadOnlyError(
                "this server's library is read-only (ARCHIVE_QA_READ_ONLY): its administrator "
                "adds documents with `archive-qa ingest`."
            )

    @api.get("/healthz", include_in_schema=False)
    def healthy() -> dict[str, str]:
        """The process is up (for a proxy's or an orchestrator's liveness probe)."""
        return {"status": "ok"}

    @api.get("/readyz", include_in_schema=False)
    def ready() -> JSONResponse:
        """The store answers (readiness): 503 until it does."""
        try:
            documents = len(archive.store.record_ids())
        except Exception:  # the probe reports; the log has the cause
            _log.exception("the store is not ready")
            return JSONResponse(status_code=503, content={"status": "store unavailable"})
        return JSONResponse({"status": "ready", "documents": documents})

    @api.get("/embed", include_in_schema=False)
    def embed_without_slash(request: Request) -> RedirectResponse:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/embed/{query}", status_code=307)

    @api.post("/api/ask", response_model=Answer)
    def ask_api(request: AskRequest) -> Any:
        """Answer a question; every citation's quote is the document text [start:end]."""
        return archive.ask(request.question, history=request.history, scope=request.scope())

    @api.get("/api/documents", response_model=list[DocumentSummary])
    def list_documents() -> Any:
        """Every indexed document, without its text."""
        return [_summary(r) for r in archive.store.records(with_text=False)]

    @api.get("/api/documents/{document_id}", response_model=DocumentText)
    def get_document(document_id: str) -> Any:
        """One document with its full text, for highlighting citations in a host page."""
        record = archive.store.record(document_id)
        if record is None:
            return _no_document(document_id)
        cited = chicago(record)
        return DocumentText(
            **_summary(record).model_dump(), text=record.text, summary=record.summary,
            original_language=record.original_language, date_display=long_date(record.date),
            cite_note=cited.note, cite_bibliography=cited.bibliography,
        )  # fmt: skip

    @api.get(
        "/api/documents/{document_id}/study",
        response_model=StudyPack,
        responses={202: {"description": "Being made: ask again after Retry-After seconds."}},
    )
    def study_document(document_id: str) -> Any:
        """Starter questions (each answered before it is suggested), a study guide, a quiz, a
        glossary and a timeline for one document; every item carries its verbatim source. They
        are made off the request path, one document at a time: a pack not ready within a few
        seconds is answered 202 with Retry-After, and is there when asked again."""
        record = archive.store.record(document_id)
        if record is None:
            return _no_document(document_id)
        ready = archive.studied(record)
        if ready is not None:
            return ready
        made = studies.once(f"{record.id}:{hash(record.text)}", partial(archive.study, record))
        try:
            return made.result(timeout=_STUDY_WAIT)
        except FutureTimeout:
            message = {"status": "being made", "retry_after": _STUDY_RETRY}
            headers = {"retry-after": str(_STUDY_RETRY)}
            return JSONResponse(status_code=202, content=message, headers=headers)

    @api.post("/api/documents", response_model=list[Added])
    async def upload_documents(
        request: Request,
        files: Annotated[list[UploadFile], File(description=", ".join(SUPPORTED_SUFFIXES))],
        collection: Annotated[str | None, Form(description="Also put them here.")] = None,
        replace: Annotated[
            bool, Form(description="Replace stored documents with the same ids.")
        ] = False,
        background: Annotated[
            bool, Form(description="Answer at once (202) with a job to follow at /api/jobs/{id}.")
        ] = False,
        origin: Annotated[str | None, Form(include_in_schema=False)] = None,
    ) -> Any:
        """Add documents; one result per file (a refused file names the reason). A file whose id
        is taken by a different document is refused unless `replace` is set. Large uploads take
        minutes: with `background`, follow their progress at `GET /api/jobs/{id}`."""
        writable(request)
        if len(files) > MAX_FILES_PER_REQUEST:
            raise ArchiveQAError(f"send at most {MAX_FILES_PER_REQUEST} files per request.")
        uploads = [(f.filename or "upload", await f.read(max_upload_bytes + 1)) for f in files]
        work = partial(
            add_uploads, archive.store, uploads, collection=collection or None,
            max_bytes=max_upload_bytes, replace=replace,
            origin=origin if is_admin(request) and len(uploads) == 1 else None,
        )  # fmt: skip
        if not background:
            return await _until_gone(request, work)
        job = jobs.start(lambda report: work(report=report))
        headers = {"location": f"/api/jobs/{job.id}"}
        return JSONResponse(status_code=202, content=job.model_dump(), headers=headers)

    @api.get("/api/jobs/{job_id}", response_model=Job)
    def follow_job(job_id: str) -> Any:
        """Where a background upload has got to; its results once it is done."""
        job = jobs.get(job_id)
        if job is None:
            message = f"no job {job_id!r} on this server (it keeps its last 100)."
            return JSONResponse(status_code=404, content={"error": message})
        return job

    @api.delete("/api/documents/{document_id}", status_code=204)
    def remove_document(request: Request, document_id: str) -> Response:
        """Take a document out of the library (and out of every collection)."""
        writable(request)
        if remove_documents(archive.store, [document_id]):
            return _no_document(document_id)
        return Response(status_code=204)

    @api.get("/api/collections", response_model=list[Collection])
    def list_collections() -> Any:
        """Every collection (course pack) and its documents."""
        return [Collection(name=n, documents=ids) for n, ids in archive.store.collections().items()]

    @api.put("/api/collections/{name}", response_model=Collection)
    def add_to_collection(request: Request, name: str, change: CollectionChange) -> Any:
        """Put documents in a collection, creating it if it is new."""
        writable(request)
        members = archive.store.add_to_collection(name, change.documents)
        return Collection(name=collection_name(name), documents=members)

    @api.delete("/api/collections/{name}", status_code=204)
    def delete_collection(request: Request, name: str) -> Response:
        """Delete a collection; its documents stay in the library."""
        writable(request)
        archive.store.remove_from_collection(name)  # a 400 naming the collections there are
        return Response(status_code=204)

    @api.get("/gradio.js", include_in_schema=False)
    def web_component() -> FileResponse:
        """Gradio's loader for the <gradio-app> web component, from this server (no CDN)."""
        return FileResponse(_GRADIO_JS, media_type="text/javascript")

    page = {
        "css": (_STATIC / "aqa.css").read_text(encoding="utf-8"),
        "head": f"<style>{(_STATIC / 'frame.css').read_text(encoding='utf-8')}</style>"
        f"<script>{(_STATIC / 'aqa.js').read_text(encoding='utf-8')}</script>",
        "theme": _THEME,
    }
    # Several students at once (Gradio runs one event at a time unless told otherwise); errors
    # the callbacks do not turn into messages themselves show as a plain "Error", never as text.
    embed = build_blocks(archive, embed=True).queue(default_concurrency_limit=_PAGE_CONCURRENCY)
    gr.mount_gradio_app(api, embed, path="/embed", footer_links=[], show_error=False, **page)
    full = build_blocks(archive, read_only=read_only, max_upload_bytes=max_upload_bytes)
    full.queue(default_concurrency_limit=_PAGE_CONCURRENCY)
    app: FastAPI = gr.mount_gradio_app(
        api, full, path="", max_file_size=max_upload_bytes, show_error=False, **page
    )
    app.add_middleware(Guard, limits=limits)
    return app


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


def _no_document(document_id: str) -> JSONResponse:
    message = f"no document {document_id!r}; GET /api/documents lists them."
    return JSONResponse(status_code=404, content={"error": message})


def _summary(record: Record) -> DocumentSummary:
    return DocumentSummary(
        id=record.id, title=record.title, date=record.date, citation=record.citation,
        url=record.url,
    )  # fmt: skip


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Open the archive and serve the app until interrupted.

    With an embedded store, the server owns its folder and leaves its address and an admin token
    there, so `archive-qa ingest` and `ask` beside it go through it. Set
    GRADIO_ANALYTICS_ENABLED=False and HF_HUB_OFFLINE=1 before importing this module (the CLI
    does): Gradio otherwise looks things up on the network.
    """
    import uvicorn

    archive = open_archive(settings)
    token = secrets.token_urlsafe(32)
    app = build_app(archive, limits_from(settings), admin_token=token)
    if not settings.chroma_host:
        local = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
        announce(settings.archive_qa_data_dir, url=f"http://{local}:{port}", token=token)
    print(f"archive-qa is serving on http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    # A stop signal waits this long for requests in flight, then ends them. Forwarded headers are
    # read by the wall (ui.guards), from the proxies the settings trust, not by uvicorn.
    uvicorn.run(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5,
        proxy_headers=False,
    )  # fmt: skip


def limits_from(settings: Settings) -> Limits:
    """The wall's limits (ui.guards) as the settings give them."""
    return Limits(
        allowed_hosts=settings.allowed_hosts,
        cors_origins=settings.cors_origins,
        trusted_proxies=settings.trusted_proxies,
        frame_ancestors=settings.frame_ancestors,
        requests_per_minute=settings.archive_qa_rate_limit,
        max_upload_bytes=settings.archive_qa_max_upload_mb * 1_000_000,
        read_only=settings.archive_qa_read_only,
    )
