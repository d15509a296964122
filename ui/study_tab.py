"""The study tab of the full page: a document's study materials as its teacher left them, a
collection's timeline, and the teacher's tools (hide, reword, reorder and add items; download the
key), which ask for the server's admin token. Callbacks only call `qa` and format what it returns.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import partial
from typing import Any

import gradio as gr

from qa.assembly import Archive
from qa.errors import ArchiveQAError
from qa.library import Document, Library
from qa.study import SKILLS, Skill, StudyPack, timeline
from qa.study.edits import hideable, short_label
from ui.courses import Course, for_reader
from ui.format import study_as_html, timeline_as_html, viewer_html
from ui.guards import bears
from ui.library_tab import EVERYTHING

_CHOOSE = "<p class='aqa-hint'>Choose a document first.</p>"


def build_study_tab(
    archive: Archive, admin_token: str | None
) -> tuple[Callable[[], tuple[Any, Any]], list[Any]]:
    """The study tab's parts and events. Returns the function that lists the documents and
    collections to choose from, and the menus it fills, for the page to run when the tab opens."""

    def choices() -> tuple[Any, Any]:
        documents, collections = study_choices(archive.library)
        return gr.Dropdown(choices=documents), gr.Dropdown(choices=collections)

    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            with gr.Row():
                document = gr.Dropdown(label="Document", choices=[], elem_id="aqa-study-document")
                make = gr.Button(
                    "Make study materials", variant="primary", elem_id="aqa-study-make"
                )
            out = gr.HTML(elem_id="aqa-study")
            teacher = _teacher_tools()
            with gr.Accordion("Timeline of a collection", open=False):
                with gr.Row():
                    collection = gr.Dropdown(
                        label="Collection", choices=[("All documents", EVERYTHING)],
                        value=EVERYTHING,
                    )  # fmt: skip
                    show = gr.Button("Show timeline")
                dated = gr.HTML(elem_id="aqa-collection-timeline")
        with gr.Column(scale=2, min_width=320, elem_classes=["aqa-viewer"]):
            gr.HTML(viewer_html("aqa-study-viewer-body"))
    _wire_teacher_tools(archive, admin_token, document, out, teacher)
    make.click(
        partial(_show, archive), document, [out, teacher.items, teacher.question],
        api_visibility="private",
    )  # fmt: skip
    show.click(
        partial(collection_timeline, archive.library), collection, dated, api_visibility="private"
    )
    return choices, [document, collection]


class _Teacher:
    """The teacher's tools: what answers to events."""

    def __init__(self) -> None:
        self.token = gr.Textbox(
            label="Admin token", type="password", elem_id="aqa-teacher-token",
            info="`archive-qa token` prints it (or ARCHIVE_QA_ADMIN_TOKEN, where it is set).",
        )  # fmt: skip
        self.items = gr.CheckboxGroup(
            label="Hidden from students", choices=[], elem_id="aqa-teacher-hidden"
        )
        with gr.Row():
            self.question = gr.Dropdown(
                label="Question", choices=[], elem_id="aqa-teacher-question", scale=2
            )
            self.wording = gr.Textbox(
                label="Its wording (blank: as it is)", elem_id="aqa-teacher-wording", scale=3
            )
        with gr.Row():
            self.up = gr.Button("Move up", size="sm")
            self.down = gr.Button("Move down", size="sm")
            self.save = gr.Button("Save", variant="primary", size="sm", elem_id="aqa-teacher-save")
        with gr.Row():
            self.added = gr.Textbox(
                label="A question of your own", elem_id="aqa-teacher-add-question", scale=3,
                info="archive-qa asks it of the document: kept with its cited answer, or as a "
                "prompt for discussion with the passages it finds.",
            )  # fmt: skip
            self.skill = gr.Radio(
                label="Skill", choices=list(SKILLS), value="close reading", scale=2
            )
        self.add = gr.Button("Add the question", size="sm", elem_id="aqa-teacher-add")
        self.key = gr.Button("Download the teacher's key", size="sm", elem_id="aqa-teacher-key")
        self.files = gr.File(label="Teacher's key", file_count="multiple", visible=False)
        self.status = gr.Markdown(elem_id="aqa-teacher-status")


def _teacher_tools() -> _Teacher:
    with gr.Accordion("For teachers: hide, reword, reorder and add questions; the key", open=False):
        return _Teacher()


def _wire_teacher_tools(
    archive: Archive, admin_token: str | None, document: Any, out: Any, teacher: _Teacher
) -> None:
    def allowed(token: str) -> None:
        if not bears({"authorization": f"Bearer {token}"}, admin_token):
            raise ArchiveQAError(
                "that is not this server's admin token: `archive-qa token` prints it."
            )

    def edited(
        token: str, document_id: str | None, change: Callable[[Document], str]
    ) -> tuple[Any, ...]:
        try:
            allowed(token)
            chosen = _document(archive, document_id)
            said = change(chosen)
        except ArchiveQAError as exc:
            return gr.skip(), gr.skip(), gr.skip(), f"**Not saved.** {exc}"
        return (*_show(archive, chosen.id), said)

    def save(token: str, document_id: str | None, hidden: list[str], key: str, words: str) -> Any:
        def change(chosen: Document) -> str:
            edits = archive.study_edits(chosen.id)
            edits.hidden = list(hidden or [])
            if key and words.strip():
                edits.wording[key] = " ".join(words.split())
            archive.save_study_edits(chosen.id, edits)
            return f"Saved: {len(edits.hidden)} hidden, {len(edits.wording)} reworded."

        return edited(token, document_id, change)

    def move(step: int, token: str, document_id: str | None, key: str) -> Any:
        def change(chosen: Document) -> str:
            if not key:
                raise ArchiveQAError("choose the question to move.")
            pack = archive.study_as_edited(chosen)
            order = [q.key for q in pack.guide]
            at = order.index(key) if key in order else -1
            if at < 0 or not 0 <= at + step < len(order):
                return "It is as far as it goes."
            order[at], order[at + step] = order[at + step], order[at]
            edits = archive.study_edits(chosen.id)
            edits.order = order
            archive.save_study_edits(chosen.id, edits)
            return "Moved."

        return edited(token, document_id, change)

    def add(token: str, document_id: str | None, question: str, skill: Skill) -> Any:
        def change(chosen: Document) -> str:
            added = archive.add_study_question(chosen, question, skill)
            kind = "with its cited answer" if added.answer else "as a prompt, with passages"
            return f"Added {kind}: “{added.question}”"

        return edited(token, document_id, change)

    def key(token: str, document_id: str | None) -> tuple[Any, str]:
        try:
            allowed(token)
            chosen = _document(archive, document_id)
        except ArchiveQAError as exc:
            return gr.File(visible=False), f"**No key.** {exc}"
        from ui.handout import key_files  # the PDF library: only here

        files = [str(f) for f in key_files(archive.study_as_edited(chosen))]
        return gr.File(value=files, visible=True), "The key is ready."

    t = teacher
    outputs = [out, t.items, t.question, t.status]
    events = [
        (t.save.click, save, [t.token, document, t.items, t.question, t.wording]),
        (t.up.click, partial(move, -1), [t.token, document, t.question]),
        (t.down.click, partial(move, 1), [t.token, document, t.question]),
        (t.add.click, add, [t.token, document, t.added, t.skill]),
    ]
    for trigger, callback, inputs in events:
        trigger(callback, inputs, outputs, api_visibility="private")
    t.key.click(key, [t.token, document], [t.files, t.status], api_visibility="private")


def _show(archive: Archive, document_id: str | None) -> tuple[str, Any, Any]:
    """The study materials as the teacher left them, and the teacher's menus of their items."""
    try:
        chosen = _document(archive, document_id)
    except ArchiveQAError:
        return _CHOOSE, gr.skip(), gr.skip()
    made = archive.study(chosen)
    edits = archive.study_edits(chosen.id)
    items = hideable(made, edits)
    shown = archive.study_as_edited(chosen)
    questions = [(short_label(q.question), q.key) for q in shown.guide]
    return (
        study_materials_html(shown),
        gr.CheckboxGroup(choices=items, value=edits.hidden),
        gr.Dropdown(choices=questions, value=None),
    )


def study_materials_html(pack: StudyPack) -> str:
    """The study materials, with the student sheet to download (PDF or Markdown)."""
    handout = f"documents/{html.escape(pack.document_id)}/study/handout"
    links = " · ".join(
        f"<a class='aqa-handout' data-handout='{handout}?format={kind}' href='#' download>"
        f"{name}</a>"
        for kind, name in (("pdf", "PDF"), ("markdown", "Markdown"))
    )
    return f"<p class='aqa-downloads'>Student sheet to print: {links}</p>" + study_as_html(pack)


def _document(archive: Archive, document_id: str | None) -> Document:
    document = archive.library.document(document_id) if document_id else None
    if document is None:
        raise ArchiveQAError("choose a document first.")
    return document


def study_choices(library: Library) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The study tab's menus: the documents, and the collections to draw a timeline of."""
    documents = [(f"{d.title} ({d.date or 'undated'})", d.id) for d in library.documents()]
    return documents, [("All documents", EVERYTHING), *((n, n) for n in library.collections())]


def study_materials(
    archive: Archive,
    library: Library,
    document_id: str | None,
    collection: str | None = None,
    course: Course | None = None,
) -> str:
    """A document's study materials as its teacher left them (for `collection`, if given), of
    the documents `library` shows, as the holder of `course`'s session reads them."""
    document = library.document(document_id) if document_id else None
    if document is None:
        return _CHOOSE
    try:
        edits_of = library.known_as(collection) if collection else None
    except ArchiveQAError as exc:
        return f"<p class='aqa-abstained'>{html.escape(str(exc))}</p>"
    return study_materials_html(for_reader(archive.study_as_edited(document, edits_of), course))


def collection_timeline(library: Library, name: str | None) -> str:
    """The dated events of a collection's documents (of every document when none is named)."""
    ids = library.members(name) if name else library.document_ids()
    return timeline_as_html(timeline(list(library.documents_by_id(ids).values())))
