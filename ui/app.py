"""The web app: a Gradio chat page at ``/``, a chat-only page for iframes at ``/embed``, and a JSON
API at ``/api`` (docs at ``/docs``), one FastAPI app.

Callbacks only format what `qa` returns; the archive is opened once per process.
"""

from __future__ import annotations

import logging
import math
import secrets
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import anyio
import gradio as gr
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi_offline import FastAPIOffline

from qa.assembly import Archive, announce_server, open_archive, withdraw_server
from qa.settings import Settings
from ui.api import STUDY_WAIT, Service, serve_api
from ui.asked import AskedLog, serve_asked
from ui.courses import Sessions
from ui.graded_quiz import serve_graded_quiz
from ui.grades import Gradebook
from ui.guards import Guard, Limits
from ui.lti import Tool, serve_lti
from ui.page import build_blocks
from ui.placing import serve_placing
from ui.platforms import ToolKey, load_platforms
from ui.registration import serve_registration

_log = logging.getLogger(__name__)
_STATIC = Path(__file__).parent / "static"
_PAGE_CONCURRENCY = 8
_PROBE_WAIT = 0.08  # seconds: a proxy's health check is answered well within 100 ms
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


def build_app(
    archive: Archive,
    limits: Limits | None = None,
    *,
    admin_token: str | None = None,
    study_wait: float = STUDY_WAIT,
    lti: Tool | None = None,
    gradebook: Gradebook | None = None,
) -> FastAPI:
    """The FastAPI app over `archive`: the chat page at ``/``, a chat-only page for iframes at
    ``/embed``, the JSON API with its docs at ``/docs`` (served locally, no CDN), and ``/healthz``
    and ``/readyz`` for a proxy or an orchestrator.

    `limits` holds the wall every request passes (ui.guards): allowed hosts, the origins whose
    pages may call the API, rate and size limits. A read-only server refuses uploads, removals
    and collection changes (HTTP 403), except to a request bearing `admin_token` (the command
    line's `ingest`, through the server that owns the store). A study-pack request waits
    `study_wait` seconds for its pack before answering 202. With `lti`, course sites launch it
    through LTI 1.3 (``/lti/login``, ``/lti/launch``, ``/lti/jwks.json``; ui/lti.py), and
    graded quizzes send their scores to the platforms' gradebooks through `gradebook`.
    """
    limits = limits or Limits()
    api = FastAPIOffline(title="archive-qa", description="Cited answers from archive documents.")
    if limits.cors_origins:
        api.add_middleware(
            CORSMiddleware,
            allow_origins=list(limits.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["*"],
        )
    sessions = lti.sessions if lti is not None else None
    questions = _serve_courses(api, lti, archive, gradebook) if lti is not None else None
    service = Service(
        archive, limits.max_upload_bytes, read_only=limits.read_only, admin_token=admin_token,
        study_wait=study_wait, sessions=sessions, questions=questions,
    )  # fmt: skip
    serve_api(api, service)
    _add_probes(api, archive)
    app = _mount_pages(api, archive, limits, admin_token, sessions, questions)
    app.add_middleware(Guard, limits=replace(limits, admin_token=admin_token))
    return app


def _serve_courses(
    api: FastAPI, lti: Tool, archive: Archive, gradebook: Gradebook | None
) -> AskedLog:
    """The routes of course sites (LTI 1.3: ui/lti.py and the modules beside it); the log of
    what courses' students ask, which the API and the pages write to."""
    serve_lti(api, lti, archive.library)
    serve_placing(api, lti, archive)
    gradebook = gradebook or Gradebook(lti, archive.store)
    gradebook.resume()  # scores left waiting before a restart
    serve_graded_quiz(api, lti.sessions, archive, gradebook)
    serve_registration(api, lti, lti.key.path.parent)  # the data folder, with the key
    questions = AskedLog(archive.store)
    serve_asked(api, lti.sessions, questions)
    return questions


def _add_probes(api: FastAPI, archive: Archive) -> None:
    """The routes for proxies and orchestrators, and the loader of the web component."""

    readiness = _Readiness(archive)

    # Both answer on the event loop, never waiting for a worker thread: slow answers holding
    # every worker must not take the replica out of its proxy.
    @api.get("/healthz", include_in_schema=False)
    async def healthy() -> dict[str, str]:
        """The process is up (for a proxy's or an orchestrator's liveness probe)."""
        return {"status": "ok"}

    @api.get("/readyz", include_in_schema=False)
    async def ready() -> JSONResponse:
        """The store answers (readiness): 503 until it does."""
        documents = await readiness.documents()
        if documents is None:
            return JSONResponse(status_code=503, content={"status": "store unavailable"})
        return JSONResponse({"status": "ready", "documents": documents})

    @api.get("/embed", include_in_schema=False)
    def embed_without_slash(request: Request) -> RedirectResponse:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/embed/{query}", status_code=307)

    @api.get("/gradio.js", include_in_schema=False)
    def web_component() -> FileResponse:
        """Gradio's loader for the <gradio-app> web component, from this server (no CDN)."""
        return FileResponse(_GRADIO_JS, media_type="text/javascript")


class _Readiness:
    """Whether the store answers, checked on a thread of its own at most once a second and
    reported within `_PROBE_WAIT` seconds (the last result, while a slow check goes on)."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive
        self._last: tuple[float, int | None] = (-math.inf, None)
        self._checking = threading.Event()  # set while a check runs: never two at once

    async def documents(self) -> int | None:
        """How many documents the store holds; None while it does not answer."""
        if time.monotonic() - self._last[0] > 1.0 and not self._checking.is_set():
            self._checking.set()
            with anyio.move_on_after(_PROBE_WAIT):
                await anyio.to_thread.run_sync(self._check, abandon_on_cancel=True)
        return self._last[1]

    def _check(self) -> None:
        try:
            documents: int | None = len(self._archive.library.document_ids())
        except Exception:  # the probe reports; the log has the cause
            _log.exception("the store is not ready")
            documents = None
        finally:
            self._checking.clear()
        self._last = (time.monotonic(), documents)


def _mount_pages(
    api: FastAPI,
    archive: Archive,
    limits: Limits,
    admin_token: str | None,
    sessions: Sessions | None,
    questions: AskedLog | None,
) -> FastAPI:
    """The chat-only page at ``/embed`` and the full page at ``/`` (whose teacher's tools take
    `admin_token`), mounted on `api`; a course session (`sessions`) keeps them in its course."""
    page = {
        "css": (_STATIC / "aqa.css").read_text(encoding="utf-8"),
        "head": f"<style>{(_STATIC / 'frame.css').read_text(encoding='utf-8')}</style>"
        f"<script>{(_STATIC / 'aqa.js').read_text(encoding='utf-8')}</script>",
        "theme": _THEME,
    }
    # Several students at once (Gradio runs one event at a time unless told otherwise); errors
    # the callbacks do not turn into messages themselves show as a plain "Error", never as text.
    embed = build_blocks(archive, embed=True, sessions=sessions, questions=questions)
    embed.queue(default_concurrency_limit=_PAGE_CONCURRENCY)
    gr.mount_gradio_app(api, embed, path="/embed", footer_links=[], show_error=False, **page)
    full = build_blocks(
        archive, read_only=limits.read_only, max_upload_bytes=limits.max_upload_bytes,
        admin_token=admin_token, sessions=sessions, questions=questions,
    ).queue(default_concurrency_limit=_PAGE_CONCURRENCY)  # fmt: skip
    app: FastAPI = gr.mount_gradio_app(
        api, full, path="", max_file_size=limits.max_upload_bytes, show_error=False, **page
    )
    return app


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Open the archive and serve the app until interrupted.

    With an embedded store, the server owns its folder and leaves its address and an admin token
    there, so `archive-qa ingest` and `ask` beside it go through it. Set
    GRADIO_ANALYTICS_ENABLED=False and HF_HUB_OFFLINE=1 before importing this module (the CLI
    does): Gradio otherwise looks things up on the network.
    """
    import uvicorn

    archive = open_archive(settings)
    fixed = settings.archive_qa_admin_token
    token = fixed.get_secret_value() if fixed else secrets.token_urlsafe(32)
    app = build_app(archive, limits_from(settings), admin_token=token, lti=lti_tool(settings))
    local = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    announce_server(settings, url=f"http://{local}:{port}", token=token)
    print(f"archive-qa is serving on http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    # A stop signal waits this long for requests in flight, then ends them. Forwarded headers are
    # read by the wall (ui.guards), from the proxies the settings trust, not by uvicorn.
    # uvicorn stops on SIGTERM, then raises it again for the handler it found: let that one end
    # the process through `finally`, as Ctrl+C does, so that the note is taken away.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(
            app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5,
            proxy_headers=False,
        )  # fmt: skip
    finally:
        withdraw_server(settings)  # a note left behind is a door to the old port


def lti_tool(settings: Settings) -> Tool:
    """The LTI 1.3 tool over the platforms registered in the data folder, with the tool's key
    kept there (made on first use)."""
    folder = settings.archive_qa_data_dir
    return Tool(load_platforms(folder / "lti-platforms.json"), ToolKey(folder / "lti-key.pem"))


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
