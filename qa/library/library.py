"""The library: every act on the archive's documents and collections, in one place.

The command line, the JSON API and the web page all list, add, group and remove documents through
a `Library`, so a file is refused or accepted the same way everywhere, with the same message. The
types the faces show (`Document`, the supported file kinds) are named here too, so that they need
not reach into the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from vectorstore.catalogue import collection_name
from vectorstore.chunks import CHUNK_CHARS
from vectorstore.documents import (
    MAX_FILE_BYTES,
    SUPPORTED_SUFFIXES,
    Document,
    document_from_bytes,
    load_document,
)
from vectorstore.errors import ArchiveQAError
from vectorstore.store import Progress, Store

__all__ = [
    "MAX_FILE_BYTES",
    "SUPPORTED_SUFFIXES",
    "Added",
    "Document",
    "Library",
    "Report",
    "collection_name",
    "document_files",
    "load_document",
]  # fmt: skip

Status = Literal["added", "updated", "unchanged", "failed"]
Report = Callable[[float, str], None]
"""Told the share of the work done (0 to 1) and what is being done: a progress bar's call."""
_log = logging.getLogger(__name__)
# Passages (roughly) read before a batch of files goes in: the more at once, the fewer writes,
# but the longer before a file is told done. An upload's batches are smaller: it stops at the next
# batch once its sender has gone away (2 s of embedding at most, here).
_BATCH = 512
_UPLOAD_BATCH = 128
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


class Library:
    """The documents and collections of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- reading ---------------------------------------------------------------------------

    def documents(self) -> list[Document]:
        """Every document, by date then title, without its text (a catalogue)."""
        return self.store.catalogue.documents(with_text=False)

    def document(self, document_id: str) -> Document | None:
        """One document with its full text, or None."""
        return self.store.catalogue.document(document_id)

    def documents_by_id(self, ids: Iterable[str]) -> dict[str, Document]:
        return self.store.catalogue.documents_by_id(ids)

    def ids(self) -> list[str]:
        return self.store.catalogue.document_ids()

    def passages(self) -> int:
        """How many passages are indexed."""
        return self.store.chunk_count()

    def collections(self) -> dict[str, list[str]]:
        """Every collection by name, with the ids of its documents."""
        return self.store.catalogue.collections()

    def members(self, name: str) -> list[str]:
        """A collection's documents; an error naming the collections there are if it is none."""
        return self.store.catalogue.members(name)

    # -- adding ----------------------------------------------------------------------------

    def add_file(self, path: Path, *, replace: bool = False) -> Added:
        """Add one file from disk; a new version of a file added before replaces it."""
        return next(self.add_files([path], replace=replace))

    def add_files(self, paths: Iterable[Path], *, replace: bool = False) -> Iterator[Added]:
        """Add files from disk, telling what became of each, in order, as its batch goes in
        (the passages of many files are embedded together, which is faster)."""
        files = ((p.name, partial(load_document, p), str(p.resolve())) for p in paths)
        return self._add(files, replace)

    def add_uploads(
        self,
        uploads: Sequence[tuple[str, bytes]],
        *,
        collection: str | None = None,
        max_bytes: int = MAX_FILE_BYTES,
        replace: bool = False,
        origin: str | None = None,
        report: Report | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> list[Added]:
        """Add uploaded files (name, content), then put the ones that went in into `collection`.

        An upload replaces a stored document with the same id only when `replace` is asked, or
        when it is a new version of the file it came from (`origin`: the path the command line
        sent). `report` hears the share done and what is being done, as the files go in; once
        `stop` says so (the client has gone), the files not yet begun are left out.
        """
        if collection:
            collection = collection_name(collection)  # a bad name is refused before any work
        read = partial(document_from_bytes, max_bytes=max_bytes)
        begun: list[str] = []
        results: list[Added] = []

        def say(share_of_batch: float, doing: str) -> None:
            if report:  # the files told done, and a share of those begun since
                done = len(results) + (len(begun) - len(results)) * share_of_batch
                report(done / len(uploads), doing)

        def files() -> Iterator[tuple[str, Callable[[], Document], str | None]]:
            for i, (name, raw) in enumerate(uploads):
                if stop():
                    _log.info("upload stopped before %s: the client went away", name)
                    return
                say(0, f"Reading {name} ({i + 1} of {len(uploads)})")
                begun.append(name)
                yield name, partial(read, raw, name), origin

        def progress(done: int, total: int) -> None:
            say(done / max(total, 1), f"Indexing: {done} of {total} passages")

        for added in self._add(files(), replace, progress, size=_UPLOAD_BATCH, stop=stop):
            results.append(added)  # `say` counts them as they come
        results += [Added(file=n, status="failed", error=_GONE) for n, _ in uploads[len(begun) :]]
        self.finish_adding(results, collection)
        return results

    def finish_adding(self, results: Sequence[Added], collection: str | None) -> list[str]:
        """After adding: the documents that went in join `collection` (its members returned),
        and the word index is brought up to date so the next question finds them."""
        added = [r.document_id for r in results if r.document_id]
        members = (
            self.store.catalogue.add_to_collection(collection, added)
            if collection and added
            else []
        )
        self.store.search.word_index()
        return members

    def _add(
        self,
        files: Iterable[tuple[str, Callable[[], Document], str | None]],
        replace: bool,
        progress: Progress | None = None,
        *,
        size: int = _BATCH,
        stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[Added]:
        """Read each file (name, reader, origin) and add it, in batches of about `size`
        passages, none once `stop` says so; a file that cannot be used is reported, not raised,
        so one bad file never stops the rest."""
        add_batch = partial(self._add_batch, replace=replace, progress=progress, stop=stop)
        batch: list[tuple[str, Document | Added, str | None]] = []
        passages = 0
        for name, read, origin in files:
            item = _read(name, read)
            if isinstance(item, Document) and any(
                isinstance(r, Document) and r.id == item.id for _, r, _ in batch
            ):
                yield from add_batch(batch)  # the later one replaces
                batch, passages = [], 0
            batch.append((name, item, origin))
            passages += len(item.text) // CHUNK_CHARS + 1 if isinstance(item, Document) else 0
            if passages >= size:
                yield from add_batch(batch)
                batch, passages = [], 0
        yield from add_batch(batch)

    def _add_batch(
        self,
        batch: list[tuple[str, Document | Added, str | None]],
        *,
        replace: bool,
        progress: Progress | None,
        stop: Callable[[], bool],
    ) -> list[Added]:
        """What became of each file of a batch, in order, once its readable records are in."""
        if stop():
            _log.info("upload stopped before %d files: the client went away", len(batch))
            return _failed(batch, _GONE)
        documents = [(r, origin) for _, r, origin in batch if isinstance(r, Document)]
        try:
            stored = iter(self.store.ingest_many(documents, replace=replace, progress=progress))
        except ArchiveQAError as exc:
            return _failed(batch, str(exc))
        results = []
        for name, item, _ in batch:
            if isinstance(item, Added):
                results.append(item)
                continue
            result = next(stored)
            if isinstance(result, ArchiveQAError):
                results.append(Added(file=name, status="failed", error=str(result)))
                continue
            status: Status = (
                "unchanged" if result.unchanged else "updated" if result.removed else "added"
            )
            results.append(
                Added(file=name, status=status, document_id=result.document_id, title=result.title)
            )
        return results

    # -- changing --------------------------------------------------------------------------

    def remove(self, document_ids: Iterable[str]) -> list[str]:
        """Take documents out of the library (and so out of every collection); returns the ids
        that were not there."""
        missing = [i for i in document_ids if not self.store.delete(i)]
        self.store.search.word_index()
        return missing

    def put_in_collection(self, name: str, document_ids: Iterable[str]) -> list[str]:
        """Put documents in a collection, creating it; returns its members."""
        return self.store.catalogue.add_to_collection(name, document_ids)

    def take_out_of_collection(self, name: str, document_ids: Iterable[str] | None) -> list[str]:
        """Take documents out of a collection (returns the rest), or delete it when
        `document_ids` is None (its documents stay)."""
        return self.store.catalogue.remove_from_collection(name, document_ids)

    def verify(self, *, repair: bool = False) -> list[str]:
        """Every document checked against its passages; one line per problem."""
        return self.store.verify(repair=repair)


def document_files(paths: Iterable[Path]) -> list[Path]:
    """The files to add for `paths`: each file as it is, and each folder's documents (the kinds
    archive-qa reads, in all its subfolders, hidden ones left out) in name order."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        found += sorted(
            p
            for p in path.rglob("*")
            if p.suffix.lower() in SUPPORTED_SUFFIXES
            and p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
    return found


def _failed(batch: list[tuple[str, Document | Added, str | None]], error: str) -> list[Added]:
    """A batch that did not go in: each file failed with `error`, or with its own reason when
    it could not even be read."""
    return [
        item if isinstance(item, Added) else Added(file=name, status="failed", error=error)
        for name, item, _ in batch
    ]


def _read(name: str, read: Callable[[], Document]) -> Document | Added:
    """The record a file holds, or what went wrong reading it."""
    try:
        return read()
    except ArchiveQAError as exc:
        return Added(file=name, status="failed", error=str(exc))
    except Exception:  # a reader library's own failure on a strange file
        _log.exception("reading %s failed", name)
        return Added(file=name, status="failed", error=f"{name} could not be read: {_UNREADABLE}")
