"""The project's own errors: every layer raises these, and every message says what to do next."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vectorstore.records import Record


class ArchiveQAError(Exception):
    """Base of every error archive-qa reports to a user."""


class LoadError(ArchiveQAError):
    """A file could not be read as a document."""


class StoreError(ArchiveQAError):
    """The document store could not be opened or written."""


class ModelMismatchError(StoreError):
    """The collection was built with another embedding model than the one in use."""


class DocumentConflictError(StoreError):
    """A different document is already stored under the id a new one would take."""

    def __init__(self, record: Record, stored: Mapping[str, Any]) -> None:
        was = stored.get("source") or "another file"
        super().__init__(
            f"{record.source}: a different document is already stored as {record.id!r} "
            f"(“{stored.get('title', record.id)}”, from {was}). Ask to replace it "
            "(`archive-qa ingest --replace`, `replace=true` in the API, or tick “Replace” on the "
            "page), or rename the file to keep both."
        )
