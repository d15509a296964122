"""The web app: a Gradio chat page at ``/``, a chat-only page for iframes at ``/embed``, and a JSON
API at ``/api`` (docs at ``/docs``), one FastAPI app.

Callbacks only format what `qa` returns; the archive is opened once per process.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field

from qa.answer import Answer
from qa.assembly import Archive, open_archive
from qa.followups import Turn
from qa.retrieval import Scope
from qa.settings import Settings
from ui.format import answer_as_html, chicago, long_date, message_text
from vectorstore.errors import ArchiveQAError
from vectorstore.records import Record

TITLE = "archive-qa"
# Each one is answered by the offline answerer on the bundled telegram (tests/test_app.py checks).
EXAMPLES = [
    "How many jet fighters were offered?",
    "Who would train the Chinese pilots?",
    "What did the Soviets think of the English demand?",
]
_STATIC = Path(__file__).parent / "static"
_GRADIO_JS = Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js"
# System fonts only: the page must load in a classroom without internet.
_THEME = gr.themes.Soft(
    primary_hue="amber",
    neutral_hue="stone",
    font=["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)


class AskRequest(BaseModel):
    question: str = Field(description="The question, in plain language (up to 1000 characters).")
    history: list[Turn] = Field(
        default_factory=list,
        description="The conversation so far, oldest first, for follow-up questions.",
    )
    documents: list[str] | None = Field(
        default=None, description="Search only these document ids (GET /api/documents)."
    )
    since: str | None = Field(default=None, description="Only documents dated on or after (ISO).")
    until: str | None = Field(default=None, description="Only documents dated on or before (ISO).")

    def scope(self) -> Scope | None:
        if self.documents is None and self.since is None and self.until is None:
            return None
        documents = frozenset(self.documents) if self.documents is not None else None
        return Scope(documents=documents, since=self.since, until=self.until)


class DocumentSummary(BaseModel):
    id: str
    title: str
    date: str | None
    citation: str | None
    url: str | None


class DocumentText(DocumentSummary):
    text: str = Field(description="The stored text; citations' start/end index into it.")
    summary: str | None
    original_language: str | None
    date_display: str = Field(description='The date as written in prose ("July 13, 1950").')
    cite_note: str = Field(description="Chicago notes-bibliography style: the note.")
    cite_bibliography: str = Field(description="Chicago notes-bibliography style: the entry.")


def build_app(archive: Archive, *, cors_origins: Sequence[str] = ()) -> FastAPI:
    """The FastAPI app over `archive`: the chat page at ``/``, a chat-only page for iframes at
    ``/embed``, and the JSON API with its docs at ``/docs`` (served locally, no CDN).

    Browsers may call the API from other origins only when they are in `cors_origins`.
    """
    api = FastAPIOffline(title="archive-qa", description="Cited answers from archive documents.")
    if cors_origins:
        api.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )

    @api.post("/api/ask", response_model=Answer)
    def ask_api(request: AskRequest) -> Any:
        """Answer a question; every citation's quote is the document text [start:end]."""
        try:
            return archive.ask(request.question, history=request.history, scope=request.scope())
        except ArchiveQAError as exc:
            return JSONResponse(status_code=400, content={"error": str(exc)})

    @api.get("/api/documents", response_model=list[DocumentSummary])
    def list_documents() -> Any:
        """Every indexed document, without its text."""
        return [_summary(r) for r in archive.store.records(with_text=False)]

    @api.get("/api/documents/{document_id}", response_model=DocumentText)
    def get_document(document_id: str) -> Any:
        """One document with its full text, for highlighting citations in a host page."""
        record = archive.store.record(document_id)
        if record is None:
            message = f"no document {document_id!r}; GET /api/documents lists them."
            return JSONResponse(status_code=404, content={"error": message})
        cited = chicago(record)
        return DocumentText(
            **_summary(record).model_dump(), text=record.text, summary=record.summary,
            original_language=record.original_language, date_display=long_date(record.date),
            cite_note=cited.note, cite_bibliography=cited.bibliography,
        )  # fmt: skip

    @api.get("/gradio.js", include_in_schema=False)
    def web_component() -> FileResponse:
        """Gradio's loader for the <gradio-app> web component, from this server (no CDN)."""
        return FileResponse(_GRADIO_JS, media_type="text/javascript")

    page = {
        "css": (_STATIC / "aqa.css").read_text(encoding="utf-8"),
        "head": f"<script>{(_STATIC / 'aqa.js').read_text(encoding='utf-8')}</script>",
        "theme": _THEME,
    }
    gr.mount_gradio_app(
        api, build_blocks(archive, embed=True), path="/embed", footer_links=[], **page
    )
    app: FastAPI = gr.mount_gradio_app(api, build_blocks(archive), path="", **page)
    return app


def _summary(record: Record) -> DocumentSummary:
    return DocumentSummary(
        id=record.id, title=record.title, date=record.date, citation=record.citation,
        url=record.url,
    )  # fmt: skip


def build_blocks(archive: Archive, *, embed: bool = False) -> gr.Blocks:
    """The chat page, with the source viewer beside the chat (below it on a narrow screen).

    The query string configures it, for iframes above all: ``title=`` replaces the heading,
    ``starters=0`` hides the starter questions, ``document=ID[,ID]`` asks only those documents.
    """
    records = archive.store.records(with_text=False)

    def configure(request: gr.Request) -> tuple[str, Any, list[str] | None]:
        query = request.query_params
        shown = query.get("starters", "1").lower() not in {"0", "false", "no", "off"}
        asked = [i for i in query.get("document", "").split(",") if i.strip()] or None
        return (
            _header_html(query.get("title") or TITLE, records, embed=embed),
            gr.Column(visible=shown),
            asked,
        )

    def respond(
        question: str, history: list[dict[str, Any]], documents: list[str] | None
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        earlier = [Turn(role=t["role"], content=message_text(t["content"])) for t in history]
        history = [*history, {"role": "user", "content": question}]
        yield "", [*history, {"role": "assistant", "content": _SEARCHING}]
        scope = Scope(documents=frozenset(documents)) if documents else None
        try:
            reply = answer_as_html(archive.ask(question, history=earlier, scope=scope))
        except ArchiveQAError as exc:
            reply = f'<p class="aqa-abstained">{html.escape(str(exc))}</p>'
        yield "", [*history, {"role": "assistant", "content": reply}]

    def ask(question: str) -> dict[str, Any]:
        return archive.ask(question).model_dump()

    # An iframe is narrow already: the embed uses its whole width.
    blocks = gr.Blocks(title=f"{TITLE}: cited answers from archive documents", fill_width=embed)
    with blocks:
        documents = gr.State(None)
        header = gr.HTML(_header_html(TITLE, records, embed=embed))
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(
                    label="Answers", height="60vh", sanitize_html=True, elem_id="aqa-chat",
                    placeholder="Answers appear here, each claim with a numbered source.",
                )  # fmt: skip
                question = gr.Textbox(
                    label="Your question", placeholder="Who would train the Chinese pilots?",
                    autofocus=not embed, max_lines=4, elem_id="aqa-question",
                )  # fmt: skip
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="aqa-ask")
                    gr.ClearButton([question, chat], value="Clear")
                with gr.Column() as starters:
                    gr.Examples(EXAMPLES, inputs=question, label="Try asking")
            with gr.Column(scale=2, min_width=320, elem_classes=["aqa-viewer"]):
                gr.HTML(_VIEWER, elem_id="aqa-viewer")
        for trigger in (send.click, question.submit):
            trigger(
                respond, [question, chat, documents], [question, chat], api_visibility="private"
            )
        blocks.load(configure, None, [header, starters, documents], api_visibility="private")
        if not embed:
            # The answer contract for gradio_client users.
            hidden_in = gr.Textbox(visible=False)
            hidden_out = gr.JSON(visible=False)
            hidden_in.submit(ask, hidden_in, hidden_out, api_name="ask")
    return blocks


_SEARCHING = '<p class="aqa-pending" role="status">Searching the documents and checking quotes…</p>'
_VIEWER = (
    '<section id="aqa-viewer-body" class="aqa-viewer-body" aria-live="polite" '
    'aria-label="Source viewer"><p class="aqa-viewer-empty">Select a source number such as '
    "[1] in an answer to read the quote where it stands in its document, with its archival "
    "citation.</p></section>"
)


def _header_html(title: str, records: list[Record], *, embed: bool) -> str:
    heading = f"<h1>{html.escape(title)}</h1>"
    if embed:
        return f'<header class="aqa-header">{heading}</header>'
    names = ", ".join(html.escape(r.title) for r in records[:3])
    more = f" and {len(records) - 3} more" if len(records) > 3 else ""
    return (
        f'<header class="aqa-header">{heading}<p>Ask a question about the documents. Every answer '
        f"quotes its sources verbatim; select a number like [1] to see the quote in its document."
        f"</p><p><strong>Documents:</strong> {names}{more}</p></header>"
    )


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Open the archive and serve the app until interrupted.

    Set GRADIO_ANALYTICS_ENABLED=False and HF_HUB_OFFLINE=1 before importing this module (the CLI
    does): Gradio otherwise looks things up on the network.
    """
    import uvicorn

    app = build_app(open_archive(settings), cors_origins=settings.cors_origins)
    print(f"archive-qa is serving on http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
