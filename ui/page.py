"""The Gradio pages: the chat with its source viewer and the library (``/``), and the chat alone
for iframes (``/embed``). Callbacks only call `qa` and format what it returns.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any, NamedTuple

import gradio as gr

from qa.answer import Answer, Scope, Sentence, Turn
from qa.assembly import BUNDLED_DOCUMENT_ID, Archive
from qa.errors import ArchiveQAError
from qa.library import MAX_FILE_BYTES
from ui.asked import AskedLog
from ui.courses import Course, Sessions, kept_in, seen_by
from ui.format import answer_as_html, header_html, message_text, sentences_as_html, viewer_html
from ui.library_tab import EVERYTHING, build_library_tab
from ui.study_tab import build_study_tab, study_materials

TITLE = "archive-qa"
# Each one is answered by the offline answerer on the bundled telegram (tests/test_app.py checks).
EXAMPLES = [
    "How many jet fighters were offered?",
    "Who would train the Chinese pilots?",
    "What did the Soviets think of the English demand?",
]
_SEARCHING = '<p class="aqa-pending" role="status">Searching the documents and checking quotes…</p>'
_WRITING = '<p class="aqa-pending" role="status">Writing the answer, checking each quote…</p>'


def build_blocks(
    archive: Archive,
    *,
    embed: bool = False,
    read_only: bool = False,
    max_upload_bytes: int = MAX_FILE_BYTES,
    admin_token: str | None = None,
    sessions: Sessions | None = None,
    questions: AskedLog | None = None,
) -> gr.Blocks:
    """The chat page, with the source viewer beside the chat (below it on a narrow screen), and
    on the full page a study tab (whose teacher's tools take `admin_token`) and a library tab to
    add, group and remove documents (unless `read_only`).

    The query string configures it, for iframes above all: ``title=`` replaces the embed's
    heading, ``starters=0`` hides the starter questions, ``collection=NAME`` asks only that
    collection and ``document=ID[,ID]`` only those documents; on the embed, ``study=ID`` shows
    that document's study materials (as its teacher left them for the collection) above the chat,
    and ``chat=0`` leaves the chat out. A course session (`sessions`, ui.courses) keeps the chat
    within its course, whatever the query string says, and its students' questions are kept for
    its teachers (`questions`).
    """
    # An iframe is narrow already: the embed uses its whole width.
    blocks = gr.Blocks(title=f"{TITLE}: cited answers from archive documents", fill_width=embed)
    with blocks:
        header = gr.HTML(header_html(TITLE, [], embed=embed))
        # The embed is the chat alone, unless asked for a document's study materials.
        study = gr.HTML(visible=False, elem_id="aqa-embed-study") if embed else None
        with nullcontext() if embed else gr.Tabs():
            with nullcontext() if embed else gr.Tab("Ask", id="ask"):
                chat = _ask_tab(embed)
            if not embed:
                with gr.Tab("Study", id="study") as study_tab:
                    choices, menus = build_study_tab(archive, admin_token)
                study_tab.select(choices, None, menus, api_visibility="private")
                with gr.Tab("Library", id="library"):
                    listing, listed = build_library_tab(
                        archive.library, TITLE, [header, chat.ask_in], read_only=read_only,
                        max_upload_bytes=max_upload_bytes,
                    )  # fmt: skip
                blocks.load(listing, None, listed, api_visibility="private")
        _wire_chat(
            blocks, archive, chat, header, study, embed=embed, sessions=sessions,
            questions=questions,
        )  # fmt: skip
    return blocks


class _Chat(NamedTuple):
    """The ask tab's parts that answer to events."""

    ask_in: Any
    box: Any
    question: Any
    send: Any
    starters: Any
    talk: Any
    """The column of the chat, the question box and the starters."""


def _wire_chat(
    blocks: gr.Blocks,
    archive: Archive,
    chat: _Chat,
    header: Any,
    study: Any,
    *,
    embed: bool,
    sessions: Sessions | None,
    questions: AskedLog | None,
) -> None:
    """The chat's events: asking (the button or Enter), setting the page up from its query
    string, and on the full page the named endpoint ``/ask`` for `gradio_client` users."""
    scope = gr.State(None)

    # Closures, not partials: Gradio reads each callback's own signature (gr.Request, and
    # whether it streams).
    def course_of(request: gr.Request) -> Course | None:
        return sessions.course_of(request.cookies) if sessions else None

    def answer(
        asked: str,
        history: list[dict[str, Any]],
        scope: dict[str, Any] | None,
        ask_in: str,
        request: gr.Request,
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        # The session is read again at each question: what the page sends is not trusted.
        course = course_of(request)
        if course is not None and questions is not None:
            questions.record(course, asked)
        yield from respond(archive, asked, history, scope, ask_in, course=course)

    def setup(request: gr.Request) -> tuple[Any, ...]:
        return configure(archive, request, embed=embed, course=course_of(request))

    def contract(asked: str) -> dict[str, Any]:
        return ask(archive, asked)

    for trigger in (chat.send.click, chat.question.submit):
        trigger(
            answer, [chat.question, chat.box, scope, chat.ask_in], [chat.question, chat.box],
            api_visibility="private",
        )  # fmt: skip
    shown = [header, chat.starters, scope]
    if study is not None:
        shown += [study, chat.talk]
    blocks.load(setup, None, shown, api_visibility="private")
    if not embed:
        hidden_in = gr.Textbox(visible=False)
        hidden_out = gr.JSON(visible=False)
        hidden_in.submit(contract, hidden_in, hidden_out, api_name="ask")


def configure(
    archive: Archive, request: gr.Request, *, embed: bool, course: Course | None = None
) -> tuple[Any, ...]:
    """The page as its query string sets it: the heading, whether the starter questions show,
    and the documents it asks (those of `course`, in a course's session)."""
    query = dict(request.query_params)
    if course is not None:
        query |= {"collection": course.collection, "title": course.title}
    library = seen_by(archive.library, course)
    wanted = _switched_on(query.get("starters"))
    # The starter questions are about the bundled telegram: none once it has been removed.
    shown = wanted and BUNDLED_DOCUMENT_ID in library.document_ids()
    documents = [i for i in query.get("document", "").split(",") if i.strip()] or None
    collection = query.get("collection") or None
    scope = {"documents": documents, "collection": collection}
    # The full page's header lists the library, and the library keeps it up to date.
    heading = header_html(query.get("title") or TITLE, [], embed=True) if embed else gr.skip()
    if not embed:
        return heading, gr.Column(visible=shown), scope
    studied = query.get("study")
    materials = study_materials(archive, library, studied, collection, course) if studied else ""
    chatting = _switched_on(query.get("chat"))
    return (
        heading, gr.Column(visible=shown and chatting), scope,
        gr.HTML(materials, visible=bool(studied)), gr.Column(visible=chatting),
    )  # fmt: skip


def _switched_on(option: str | None) -> bool:
    """Whether a page option is on: it is unless it says 0, false, no or off."""
    return (option or "1").lower() not in {"0", "false", "no", "off"}


def respond(
    archive: Archive,
    question: str,
    history: list[dict[str, Any]],
    scope: dict[str, Any] | None,
    ask_in: str,
    *,
    course: Course | None = None,
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The chat's answer to `question`: first a "Searching" line, then each sentence once its
    citations are checked, then the whole answer (or the error, said plainly), after the
    conversation so far. The holder of a `course`'s session asks that course alone."""
    earlier = [Turn(role=t["role"], content=message_text(t["content"])) for t in history]
    history = [*history, {"role": "user", "content": question}]
    yield "", [*history, {"role": "assistant", "content": _SEARCHING}]
    scope = scope or {}
    asked = Scope.of(documents=scope.get("documents"), collection=ask_in or scope.get("collection"))
    asked = kept_in(asked, course)
    shown: list[Sentence] = []
    try:
        for part in archive.stream(question, history=earlier, scope=asked):
            if isinstance(part, Answer):
                reply = answer_as_html(part)
            else:
                shown.append(part)
                reply = sentences_as_html(question, shown) + _WRITING
            yield "", [*history, {"role": "assistant", "content": reply}]
    except ArchiveQAError as exc:
        reply = f'<p class="aqa-abstained">{html.escape(str(exc))}</p>'
        yield "", [*history, {"role": "assistant", "content": reply}]


def ask(archive: Archive, question: str) -> dict[str, Any]:
    """The answer contract, for `gradio_client` users of the named endpoint ``/ask``."""
    return archive.ask(question).model_dump()


def _ask_tab(embed: bool) -> _Chat:
    """The ask tab's parts: the "Ask in" menu, the chat, the question box, the button and the
    starter questions, with the source viewer beside them."""
    ask_in = gr.Dropdown(
        label="Ask in", choices=[("All documents", EVERYTHING)], value=EVERYTHING,
        visible=not embed, elem_id="aqa-ask-in",
    )  # fmt: skip
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320) as talk:
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
            gr.HTML(viewer_html("aqa-viewer-body"), elem_id="aqa-viewer")
    return _Chat(ask_in, chat, question, send, starters, talk)
