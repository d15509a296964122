"""The project's own errors: every layer raises these, and every message says what to do next."""


class ArchiveQAError(Exception):
    """Base of every error archive-qa reports to a user."""


class LoadError(ArchiveQAError):
    """A file could not be read as a document."""


class StoreError(ArchiveQAError):
    """The document store could not be opened or written."""


class ModelMismatchError(StoreError):
    """The collection was built with another embedding model than the one in use."""
