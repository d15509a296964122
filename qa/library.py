"""The library: adding documents (files or uploads), one result per file, and removing them.

The CLI, the JSON API and the web page all add documents through `add_document`, so a file is
refused or accepted the same way everywhere, with the same message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Literal

from pydantic import BaseModel

from vectorstore.errors import ArchiveQAError
from vectorstore.records import MAX_FILE_BYTES, Record, record_from_bytes
from vectorstore.store import Progress, Store, collection_name

Status = Literal["added", "updated", "unchanged", "failed"]
Report = Callable[[float, str], None]
"""Told the share of the work done (0 to 1) and what is being done: a progress bar's call."""
_log = logging.getLogger(__name__)
_GONE = "not added: the upload was stopped when its sender went away."
_UNREADABLE = (
    "it is damaged, encrypted in a way archive-qa cannot open, or too complex to unpack. "
    "Save or export it again (as plain text if you can) and add it again."
)


class Added(BaseModel):
    """What became of one file."""

    file: str
    status: Status
    document_id: str | None = None
    title: str | None = None
    error: str | None = None


def add_document(
    store: Store,
    name: str,
    read: Callable[[], Record],
    *,
    origin: str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
) -> Added:
    """Read one document with `read` and add it, or update it when it comes from the same file
    (`origin`) or `replace` is asked; a file that cannot be used is reported, not raised, so one
    bad file never stops the rest. `progress` hears how many of its passages are embedded."""
    try:
        result = store.ingest(read(), origin=origin, replace=replace, progress=progress)
    except ArchiveQAError as exc:
        return Added(file=name, status="failed", error=str(exc))
    except Exception:  # a reader library's own failure on a strange file
        _log.exception("reading %s failed", name)
        return Added(file=name, status="failed", error=f"{name} could not be read: {_UNREADABLE}")
    status: Status = "unchanged" if result.unchanged else "updated" if result.removed else "added"
    return Added(file=name, status=status, document_id=result.document_id, title=result.title)


def add_uploads(
    store: Store,
    uploads: Iterable[tuple[str, bytes]],
    *,
    collection: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    replace: bool = False,
    origin: str | None = None,
    report: Report | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> list[Added]:
    """Add uploaded files (name, content), then put the ones that went in into `collection`.
    An upload replaces a stored document with the same id only when `replace` is asked, or when
    it is a new version of the file it came from (`origin`: the path the command line sent).
    `report` hears the share done and what is being done, as the files go in; once `stop` says
    so (the client has gone), the files not yet begun are left out."""
    if collection:
        collection = collection_name(collection)  # a bad name is refused before any work
    read = partial(record_from_bytes, max_bytes=max_bytes)
    files = list(uploads)
    results = []
    for i, (name, raw) in enumerate(files):
        if stop():
            _log.info("upload stopped before %s: the client went away", name)
            results += [Added(file=n, status="failed", error=_GONE) for n, _ in files[i:]]
            break
        progress = _progress(report, name, i, len(files)) if report else None
        one = partial(read, raw, name)
        results.append(
            add_document(store, name, one, origin=origin, replace=replace, progress=progress)
        )
    added = [r.document_id for r in results if r.document_id]
    if collection and added:
        store.add_to_collection(collection, added)
    store.sync_word_index()
    return results


def _progress(report: Report, name: str, index: int, files: int) -> Progress:
    """A file's passage counts as a share of the whole upload, for `report`."""

    def progress(done: int, total: int) -> None:
        report((index + done / max(total, 1)) / files, f"{name}: {done} of {total} passages")

    report(index / files, f"Reading {name} ({index + 1} of {files})")
    return progress


def remove_documents(store: Store, document_ids: Iterable[str]) -> list[str]:
    """Take documents out of the library (and so out of every collection); returns the ids that
    were not there."""
    missing = [i for i in document_ids if not store.delete(i)]
    store.sync_word_index()
    return missing
