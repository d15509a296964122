"""The Gradio pages: the chat with its source viewer and the library (``/``), and the chat alone
for iframes (``/embed``). Callbacks only call `qa` and format what it returns.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr

from qa.assembly import Archive, bundled_document
from qa.errors import ArchiveQAError
from qa.followups import Turn
from qa.library import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, Added, Library, Record, load_record
from qa.retrieval import Scope
from qa.study import timeline
from ui.format import answer_as_html, message_text, study_as_html, timeline_as_html

TITLE = "archive-qa"
# Each one is answered by the offline answerer on the bundled telegram (tests/test_app.py checks).
EXAMPLES = [
    "How many jet fighters were offered?",
    "Who would train the Chinese pilots?",
    "What did the Soviets think of the English demand?",
]
_EVERYTHING = ""  # the "Ask in" choice meaning every document
_SEARCHING = '<p class="aqa-pending" role="status">Searching the documents and checking quotes…</p>'
_VIEWER = (
    '<section id="aqa-viewer-body" class="aqa-viewer-body" aria-live="polite" '
    'aria-label="Source viewer"><p class="aqa-viewer-empty">Select a source number such as '
    "[1] in an answer to read the quote where it stands in its document, with its archival "
    "citation.</p></section>"
)


def build_blocks(
    archive: Archive,
    *,
    embed: bool = False,
    read_only: bool = False,
    max_upload_bytes: int = MAX_FILE_BYTES,
) -> gr.Blocks:
    """The chat page, with the source viewer beside the chat (below it on a narrow screen), and
    on the full page a library tab to add, group and remove documents (unless `read_only`).

    The query string configures it, for iframes above all: ``title=`` replaces the embed's
    heading, ``starters=0`` hides the starter questions, ``collection=NAME`` asks only that
    collection and ``document=ID[,ID]`` only those documents.
    """
    telegram = load_record(bundled_document()).id
    # An iframe is narrow already: the embed uses its whole width.
    blocks = gr.Blocks(title=f"{TITLE}: cited answers from archive documents", fill_width=embed)
    with blocks:
        scope = gr.State(None)
        header = gr.HTML(_header_html(TITLE, [], embed=embed))
        # The embed is the chat alone: no tabs around it.
        with nullcontext() if embed else gr.Tabs():
            with nullcontext() if embed else gr.Tab("Ask", id="ask"):
                pack, chat_box, question, send, starters = _ask_tab(embed)
            if not embed:
                with gr.Tab("Study", id="study") as study_tab:
                    choices, menus = _study(archive)
                study_tab.select(choices, None, menus, api_visibility="private")
                with gr.Tab("Library", id="library"):
                    listing, listed = _library(
                        archive, [header, pack], read_only=read_only,
                        max_upload_bytes=max_upload_bytes,
                    )  # fmt: skip
                blocks.load(listing, None, listed, api_visibility="private")

        # Closures, not partials: Gradio reads each callback's own signature (gr.Request, and
        # whether it streams).
        def chat(
            asked: str, history: list[dict[str, Any]], scope: dict[str, Any] | None, pack: str
        ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
            yield from respond(archive, asked, history, scope, pack)

        def setup(request: gr.Request) -> tuple[Any, ...]:
            return configure(archive, request, telegram=telegram, embed=embed)

        def contract(asked: str) -> dict[str, Any]:
            return ask(archive, asked)

        for trigger in (send.click, question.submit):
            trigger(
                chat, [question, chat_box, scope, pack], [question, chat_box],
                api_visibility="private",
            )  # fmt: skip
        blocks.load(setup, None, [header, starters, scope], api_visibility="private")
        if not embed:
            # The answer contract for gradio_client users.
            hidden_in = gr.Textbox(visible=False)
            hidden_out = gr.JSON(visible=False)
            hidden_in.submit(contract, hidden_in, hidden_out, api_name="ask")
    return blocks


def configure(
    archive: Archive, request: gr.Request, *, telegram: str, embed: bool
) -> tuple[Any, ...]:
    """The page as its query string sets it: the heading, whether the starter questions show,
    and the documents it asks."""
    query = request.query_params
    wanted = query.get("starters", "1").lower() not in {"0", "false", "no", "off"}
    # The starter questions are about the bundled telegram: none once it has been removed.
    shown = wanted and telegram in archive.library.ids()
    documents = [i for i in query.get("document", "").split(",") if i.strip()] or None
    scope = {"documents": documents, "collection": query.get("collection") or None}
    # The full page's header lists the library, and the library keeps it up to date.
    heading = _header_html(query.get("title") or TITLE, [], embed=True) if embed else gr.skip()
    return heading, gr.Column(visible=shown), scope


def respond(
    archive: Archive,
    question: str,
    history: list[dict[str, Any]],
    scope: dict[str, Any] | None,
    pack: str,
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The chat's answer to `question`: first a "Searching" line, then the checked answer (or
    the error, said plainly), after the conversation so far."""
    earlier = [Turn(role=t["role"], content=message_text(t["content"])) for t in history]
    history = [*history, {"role": "user", "content": question}]
    yield "", [*history, {"role": "assistant", "content": _SEARCHING}]
    scope = scope or {}
    asked = Scope.of(documents=scope.get("documents"), collection=pack or scope.get("collection"))
    try:
        reply = answer_as_html(archive.ask(question, history=earlier, scope=asked))
    except ArchiveQAError as exc:
        reply = f'<p class="aqa-abstained">{html.escape(str(exc))}</p>'
    yield "", [*history, {"role": "assistant", "content": reply}]


def ask(archive: Archive, question: str) -> dict[str, Any]:
    """The answer contract, for `gradio_client` users of the named endpoint ``/ask``."""
    return archive.ask(question).model_dump()


def _ask_tab(embed: bool) -> tuple[Any, Any, Any, Any, Any]:
    """The ask tab's parts: the "Ask in" menu, the chat, the question box, the button and the
    starter questions, with the source viewer beside them."""
    pack = gr.Dropdown(
        label="Ask in", choices=[("All documents", _EVERYTHING)], value=_EVERYTHING,
        visible=not embed, elem_id="aqa-ask-in",
    )  # fmt: skip
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            chat = gr.Chatbot(
                label="Answers", height="60vh", sanitize_html=True, elem_id="aqa-chat",
                placeholder="Answers appear here, each claim with a numbered source.",
            )  # fmt: skip
            question = gr.Textbox(
                label="Your question", placeholder=EXAMPLES[1], autofocus=not embed,
                max_lines=4, elem_id="aqa-question",
            )  # fmt: skip
            with gr.Row():
                send = gr.Button("Ask", variant="primary", elem_id="aqa-ask")
                gr.ClearButton([question, chat], value="Start over")
            with gr.Column() as starters:
                gr.Examples(EXAMPLES, inputs=question, label="Try asking")
        with gr.Column(scale=2, min_width=320, elem_classes=["aqa-viewer"]):
            gr.HTML(_VIEWER, elem_id="aqa-viewer")
    return pack, chat, question, send, starters


def _study(archive: Archive) -> tuple[Callable[[], tuple[Any, Any]], list[Any]]:
    """The study tab: for a chosen document, starter questions, a study guide, a quiz, a
    glossary and a timeline, with a source viewer beside them; and a collection's timeline.

    Returns the function that lists the documents and collections to choose from, and the menus
    it fills, for the page to run when the tab opens."""
    library = archive.library

    def choices() -> tuple[Any, Any]:
        records = library.documents()
        documents = [(f"{r.title} ({r.date or 'undated'})", r.id) for r in records]
        packs = [("All documents", _EVERYTHING), *((n, n) for n in library.collections())]
        return gr.Dropdown(choices=documents), gr.Dropdown(choices=packs)

    def materials(document_id: str | None) -> str:
        record = library.document(document_id) if document_id else None
        if record is None:
            return "<p class='aqa-hint'>Choose a document first.</p>"
        return study_as_html(archive.study(record))

    def collection_timeline(name: str | None) -> str:
        ids = library.members(name) if name else library.ids()
        records = [r for r in library.documents_by_id(ids).values()]
        return timeline_as_html(timeline(records))

    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            with gr.Row():
                document = gr.Dropdown(label="Document", choices=[], elem_id="aqa-study-document")
                make = gr.Button(
                    "Make study materials", variant="primary", elem_id="aqa-study-make"
                )
            out = gr.HTML(elem_id="aqa-study")
            with gr.Accordion("Timeline of a collection", open=False):
                with gr.Row():
                    pack = gr.Dropdown(
                        label="Collection",
                        choices=[("All documents", _EVERYTHING)],
                        value=_EVERYTHING,
                    )
                    show = gr.Button("Show timeline")
                dated = gr.HTML(elem_id="aqa-collection-timeline")
        with gr.Column(scale=2, min_width=320, elem_classes=["aqa-viewer"]):
            gr.HTML(_VIEWER.replace('id="aqa-viewer-body"', 'id="aqa-study-viewer-body"'))
    make.click(materials, document, out, api_visibility="private")
    show.click(collection_timeline, pack, dated, api_visibility="private")
    return choices, [document, pack]


def _library(
    archive: Archive, ask_page: list[Any], *, read_only: bool, max_upload_bytes: int
) -> tuple[Callable[[], dict[Any, Any]], list[Any]]:
    """The library tab: what is in the store, and (unless read-only) adding, grouping, removing.

    `ask_page` is the page's header and "Ask in" menu, which change with the library. Returns the
    function that lists the library and the components it fills, for the page to run on load.
    """
    header, ask_in = ask_page
    library = archive.library
    table = gr.Dataframe(
        headers=["Title", "Date", "Collections", "ID"], label="Documents", interactive=False,
        wrap=True, elem_id="aqa-library",
    )  # fmt: skip
    if read_only:
        gr.Markdown(
            "This server's library is read-only. Its administrator adds documents with "
            "`archive-qa ingest`."
        )
        return lambda: _listing(library, table, header, ask_in), [table, header, ask_in]
    parts = _library_parts(max_upload_bytes)
    files, into, report, note = parts.files, parts.into, parts.report, parts.note
    picked, pack = parts.picked, parts.pack
    shown = [table, header, ask_in, picked, pack, into]

    def listing() -> dict[Any, Any]:
        return _listing(library, table, header, ask_in, picked=picked, pack=pack, into=into)

    def upload(
        paths: list[str] | None,
        collection: str | None,
        swap: bool,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  # Gradio's way to show progress
    ) -> dict[Any, Any]:
        if not paths:
            return {report: _error_html("Choose one or more files first."), **listing()}
        try:
            uploads = [(Path(p).name, Path(p).read_bytes()) for p in paths]
            results = library.add_uploads(
                uploads, collection=collection or None, max_bytes=max_upload_bytes,
                replace=swap, report=lambda share, doing: progress(share, desc=doing),
            )  # fmt: skip
        except ArchiveQAError as exc:
            return {report: _error_html(str(exc)), **listing()}
        return {report: _report_html(results, collection), files: None, **listing()}

    def change(action: str, ids: list[str] | None, name: str | None) -> dict[Any, Any]:
        try:
            message = html.escape(_change(library, action, ids or [], name))
        except ArchiveQAError as exc:
            return {note: _error_html(str(exc)), **listing()}
        return {note: f"<p role='status'>{message}</p>", **listing()}

    upload_from = [files, into, parts.replace]
    parts.add.click(upload, upload_from, [report, files, *shown], api_visibility="private")
    for button, action in ((parts.put, "put"), (parts.take, "take"), (parts.drop, "drop")):
        button.click(
            partial(change, action), [picked, pack], [note, *shown], api_visibility="private"
        )
    return listing, shown


@dataclass(frozen=True)
class _LibraryParts:
    """The library tab's controls for adding, grouping and removing documents."""

    files: Any
    into: Any
    replace: Any
    add: Any
    report: Any
    picked: Any
    pack: Any
    put: Any
    take: Any
    drop: Any
    note: Any


def _library_parts(max_upload_bytes: int) -> _LibraryParts:
    """Lay out the library tab's controls (below its table), in reading order."""
    kinds = ", ".join(SUPPORTED_SUFFIXES)
    files = gr.File(
        label=f"Add documents ({kinds}; up to {max_upload_bytes // 1_000_000} MB each)",
        file_count="multiple", file_types=list(SUPPORTED_SUFFIXES), type="filepath",
        elem_id="aqa-upload",
    )  # fmt: skip
    into = gr.Dropdown(
        label="Into collection (optional: pick one or type a new name)", choices=[], value=None,
        allow_custom_value=True, elem_id="aqa-into",
    )  # fmt: skip
    replace = gr.Checkbox(
        label="Replace stored documents that have the same name", value=False,
        elem_id="aqa-replace",
    )  # fmt: skip
    add = gr.Button("Add to library", variant="primary", elem_id="aqa-add")
    report = gr.HTML(elem_id="aqa-report")
    gr.Markdown("### Collections and removal")
    with gr.Row():
        picked = gr.Dropdown(label="Documents", multiselect=True, choices=[], elem_id="aqa-picked")
        pack = gr.Dropdown(
            label="Collection", choices=[], allow_custom_value=True, elem_id="aqa-pack"
        )
    with gr.Row():
        put = gr.Button("Add to collection")
        take = gr.Button("Take out of collection")
        drop = gr.Button("Remove from library", variant="stop")
    note = gr.HTML(elem_id="aqa-library-note")
    return _LibraryParts(files, into, replace, add, report, picked, pack, put, take, drop, note)


def _listing(
    library: Library, table: Any, header: Any, ask_in: Any, **pickers: Any
) -> dict[Any, Any]:
    """The library's current state for the table, the header, the "Ask in" menu and the
    pickers."""
    records = library.documents()
    packs = library.collections()
    rows = [
        [r.title, r.date or "", ", ".join(n for n, ids in packs.items() if r.id in ids), r.id]
        for r in records
    ]
    filled: dict[Any, Any] = {
        table: rows, header: _header_html(TITLE, records, embed=False), ask_in: _ask_in(packs)
    }  # fmt: skip
    if pickers:
        documents = [(f"{r.title} ({r.id})", r.id) for r in records]
        filled[pickers["picked"]] = gr.Dropdown(choices=documents, value=[])
        filled[pickers["pack"]] = gr.Dropdown(choices=list(packs))
        filled[pickers["into"]] = gr.Dropdown(choices=list(packs))
    return filled


def _change(library: Library, action: str, ids: list[str], name: str | None) -> str:
    """Put documents in a collection, take them out, or remove them; says what was done."""
    if not ids:
        raise ArchiveQAError("Choose one or more documents first.")
    if action == "drop":
        missing = library.remove(ids)
        return f"{len(ids) - len(missing)} removed from the library."
    if not name:
        raise ArchiveQAError("Choose a collection, or type a new name.")
    if action == "put":
        members = library.put_in_collection(name, ids)
        return f"Collection “{name}” now holds {len(members)} documents."
    left = library.take_out_of_collection(name, ids)
    return f"Collection “{name}” now holds {len(left)} documents."


def _ask_in(packs: dict[str, list[str]]) -> Any:
    choices = [("All documents", _EVERYTHING)]
    choices += [(f"{name} ({len(ids)} documents)", name) for name, ids in packs.items()]
    return gr.Dropdown(choices=choices)


def _report_html(results: list[Added], collection: str | None) -> str:
    """One line per file: what became of it, or why it was refused."""
    lines = []
    for r in results:
        if r.status == "failed":
            lines.append(f"<li class='aqa-error'>{html.escape(r.error or r.file)}</li>")
        else:
            what = html.escape(f"{r.file}: {r.status} as “{r.title}” ({r.document_id})")
            lines.append(f"<li>{what}</li>")
    added = sum(r.status != "failed" for r in results)
    into = f" into “{html.escape(collection)}”" if collection and added else ""
    head = f"{added} of {len(results)} files in the library{into}; ask about them in the Ask tab."
    return f"<div role='status'><p>{head}</p><ul>{''.join(lines)}</ul></div>"


def _error_html(message: str) -> str:
    return f"<p class='aqa-error' role='alert'>{html.escape(message)}</p>"


def _header_html(title: str, records: list[Record], *, embed: bool) -> str:
    heading = f"<h1>{html.escape(title)}</h1>"
    if embed:
        return f'<header class="aqa-header">{heading}</header>'
    names = ", ".join(html.escape(r.title) for r in records[:3])
    more = f" and {len(records) - 3} more" if len(records) > 3 else ""
    listed = f"<p><strong>Documents:</strong> {names}{more}</p>" if records else ""
    return (
        f'<header class="aqa-header">{heading}<p>Ask a question about the documents. Every answer '
        f"quotes its sources verbatim; select a number like [1] to see the quote in its document."
        f"</p>{listed}</header>"
    )
