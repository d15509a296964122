"""The page's library tab: what is in the store, and adding, grouping and removing documents.

Its callbacks are plain functions of the library that return HTML or plain values (tested without
a browser); `build_library_tab` lays out the controls and wires those functions to them.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from qa.errors import ArchiveQAError
from qa.library import SUPPORTED_SUFFIXES, Added, Document, Library, Reporter
from ui.format import counted, header_html
from ui.guards import client_of

_log = logging.getLogger(__name__)

EVERYTHING = ""  # the "Ask in" choice meaning every document


@dataclass(frozen=True)
class Holdings:
    """The library as the page shows it: its documents and its collections."""

    documents: list[Document]
    collections: dict[str, list[str]]

    @property
    def rows(self) -> list[list[str]]:
        """The documents table: title, date, the collections holding it, id."""
        return [
            [d.title, d.date or "", ", ".join(self._holding(d.id)), d.id] for d in self.documents
        ]

    @property
    def ask_in(self) -> list[tuple[str, str]]:
        """The "Ask in" menu: every document, or one collection."""
        named = [(f"{name} ({counted(len(ids))})", name) for name, ids in self.collections.items()]
        return [("All documents", EVERYTHING), *named]

    def _holding(self, document_id: str) -> list[str]:
        return [name for name, ids in self.collections.items() if document_id in ids]


def holdings(library: Library) -> Holdings:
    """What the library holds now."""
    return Holdings(library.documents(), library.collections())


def add_files(
    library: Library,
    paths: list[str] | None,
    collection: str | None,
    replace: bool,
    *,
    max_bytes: int,
    added_by: str | None = None,
    report: Reporter | None = None,
) -> tuple[str, bool]:
    """Add the uploaded files (into `collection`, if named, marked as `added_by`): HTML saying
    what became of each, or why nothing was added; and whether they were taken (the picker is
    then cleared)."""
    if not paths:
        return error_html("Choose one or more files first."), False
    try:
        uploads = [(Path(p).name, Path(p).read_bytes()) for p in paths]
        results = library.add_uploads(
            uploads, collection=collection or None, max_bytes=max_bytes, replace=replace,
            added_by=added_by, report=report,
        )  # fmt: skip
    except ArchiveQAError as exc:
        return error_html(str(exc)), False
    return report_html(results, collection), True


def change(library: Library, action: str, ids: list[str] | None, name: str | None) -> str:
    """Put documents in a collection ("put"), take them out ("take") or remove them from the
    library ("drop"); HTML saying what was done, or why not."""
    try:
        message = _changed(library, action, ids or [], name)
    except ArchiveQAError as exc:
        return error_html(str(exc))
    return f"<p role='status'>{html.escape(message)}</p>"


def _changed(library: Library, action: str, ids: list[str], name: str | None) -> str:
    if not ids:
        raise ArchiveQAError("Choose one or more documents first.")
    if action == "drop":
        return f"{len(library.remove(ids).ids)} removed from the library."
    if not name:
        raise ArchiveQAError("Choose a collection, or type a new name.")
    if action == "put":
        members = library.add_to_collection(name, ids)
        return f"Collection “{name}” now holds {counted(len(members))}."
    left = library.remove_from_collection(name, ids)
    return f"Collection “{name}” now holds {counted(len(left))}."


def report_html(results: list[Added], collection: str | None) -> str:
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


def error_html(message: str) -> str:
    return f"<p class='aqa-error' role='alert'>{html.escape(message)}</p>"


# -- the tab ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    """The library tab's controls for adding, grouping and removing documents."""

    files: Any
    into: Any
    replace: Any
    add: Any
    report: Any
    picked: Any
    collection: Any
    put: Any
    take: Any
    drop: Any
    note: Any

    @property
    def menus(self) -> tuple[Any, Any]:
        """The menus of collections: to group documents in, and to add files into."""
        return self.collection, self.into


def build_library_tab(
    library: Library, title: str, ask_page: list[Any], *, read_only: bool, max_upload_bytes: int
) -> tuple[Callable[[], dict[Any, Any]], list[Any]]:
    """The library tab: what is in the store, and (unless read-only) adding, grouping, removing.

    `ask_page` is the page's header and "Ask in" menu, which change with the library. Returns the
    function that lists the library and the components it fills, for the page to run on load.
    """
    header, ask_in = ask_page
    table = gr.Dataframe(
        headers=["Title", "Date", "Collections", "ID"], label="Documents", interactive=False,
        wrap=True, elem_id="aqa-library",
    )  # fmt: skip

    def shown_on_page() -> dict[Any, Any]:
        return _shown(holdings(library), title, table, header, ask_in)

    if read_only:
        gr.Markdown(
            "This server's library is read-only. Its administrator adds documents with "
            "`archive-qa ingest`."
        )
        return shown_on_page, [table, header, ask_in]
    parts = _lay_out(max_upload_bytes)
    listed = [table, header, ask_in]
    return _changing(library, parts, listed, title=title, max_upload_bytes=max_upload_bytes)


def _changing(
    library: Library, parts: _Parts, listed: list[Any], *, title: str, max_upload_bytes: int
) -> tuple[Callable[[], dict[Any, Any]], list[Any]]:
    """The library tab's controls at work: adding files, grouping and removing documents, each
    followed by the library as it is now (`listed`: the table, the page's header and its "Ask
    in" menu, then the tab's own menus)."""
    table, header, ask_in = listed

    def listing() -> dict[Any, Any]:
        now = holdings(library)
        picks = gr.Dropdown(
            choices=[(f"{d.title} ({d.id})", d.id) for d in now.documents], value=[]
        )
        shown = {**_shown(now, title, table, header, ask_in), parts.picked: picks}
        return shown | {menu: gr.Dropdown(choices=list(now.collections)) for menu in parts.menus}

    def upload(
        paths: list[str] | None,
        collection: str | None,
        replace: bool,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  # Gradio's way to show progress
    ) -> dict[Any, Any]:
        # Shown to every reader as "a visitor"; the address the wall judged (behind a proxy, the
        # student's own) only goes to the log.
        where = client_of(request.request) if request.request else ""
        _log.info("upload of %d file(s) through the page from %s", len(paths or []), where)
        told, taken = add_files(
            library, paths, collection, replace, max_bytes=max_upload_bytes,
            added_by="a visitor, through the page",
            report=lambda share, doing: progress(share, desc=doing),
        )  # fmt: skip
        cleared = {parts.files: None} if taken else {}
        return {parts.report: told, **cleared, **listing()}

    def acting(action: str) -> Callable[[list[str] | None, str | None], dict[Any, Any]]:
        return lambda ids, name: {parts.note: change(library, action, ids, name), **listing()}

    shown = [*listed, parts.picked, parts.collection, parts.into]
    parts.add.click(
        upload, [parts.files, parts.into, parts.replace], [parts.report, parts.files, *shown],
        api_visibility="private",
    )  # fmt: skip
    for button, action in ((parts.put, "put"), (parts.take, "take"), (parts.drop, "drop")):
        button.click(
            acting(action), [parts.picked, parts.collection], [parts.note, *shown],
            api_visibility="private",
        )  # fmt: skip
    return listing, shown


def _shown(now: Holdings, title: str, table: Any, header: Any, ask_in: Any) -> dict[Any, Any]:
    """The table, the page's header and its "Ask in" menu, for the library as it is `now`."""
    header_now = header_html(title, now.documents, embed=False)
    return {table: now.rows, header: header_now, ask_in: gr.Dropdown(choices=now.ask_in)}


def _lay_out(max_upload_bytes: int) -> _Parts:
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
        collection = gr.Dropdown(
            label="Collection", choices=[], allow_custom_value=True, elem_id="aqa-pack"
        )
    with gr.Row():
        put = gr.Button("Add to collection")
        take = gr.Button("Take out of collection")
        drop = gr.Button("Remove from library", variant="stop")
    note = gr.HTML(elem_id="aqa-library-note")
    return _Parts(files, into, replace, add, report, picked, collection, put, take, drop, note)
