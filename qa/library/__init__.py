"""The library: the documents and collections of a store, and every act on them (library). The
faces get the store's nouns here too (a `Document`, the kinds of file read), so that they need
not reach into the store."""

from qa.library.library import (
    MAX_UPLOAD_PASSAGES,
    Added,
    Library,
    Removed,
    Reporter,
    Shelf,
    document_files,
)
from vectorstore.catalogue import collection_name
from vectorstore.documents import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, Document

__all__ = [
    "MAX_FILE_BYTES", "MAX_UPLOAD_PASSAGES", "SUPPORTED_SUFFIXES", "Added", "Document",
    "Library", "Removed", "Reporter", "Shelf", "collection_name", "document_files",
]  # fmt: skip
