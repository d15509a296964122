"""Writing to the store: documents in (one, or many at once at the embedding model's speed) and
out, each kept whole through interruptions, and every change told to the catalogue's change log
and the word index. `vectorstore.store.Store` is the door; this is the work behind it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from chromadb.api.models.Collection import Collection
from chromadb.api.types import Where

from vectorstore.catalogue import Catalogue, same_origin, sha, stored_origin
from vectorstore.documents import Document
from vectorstore.encoders import Encoder
from vectorstore.errors import DocumentConflictError
from vectorstore.passages import Passage, document_of, split_document
from vectorstore.rows import get_all
from vectorstore.search import PassageSearch

_log = logging.getLogger(__name__)
# Passages embedded and added to Chroma at a time: each add costs a write, whatever its size.
_ADD_BATCH = 512

Progress = Callable[[int, int], None]
"""Told (done, total) as long work goes on."""


@dataclass(frozen=True)
class IngestResult:
    """What one ingest changed: passages added and removed (both 0 when the file was unchanged)."""

    document_id: str
    title: str
    added: int
    removed: int

    @property
    def unchanged(self) -> bool:
        return self.added == 0 and self.removed == 0


@dataclass(frozen=True)
class _Write:
    """A new version of a document to write: its new passages and the ids of its stale ones."""

    document: Document
    origin: str
    new: list[Passage]
    stale: list[str]


class Writer:
    """Writes one store's documents and passages, holding the writer's lease for each write."""

    def __init__(
        self,
        passage_rows: Collection,
        catalogue: Catalogue,
        encoder: Encoder,
        search: PassageSearch,
        *,
        page: int,
    ) -> None:
        """`passage_rows` is the Chroma collection of the passages; `search` gets its word index
        brought up to date after each write."""
        self._passage_rows, self._catalogue, self._encoder = passage_rows, catalogue, encoder
        self._search, self._page = search, page
        self._lease = catalogue.lease
        # A writer that died holding the lease may have left a batch half-written: the one that
        # takes the lease over finishes or undoes it before its own writes.
        self._lease.after_takeover = self.finish_interrupted

    def ingest_many(
        self,
        documents: Sequence[tuple[Document, str | None]],
        *,
        replace: bool = False,
        progress: Progress | None = None,
    ) -> list[IngestResult | DocumentConflictError]:
        """`Store.ingest_many`."""
        ids = [document.id for document, _ in documents]
        if not ids:
            return []
        if len(set(ids)) != len(ids):
            raise ValueError("ingest_many: two documents with the same id")
        with self._lease.held():
            stored = self._catalogue.stored_metadata(ids)
            old_ids: dict[str, set[str]] = {i: set() for i in ids}
            for passage_id in self._passage_rows.get(where=_of_documents(ids), include=[])["ids"]:
                old_ids[document_of(passage_id)].add(passage_id)
            results: list[IngestResult | DocumentConflictError] = []
            writes: list[_Write] = []
            for document, origin in documents:
                known = stored.get(document.id)
                try:
                    write = _write_for(document, origin, known, old_ids[document.id], replace)
                except DocumentConflictError as exc:
                    results.append(exc)
                    continue
                if write.new or write.stale or not _same_text(known, document):
                    writes.append(write)
                results.append(
                    IngestResult(document.id, document.title, len(write.new), len(write.stale))
                )
            if writes:
                self._write(writes, progress)
        if writes:
            self._catch_up()
        return results

    def _write(self, writes: list[_Write], progress: Progress | None) -> None:
        """Write new versions of documents."""
        changed = [w.document.id for w in writes]
        self._catalogue.mark(changed)
        # New passages and texts first, stale passages last: readers skip a passage whose offsets
        # do not match the text they read, and an interruption is finished from the marks.
        try:
            self._add_passages([p for w in writes for p in w.new], progress)
            self._catalogue.put([(w.document, w.origin) for w in writes])
            stale = [i for w in writes for i in w.stale]
            if stale:
                self._passage_rows.delete(ids=stale)
        except Exception:
            # A failure this process lives through (the embeddings server went away): each
            # document goes back to what it was, which needs no embedding. A crash leaves the
            # marks for the next start (finish_interrupted).
            with contextlib.suppress(Exception):
                for document_id in changed:
                    self._make_whole(document_id)
            raise
        self._catalogue.bump_generation(changed)
        self._catalogue.unmark(changed)

    def delete(self, document_ids: Sequence[str]) -> list[str]:
        """`Store.delete`."""
        deleted = []
        with self._lease.held():
            for document_id in document_ids:
                where: Where = {"document_id": document_id}
                passages = self._passage_rows.get(where=where, include=[])["ids"]
                if passages:
                    self._passage_rows.delete(ids=passages)
                if self._catalogue.remove(document_id) or passages:
                    deleted.append(document_id)
            if deleted:
                self._catalogue.bump_generation(deleted)
        if deleted:
            self._catch_up()
        return deleted

    def _catch_up(self) -> None:
        """Bring the word index up to date after a write, so that the next question (in this
        process, or the next one opening the folder) finds it so. The write stands if this
        fails: every search tries again."""
        try:
            self._search.word_index()
        except Exception:
            _log.exception("the word index could not take in a change; searches will try again")

    # -- keeping documents whole -------------------------------------------------------------

    def finish_interrupted(self) -> list[str]:
        """Make whole, or take out, every document an interrupted ingest left half-written;
        returns their ids. Cheap: it reads the marks ingests leave while they write, and writes
        (holding the lease) only when there are some."""
        if not self._catalogue.marked():
            return []
        with self._lease.held():  # so no mark is of an ingest still at work
            ids = self._catalogue.marked()
            for document_id in ids:
                self._make_whole(document_id)
        return ids

    def verify(self, *, repair: bool = False) -> list[str]:
        """Check every document against its passages; one line per problem found (and, with
        `repair`, fixed). Reads every passage's metadata: seconds for a large library. Holds the
        writer's lease, so that an ingest at work is not taken for a broken one."""
        with self._lease.held():
            marks = self._catalogue.marked()
            rows = get_all(self._passage_rows, include=["metadatas"], page=self._page)
            present: dict[str, set[str]] = {}
            for passage_id, meta in zip(rows["ids"], rows["metadatas"] or [], strict=True):
                present.setdefault(str((meta or {}).get("document_id", "")), set()).add(passage_id)
            documents = {d.id: d for d in self._catalogue.documents()}
            problems = []
            for document_id in sorted(present.keys() | documents.keys()):
                problem = _problem(document_id, documents.get(document_id), present)
                if problem is None:
                    continue
                problems.append(problem)
                if repair:
                    self._make_whole(document_id)
            problems += [f"{m}: an ingest was interrupted" for m in marks]
            if repair:
                self.finish_interrupted()
            return problems

    def _make_whole(self, document_id: str) -> None:
        """Bring a document's passages in line with its stored text (all of them out if it has
        none)."""
        with self._lease.held():
            document = self._catalogue.document(document_id)
            want = {p.id: p for p in split_document(document)} if document else {}
            have = set(
                self._passage_rows.get(where={"document_id": document_id}, include=[])["ids"]
            )
            self._add_passages([want[i] for i in want if i not in have])
            extra = sorted(have - want.keys())
            if extra:
                self._passage_rows.delete(ids=extra)
            self._catalogue.unmark([document_id])
            self._catalogue.bump_generation([document_id])

    def _add_passages(self, passages: list[Passage], progress: Progress | None = None) -> None:
        """Embed and store passages in batches, saying how far it has got. Shortest first: the
        encoder batches texts of nearly the same length together."""
        passages = sorted(passages, key=lambda p: p.end - p.start)
        for first in range(0, len(passages), _ADD_BATCH):
            batch = passages[first : first + _ADD_BATCH]
            texts = [p.text for p in batch]
            self._passage_rows.add(
                ids=[p.id for p in batch],
                embeddings=self._encoder.encode(texts),
                documents=texts,
                metadatas=[_passage_metadata(p) for p in batch],
            )
            self._lease.renew()
            if progress is not None:
                progress(first + len(batch), len(passages))


def _write_for(
    document: Document,
    origin: str | None,
    known: Mapping[str, Any] | None,
    old: set[str],
    replace: bool,
) -> _Write:
    """What writing `document` means, given what is stored of it (`known`: its metadata, `old`:
    its passage ids): its new passages and its stale ones. `DocumentConflictError` when it may
    not replace the stored document of its id: a different text, neither asked to replace it
    (`replace`) nor read from the same file (`origin`)."""
    replacing = known is not None and not _same_text(known, document)
    if replacing and not (replace or same_origin(known or {}, document, origin)):
        raise DocumentConflictError(
            document.source, document.id, stored_title=str((known or {}).get("title", "")),
            stored_from=str((known or {}).get("source") or "another file"),
        )  # fmt: skip
    passages = split_document(document)
    new = [p for p in passages if p.id not in old]
    stale = sorted(old - {p.id for p in passages})
    return _Write(document, origin or stored_origin(known), new, stale)


def _same_text(known: Mapping[str, Any] | None, document: Document) -> bool:
    """Whether the stored document (its metadata `known`) has the text of `document`."""
    return known is not None and known.get("text_sha256") == sha(document.text)


def _problem(
    document_id: str, document: Document | None, present: Mapping[str, set[str]]
) -> str | None:
    """What is wrong with a document's passages (`present`: the stored ones, by document id),
    or None."""
    have = present.get(document_id, set())
    if document is None:
        return f"{document_id}: passages left of a document not stored: {len(have)}"
    want = {p.id for p in split_document(document)}
    if have == want:
        return None
    return (
        f"{document_id}: passages missing: {len(want - have)}, left from another version: "
        f"{len(have - want)}"
    )


def _of_documents(ids: Sequence[str]) -> Where:
    """Chroma's filter for the passages of these documents."""
    return cast(Where, {"document_id": {"$in": list(ids)}})


def _passage_metadata(passage: Passage) -> dict[str, str | int]:
    return {
        "document_id": passage.document_id,
        "section": passage.section,
        "start": passage.start,
        "end": passage.end,
        "title": passage.document.title,
        "date": passage.document.date or "",
    }
