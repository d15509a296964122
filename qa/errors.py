"""The project's errors as the faces (ui) meet them. vectorstore/errors.py defines every one of
them, with the overview; this module only names them here, so that ui does not reach into the
store."""

from vectorstore.errors import (
    ArchiveQAError,
    BusyError,
    DocumentConflictError,
    FolderInUseError,
    GradebookError,
    LaunchError,
    LoadError,
    ModelMismatchError,
    ModelServerError,
    NotFoundError,
    QuestionError,
    ReadOnlyError,
    StoreError,
)

__all__ = [
    "ArchiveQAError", "BusyError", "DocumentConflictError", "FolderInUseError", "GradebookError",
    "LaunchError",
    "LoadError", "ModelMismatchError", "ModelServerError", "NotFoundError", "QuestionError",
    "ReadOnlyError", "StoreError",
]  # fmt: skip
