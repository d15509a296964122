"""The project's own errors, every one of them: every layer raises these, and every message says
what happened and what to do next.

    ArchiveQAError              anything archive-qa reports to a user           HTTP 400
    ├── LoadError               a file cannot be read as a document              (per file)
    ├── StoreError              the store cannot be opened or written            HTTP 400
    │   ├── ModelMismatchError  the index was built with another embedding model
    │   ├── DocumentConflictError  another document holds the id                 (per file)
    │   └── FolderInUseError    another process owns the store's folder
    ├── QuestionError           the question cannot be asked as given            HTTP 400
    ├── NotFoundError           no such document, collection or job              HTTP 404
    ├── ReadOnlyError           a library change asked of a read-only server     HTTP 403
    ├── BusyError               every slot for model answers is taken            HTTP 503
    ├── LaunchError             a course site's LTI launch cannot be let in      (a 400 page)
    └── ModelServerError        the local language model cannot be served        (at start)

The command line prints one as a line of its own and exits 1; the page shows it where the action
was; the API answers with the status above (ui/api.py maps them, in one place) and
``{"error": message}``. A file's LoadError or DocumentConflictError is reported in that file's
result, so one bad file never stops the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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

    def __init__(
        self, source: str, document_id: str, *, stored_title: str, stored_from: str
    ) -> None:
        super().__init__(
            f"{source}: a different document is already stored as {document_id!r} "
            f"(“{stored_title}”, from {stored_from}). Ask to replace it "
            "(`archive-qa ingest --replace`, `replace=true` in the API, or tick “Replace” on the "
            "page), or rename the file to keep both."
        )


@dataclass(frozen=True)
class Owner:
    """The process that holds a store's folder: its pid, its command, and its address and admin
    token if it is a server (vectorstore.owner)."""

    pid: int | None
    command: str
    url: str | None = None
    token: str | None = None


class FolderInUseError(StoreError):
    """Another process owns the store's folder (vectorstore.owner)."""

    def __init__(self, folder: Path, owner: Owner) -> None:
        self.folder, self.owner = folder, owner
        who = f"`{owner.command}` (pid {owner.pid})" if owner.pid else "another archive-qa process"
        if owner.url:
            what = (
                f"the store in {folder} is open in {who} at {owner.url}: add and remove documents "
                "there (its page or API; `archive-qa ingest` and `ask` go through it by "
                "themselves), or stop it first."
            )
        else:
            what = (
                f"the store in {folder} is in use by {who}: wait for it to finish, then run this "
                "again."
            )
        super().__init__(
            f"{what} One process at a time may open an embedded store; for several, run a Chroma "
            "server and set CHROMA_HOST (see the README)."
        )


class QuestionError(ArchiveQAError):
    """The question cannot be asked as given."""


class NotFoundError(ArchiveQAError):
    """No such document, collection or job."""


class ReadOnlyError(ArchiveQAError):
    """A library change asked of a read-only server."""


class BusyError(ArchiveQAError):
    """The server is answering as many questions with its model as it may at once."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds after which a slot is likely free."""


class LaunchError(ArchiveQAError):
    """A course site's LTI 1.3 login or launch that cannot be let in (ui/lti.py)."""


class GradebookError(ArchiveQAError):
    """A course site's gradebook did not take a score (ui/grades.py): the score waits."""


class ModelServerError(ArchiveQAError):
    """The local language model (ARCHIVE_QA_LOCAL_MODEL) cannot be served."""
