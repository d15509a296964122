"""The web app: a Gradio chat page at ``/`` and a JSON API at ``POST /api/ask``, one FastAPI app.

Callbacks only format what `qa` returns; the archive is opened once per process.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from qa.answer import Answer
from qa.assembly import Archive, open_archive
from qa.followups import Turn
from qa.retrieval import Scope
from qa.settings import Settings
from ui.format import answer_as_html, message_text
from vectorstore.errors import ArchiveQAError
from vectorstore.records import Record

TITLE = "archive-qa"
# Each one is answered by the offline answerer on the bundled telegram (tests/test_app.py checks).
EXAMPLES = [
    "How many jet fighters were offered?",
    "Who would train the Chinese pilots?",
    "What did the Soviets think of the English demand?",
]
CSS = """
.aqa-sources { font-size: 0.9em; margin-top: 0.5em; }
.aqa-sources blockquote { margin: 0.2em 0; padding-left: 0.6em; border-left: 3px solid #d97706; }
.aqa-abstained { color: #92400e; }
.aqa-notice { font-size: 0.85em; color: #92400e; }
"""


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


def build_app(archive: Archive) -> FastAPI:
    """The FastAPI app serving the chat page and the JSON API over `archive`."""
    api = FastAPI(title="archive-qa", description="Cited answers from archive documents.")

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
        return DocumentText(
            **_summary(record).model_dump(), text=record.text, summary=record.summary,
            original_language=record.original_language,
        )  # fmt: skip

    app: FastAPI = gr.mount_gradio_app(api, build_blocks(archive), path="", css=CSS)
    return app


def _summary(record: Record) -> DocumentSummary:
    return DocumentSummary(
        id=record.id, title=record.title, date=record.date, citation=record.citation,
        url=record.url,
    )  # fmt: skip


def build_blocks(archive: Archive) -> gr.Blocks:
    """The chat page."""
    titles = ", ".join(r.title for r in archive.store.records(with_text=False)[:3])

    def ask(question: str) -> dict[str, Any]:
        return archive.ask(question).model_dump()

    def respond(question: str, history: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        earlier = [Turn(role=t["role"], content=message_text(t["content"])) for t in history]
        history = [*history, {"role": "user", "content": question}]
        try:
            reply = answer_as_html(archive.ask(question, history=earlier))
        except ArchiveQAError as exc:
            reply = f"<p class='aqa-abstained'>{exc}</p>"
        return "", [*history, {"role": "assistant", "content": reply}]

    blocks = gr.Blocks(title=TITLE)
    with blocks:
        gr.Markdown(
            f"# {TITLE}\nAsk a question about the documents. Every answer quotes its sources "
            f"verbatim; numbers like [1] point to the quotes under the answer.\n\n"
            f"*Documents:* {titles}"
        )
        chat = gr.Chatbot(label="Answers", height=480, sanitize_html=True)
        question = gr.Textbox(
            label="Your question", placeholder="Who would train the Chinese pilots?", autofocus=True
        )
        with gr.Row():
            send = gr.Button("Ask", variant="primary")
            gr.ClearButton([question, chat], value="Clear")
        gr.Examples(EXAMPLES, inputs=question)
        send.click(respond, [question, chat], [question, chat], api_visibility="private")
        question.submit(respond, [question, chat], [question, chat], api_visibility="private")
        # The answer contract for gradio_client users.
        hidden_in = gr.Textbox(visible=False)
        hidden_out = gr.JSON(visible=False)
        hidden_in.submit(ask, hidden_in, hidden_out, api_name="ask")
    return blocks


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Open the archive and serve the app until interrupted.

    Set GRADIO_ANALYTICS_ENABLED=False and HF_HUB_OFFLINE=1 before importing this module (the CLI
    does): Gradio otherwise looks things up on the network.
    """
    import uvicorn

    app = build_app(open_archive(settings))
    print(f"archive-qa is serving on http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
