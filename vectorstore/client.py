"""Chroma clients: an embedded store in a folder this process owns (vectorstore.owner), or a
Chroma server; and emptying a store to rebuild it."""

from __future__ import annotations

import contextlib
from pathlib import Path

import chromadb
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings

from vectorstore import owner
from vectorstore.catalogue import COLLECTIONS, DOCUMENTS, NOTES
from vectorstore.errors import StoreError
from vectorstore.store import PASSAGES


def connect(
    *, data_dir: Path | None = None, host: str | None = None, port: int = 8000
) -> ClientAPI:
    """A Chroma client: a server when `host` is given, else a persistent folder."""
    settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if host:
            return chromadb.HttpClient(host=host, port=port, settings=settings)
        if data_dir is None:
            raise StoreError("no data directory given: set ARCHIVE_QA_DATA_DIR or CHROMA_HOST.")
        owner.make_private(data_dir)
        owner.take(data_dir)
        return chromadb.PersistentClient(path=str(data_dir), settings=settings)
    except StoreError:
        raise
    except Exception as exc:
        where = f"the Chroma server at {host}:{port}" if host else f"the store in {data_dir}"
        raise StoreError(
            f"cannot open {where}: {exc}. Check that the server is running, "
            "or that the folder is writable and not in use by another archive-qa process."
        ) from exc


def reset(client: ClientAPI) -> None:
    """Drop every collection (used to rebuild after a model change)."""
    for name in (PASSAGES, DOCUMENTS, COLLECTIONS, NOTES):
        with contextlib.suppress(Exception):  # a missing collection is what we want anyway
            client.delete_collection(name)
