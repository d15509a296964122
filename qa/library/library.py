"""The library: every act on the archive's documents and collections, in one place.

The command line, the JSON API and the web page all list, add, group and remove documents through
a `Library`, so a file is refused or accepted the same way everywhere, with the same message. Its
verbs are the store's; what it adds is reading files (from disk or uploaded) in batches, telling
what became of each, and filing them in a collection as they go in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel

from vectorstore.catalogue import collection_name
from vectorstore.documents import (
    MAX_FILE_BYTES,
    SUPPORTED_SUFFIXES,
    Document,
    document_from_bytes,
    load_document,
)
from vectorstore.errors import ArchiveQAError, LoadError, StoreError
from vectorstore.passages import PASSAGE_CHARS, split_document
from vectorstore.privacy import claim, own_id, privacy_of, private_place, release
from vectorstore.store import IngestResult, Store

Status = Literal["added", "updated", "unchanged", "failed"]
Reporter = Callable[[float, str], None]
"""Told the share of the work done (0 to 1) and what is being done: a progress bar's call."""
_log = logging.getLogger(__name__)
# Passages (roughly) read before a batch of files goes in: the more at once, the fewer writes,
# but the longer before a file is told done. An upload's batches are smaller: it stops at the next
# batch once its sender has gone away (2 s of embedding at most, here).
_BATCH = 512
_UPLOAD_BATCH = 128
MAX_UPLOAD_PASSAGES = 3_000
"""The most passages one uploaded file may make: about 1 MB of text, under a minute of the
embedding model on two cores. Bytes alone do not bound the work (a PDF of pictures is large and
quick; a file of short lines is small and slow)."""
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


@dataclass(frozen=True)
class Removed:
    """What a removal did: the documents taken out, and the ids asked for that were not there."""

    ids: list[str]
    missing: list[str]


@dataclass(frozen=True)
class Incoming:
    """A file to add: its name, how to read it, and the path it was read from (so that a new
    version of the same file replaces the old one), if known."""

    name: str
    read: Callable[[], Document]
    origin: str | None = None


def _never() -> bool:
    return False


class Shelf(Protocol):
    """What the command line adds files through: a `Library` in this process, or the server that
    has the store open (ui.remote.RemoteArchive)."""

    def add_files(
        self, paths: Iterable[Path], *, collection: str | None = None, replace: bool = False
    ) -> Iterator[Added]:
        """Add files from disk, telling what became of each as it goes in."""
        ...

    def members(self, name: str) -> list[str]:
        """A collection's documents."""
        ...

    def holdings(self) -> str:
        """What it holds now, in a few words (said at the end of an ingest)."""
        ...


class Library:
    """The documents and collections of one store, as one reader sees them: a reader of no
    private collection (a course's, vectorstore.privacy), who never sees their own documents,
    or a member of one, who sees that collection alone and adds only to it."""

    def __init__(self, store: Store, *, member_of: str | None = None) -> None:
        self.store = store
        self.member_of = member_of
        """The private collection its reader is a member of (None: of none)."""

    def for_members_of(self, collection: str) -> Library:
        """This library as a member of the private collection `collection` sees it."""
        return Library(self.store, member_of=collection)

    def private_place(self, key: str, title: str, *, make: bool) -> str | None:
        """The private collection kept for the outside `key` (a course), made and named after
        `title` if it is new and `make` is asked (vectorstore.privacy.private_place)."""
        return private_place(self.store, key, title, make=make)

    # -- reading ---------------------------------------------------------------------------

    def documents(self) -> list[Document]:
        """Every document, by date then title, without its text (a catalogue)."""
        seen = self._seen()
        return [d for d in self.store.documents(with_text=False) if seen(d.id)]

    def document(self, document_id: str) -> Document | None:
        """One document with its full text, or None."""
        return self.store.document(document_id) if self._seen()(document_id) else None

    def documents_by_id(self, ids: Iterable[str]) -> dict[str, Document]:
        """Those of these documents that are stored, by id, with their texts."""
        seen = self._seen()
        return self.store.documents_by_id(i for i in ids if seen(i))

    def document_ids(self) -> list[str]:
        """The id of every document."""
        seen = self._seen()
        return [i for i in self.store.document_ids() if seen(i)]

    def passage_count(self) -> int:
        """How many passages the documents make."""
        return self.store.passage_count()

    def holdings(self) -> str:
        return f"{self.passage_count()} passages indexed."

    def collections(self) -> dict[str, list[str]]:
        """Every collection by name, with the ids of its documents (a member's, their own)."""
        privacy = privacy_of(self.store)
        if self.member_of is not None:
            return {self.member_of: privacy.members(self.store, self.member_of, self.member_of)}
        hidden = privacy.hidden_from(None)
        return {
            name: [i for i in ids if i not in hidden]
            for name, ids in self.store.collections().items()
            if name not in privacy.collections
        }

    def members(self, name: str) -> list[str]:
        """A collection's documents; an error naming the collections there are if it is none."""
        return privacy_of(self.store).members(self.store, name, self.member_of)

    def is_own(self, document_id: str) -> bool:
        """Whether a document is this reader's private collection's own (added through it),
        not one of the shared library's."""
        owner = privacy_of(self.store).owner_of(document_id)
        return self.member_of is not None and owner == self.member_of

    def known_as(self, collection: str) -> str:
        """`collection`, unless it is a private collection this reader is not a member of: then
        a `StoreError`, saying there is no such collection, as for one that does not exist."""
        if collection in privacy_of(self.store).collections:
            self.members(collection)
        return collection

    def _seen(self) -> Callable[[str], bool]:
        """Whether this reader may see a document, by id."""
        if self.member_of is not None:
            return set(self.members(self.member_of)).__contains__
        hidden = privacy_of(self.store).hidden_from(None)
        return lambda document_id: document_id not in hidden

    # -- adding ----------------------------------------------------------------------------

    def add(
        self,
        files: Sequence[Incoming],
        *,
        collection: str | None = None,
        replace: bool = False,
        report: Reporter | None = None,
        stop: Callable[[], bool] = _never,
        batch: int = _BATCH,
    ) -> Iterator[Added]:
        """Add files, telling what became of each, in order, as its batch goes in (files of about
        `batch` passages in all are embedded together, which is faster); the documents of each
        batch join `collection` as soon as they are in. A file that cannot be used is reported,
        never raised, so one bad file never stops the rest.

        A new version of a file added before replaces it (`Incoming.origin`), and so does any
        file with the id of a stored document when `replace` is asked. `report` hears the share
        done and what is being done; once `stop` says so (the sender has gone away), the files
        not yet begun are told that they were not added.
        """
        collection = self.member_of or collection  # a member's files go into their own
        if collection:
            collection = self._into(collection)  # a bad name is refused before any work
        into = partial(self._add_batch, replace=replace, collection=collection, stop=stop)
        tell = _Teller(len(files), report)
        pending: list[tuple[Incoming, Document | Added]] = []
        passages = 0  # about how many the readable documents of `pending` make
        for i, file in enumerate(files):
            if stop():
                _log.info("adding stopped before %s: its sender went away", file.name)
                break
            tell.reading(file.name, i)
            item = self._own(_load(file))
            if isinstance(item, Document) and _holds(pending, item.id):
                yield from tell.done(into(pending, progress=tell.indexing))  # the later replaces
                pending, passages = [], 0
            pending.append((file, item))
            passages += len(item.text) // PASSAGE_CHARS + 1 if isinstance(item, Document) else 0
            if passages >= batch:
                yield from tell.done(into(pending, progress=tell.indexing))
                pending, passages = [], 0
        yield from tell.done(into(pending, progress=tell.indexing))
        for file in files[tell.begun :]:
            yield Added(file=file.name, status="failed", error=_GONE)

    def add_files(
        self, paths: Iterable[Path], *, collection: str | None = None, replace: bool = False
    ) -> Iterator[Added]:
        """`add` for files on disk (the command line's)."""
        files = [Incoming(p.name, partial(load_document, p), str(p.resolve())) for p in paths]
        return self.add(files, collection=collection, replace=replace)

    def add_uploads(
        self,
        uploads: Sequence[tuple[str, bytes]],
        *,
        collection: str | None = None,
        max_bytes: int = MAX_FILE_BYTES,
        max_passages: int = MAX_UPLOAD_PASSAGES,
        replace: bool = False,
        origin: str | None = None,
        added_by: str | None = None,
        report: Reporter | None = None,
        stop: Callable[[], bool] = _never,
    ) -> list[Added]:
        """`add` for uploaded files (name, content), each at most `max_bytes` and making at
        most `max_passages` passages, marked as `added_by` (who sent them, where known).
        `origin` is the path the command line sent a file from (for one file only)."""
        read = partial(_uploaded, max_bytes=max_bytes, max_passages=max_passages, by=added_by)
        files = [Incoming(name, partial(read, raw, name), origin) for name, raw in uploads]
        added = self.add(
            files, collection=collection, replace=replace, report=report, stop=stop,
            batch=_UPLOAD_BATCH,
        )  # fmt: skip
        return list(added)

    def _add_batch(
        self,
        pending: list[tuple[Incoming, Document | Added]],
        *,
        replace: bool,
        collection: str | None,
        stop: Callable[[], bool],
        progress: Callable[[int, int], None],
    ) -> list[Added]:
        """What became of each file of a batch, in order, once its readable documents are in
        (and in `collection`)."""
        if not pending:
            return []
        if stop():
            _log.info("adding stopped before %d files: their sender went away", len(pending))
            return _failed(pending, _GONE)
        pending = self._unclaimed(pending)
        documents = [(d, file.origin) for file, d in pending if isinstance(d, Document)]
        claimed = [d.id for d, _ in documents]
        if self.member_of is not None:  # the collection's own, before anyone could see them
            claim(self.store, claimed, self.member_of)
        try:
            stored = iter(self.store.ingest_many(documents, replace=replace, progress=progress))
        except ArchiveQAError as exc:
            return _failed(pending, str(exc))
        finally:
            self._unclaim(claimed)
        results = [
            item if isinstance(item, Added) else _told(file.name, next(stored))
            for file, item in pending
        ]
        went_in = [r.document_id for r in results if r.document_id]
        if collection and went_in:
            self.store.add_to_collection(collection, went_in)
        return results

    # -- changing --------------------------------------------------------------------------

    def remove(self, document_ids: Iterable[str]) -> Removed:
        """Take documents out of the library (and so out of every collection). A member of a
        private collection takes them out of it: its own documents leave the library, those of
        the shared library stay there."""
        asked = list(dict.fromkeys(document_ids))
        seen = self._seen()
        found = [i for i in asked if seen(i)]
        if self.member_of is None:
            removed = self.store.delete(*found)
        else:
            privacy = privacy_of(self.store)
            self.store.remove_from_collection(self.member_of, found)
            own = [i for i in found if privacy.owner_of(i) == self.member_of]
            release(self.store, self.store.delete(*own), self.member_of)  # gone, then released
            removed = found
        return Removed(removed, [i for i in asked if i not in removed])

    def add_to_collection(self, name: str, document_ids: Iterable[str]) -> list[str]:
        """Put documents in a collection, creating it; returns its members."""
        name = self._into(name)
        wanted = list(document_ids)
        # From the shared library or this reader's own; another course's are not there at all.
        hidden = [i for i in wanted if i in privacy_of(self.store).hidden_from(self.member_of)]
        if hidden:
            raise StoreError(f"no document {', '.join(map(repr, hidden))}: see the document list.")
        return self.store.add_to_collection(name, wanted)

    def remove_from_collection(
        self, name: str, document_ids: Iterable[str] | None = None
    ) -> list[str]:
        """Take documents out of a collection (returns the rest), or delete it when
        `document_ids` is None (its documents stay)."""
        name = self._into(name)
        if self.member_of is not None and document_ids is None:
            raise StoreError("a course's collection is not deleted from the course.")
        return self.store.remove_from_collection(name, document_ids)

    def _into(self, collection: str) -> str:
        """The collection named `collection`, if this reader may change it: a member changes
        their private collection alone, and no one else changes it (nor learns it is there)."""
        collection = self.known_as(collection_name(collection))
        if self.member_of is not None and collection != self.member_of:
            raise StoreError(f"a course changes its own collection alone ({self.member_of!r}).")
        return collection

    def _unclaim(self, claimed: list[str]) -> None:
        """Release the claims of the documents that did not go in."""
        if self.member_of is not None and claimed:
            kept = set(self.store.document_ids())
            release(self.store, [i for i in claimed if i not in kept], self.member_of)

    def _own(self, item: Document | Added) -> Document | Added:
        """A document added by a member of a private collection, under the collection's own id
        for it (vectorstore.privacy.own_id)."""
        if self.member_of is None or not isinstance(item, Document):
            return item
        return replace(item, id=own_id(self.member_of, item.id))

    def _unclaimed(
        self, pending: list[tuple[Incoming, Document | Added]]
    ) -> list[tuple[Incoming, Document | Added]]:
        """The batch, with each document whose id another course's private document holds
        turned away (never replaced, never named)."""
        hidden = privacy_of(self.store).hidden_from(self.member_of)
        taken = [
            _taken(file.name) if isinstance(item, Document) and item.id in hidden else item
            for file, item in pending
        ]
        return [(file, item) for (file, _), item in zip(pending, taken, strict=True)]

    def verify(self, *, repair: bool = False) -> list[str]:
        """Every document checked against its passages; one line per problem."""
        return self.store.verify(repair=repair)


class _Teller:
    """Tells `report` how far adding `total` files has got: the files told done, and a share of
    those begun since as their batch is indexed."""

    def __init__(self, total: int, report: Reporter | None) -> None:
        self._total, self._report = total, report
        self.begun = 0
        self._done = 0

    def reading(self, name: str, i: int) -> None:
        self._say(0.0, f"Reading {name} ({i + 1} of {self._total})")
        self.begun += 1

    def indexing(self, done: int, total: int) -> None:
        self._say(done / max(total, 1), f"Indexing: {done} of {total} passages")

    def done(self, results: list[Added]) -> list[Added]:
        self._done += len(results)
        return results

    def _say(self, share_of_batch: float, doing: str) -> None:
        if self._report:
            share = self._done + (self.begun - self._done) * share_of_batch
            self._report(share / max(self._total, 1), doing)


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


def _taken(name: str) -> Added:
    error = "its id is taken by a document of a course: give it another archive URL or file name."
    return Added(file=name, status="failed", error=error)


def _holds(pending: list[tuple[Incoming, Document | Added]], document_id: str) -> bool:
    return any(isinstance(d, Document) and d.id == document_id for _, d in pending)


def _told(name: str, result: IngestResult | ArchiveQAError) -> Added:
    """What became of a file, as the store says."""
    if isinstance(result, ArchiveQAError):
        return Added(file=name, status="failed", error=str(result))
    status: Status = "unchanged" if result.unchanged else "updated" if result.removed else "added"
    return Added(file=name, status=status, document_id=result.document_id, title=result.title)


def _failed(pending: list[tuple[Incoming, Document | Added]], error: str) -> list[Added]:
    """A batch that did not go in: each file failed with `error`, or with its own reason when
    it could not even be read."""
    return [
        item if isinstance(item, Added) else Added(file=file.name, status="failed", error=error)
        for file, item in pending
    ]


def _load(file: Incoming) -> Document | Added:
    """The document a file holds, or what went wrong reading it."""
    try:
        return file.read()
    except ArchiveQAError as exc:
        return Added(file=file.name, status="failed", error=str(exc))
    except Exception:  # a reader library's own failure on a strange file
        _log.exception("reading %s failed", file.name)
        return Added(
            file=file.name, status="failed", error=f"{file.name} could not be read: {_UNREADABLE}"
        )


def _uploaded(
    raw: bytes, name: str, *, max_bytes: int, max_passages: int, by: str | None
) -> Document:
    """An uploaded file as a document marked with who sent it, refused when it would cost more
    than one upload may."""
    document = replace(document_from_bytes(raw, name, max_bytes=max_bytes), added_by=by)
    made = len(split_document(document))
    if made > max_passages:
        raise LoadError(
            f"{name} would make {made:,} passages, more than one upload may ({max_passages:,}, "
            "about a minute of the server's work): split it into smaller files, or have the "
            "server's administrator add it with `archive-qa ingest`."
        )
    return document
