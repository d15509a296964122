"""The library: adding documents (files or uploads), one result per file, and removing them.

The CLI, the JSON API and the web page all add documents through `add_document`, so a file is
refused or accepted the same way everywhere, with the same message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Literal

from pydantic import BaseModel

from vectorstore.errors import ArchiveQAError
from vectorstore.records import MAX_FILE_BYTES, Record, record_from_bytes
from vectorstore.store import Store, collection_name

Status = Literal["added", "updated", "unchanged", "failed"]


class Added(BaseModel):
    """What became of one file."""

    file: str
    status: Status
    document_id: str | None = None
    title: str | None = None
    error: str | None = None


def add_document(store: Store, name: str, read: Callable[[], Record]) -> Added:
    """Read one document with `read` and add (or update) it; a file that cannot be used is
    reported, not raised, so one bad file never stops the rest."""
    try:
        result = store.ingest(read())
    except ArchiveQAError as exc:
        return Added(file=name, status="failed", error=str(exc))
    status: Status = "unchanged" if result.unchanged else "updated" if result.removed else "added"
    return Added(file=name, status=status, document_id=result.document_id, title=result.title)


def add_uploads(
    store: Store,
    uploads: Iterable[tuple[str, bytes]],
    *,
    collection: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> list[Added]:
    """Add uploaded files (name, content), then put the ones that went in into `collection`."""
    if collection:
        collection = collection_name(collection)  # a bad name is refused before any work
    results = [
        add_document(store, name, partial(record_from_bytes, raw, name, max_bytes=max_bytes))
        for name, raw in uploads
    ]
    added = [r.document_id for r in results if r.document_id]
    if collection and added:
        store.add_to_collection(collection, added)
    store.sync_word_index()
    return results


def remove_documents(store: Store, document_ids: Iterable[str]) -> list[str]:
    """Take documents out of the library (and so out of every collection); returns the ids that
    were not there."""
    missing = [i for i in document_ids if not store.delete(i)]
    store.sync_word_index()
    return missing
