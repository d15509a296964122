"""The catalogue: each document's full text and metadata, the collections, and the
store's bookkeeping (a change counter, marks of ingests at work, the writer's lease).

Three Chroma collections beside the passages: ``archive_qa_documents`` (each document's text and
metadata, so any quote can be checked and shown in context, and the bookkeeping rows),
``archive_qa_course_packs`` (named groups of documents: collections) and ``archive_qa_notes``
(text kept for the layers above, by key: a teacher's edits of study materials). All live in
Chroma, so app replicas sharing a Chroma server share them; Chroma serves here as a key-value
store, looked up by id only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any, cast

from chromadb.api import ClientAPI
from chromadb.api.types import Where

from vectorstore.documents import Document, Section
from vectorstore.errors import StoreError
from vectorstore.lease import WriterLease
from vectorstore.remembered import Kept
from vectorstore.rows import PAGE, get_all, put_row, put_rows

DOCUMENTS = "archive_qa_documents"
NOTES = "archive_qa_notes"
COLLECTIONS = (
    "archive_qa_course_packs"  # the name it was first stored under, kept for stores made then
)
# A collection's name: what a person types, within reason.
_COLLECTION_NAME = re.compile(r"[\w][\w .,:()'&+-]{0,59}")
# A row of the documents collection that is not a document: the store's change counter.
_GENERATION = "__archive_qa_generation__"
# Rows logging which documents each change touched, by generation after this prefix, and how many
# of the latest are kept.
_CHANGE = "__archive_qa_change__:"
_CHANGES_KEPT = 1000
# Rows marking documents an ingest is writing, by id after this prefix (Store.finish_interrupted).
_MARK = "__archive_qa_writing__:"
_MARKED = {"mark": True}  # a mark's metadata
# Every row of the documents collection that is not a document starts so (document ids cannot).
_INTERNAL = "__archive_qa_"


class Catalogue:
    """Documents, collections and bookkeeping rows of one store."""

    def __init__(self, client: ClientAPI, *, page: int = PAGE) -> None:
        """The catalogue of the store `client` opens; whole collections are got `page` rows at a
        time."""
        self._page = page
        self._documents = client.get_or_create_collection(DOCUMENTS, embedding_function=None)
        self._collections = client.get_or_create_collection(COLLECTIONS, embedding_function=None)
        self._notes = client.get_or_create_collection(NOTES, embedding_function=None)
        # One write at a time: in this process (a server ingests uploads on several threads),
        # and among the processes sharing the store (replicas of a Chroma server).
        self.lease = WriterLease(self._documents)
        """Held by every write (vectorstore.lease)."""
        self._listing: Kept[tuple[Document, ...]] = Kept(1)  # by change counter

    # -- documents -------------------------------------------------------------------------

    def put(self, documents: Sequence[tuple[Document, str]]) -> None:
        """Store documents (replacing any version of them), each read from its origin (a path, or
        "")."""
        put_rows(
            self._documents, [document.id for document, _ in documents],
            documents=[document.text for document, _ in documents],
            metadatas=[_document_metadata(document, origin) for document, origin in documents],
        )  # fmt: skip

    def remove(self, document_id: str) -> bool:
        """Take a document (and any mark of it) out; whether it was there."""
        had = bool(self._documents.get(ids=[document_id], include=[])["ids"])
        self._documents.delete(ids=[document_id, _MARK + document_id])
        return had

    def stored_metadata(self, document_ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        """The metadata of each of these documents that is stored, by id."""
        rows = self._documents.get(ids=list(document_ids), include=["metadatas"])
        return {i: m or {} for i, m in zip(rows["ids"], rows["metadatas"] or [], strict=True)}

    def documents(self, *, with_text: bool = True) -> list[Document]:
        """Every stored document, ordered by date then title; `with_text=False` leaves texts empty
        (a catalogue of a large collection without loading every document), and is listed again
        only after a change: "Who signed the telegram?" lists the whole library, 1.8 s of
        10,661 documents' rows here (kept, they take 30 MB)."""
        if with_text:
            return self._documents_as_stored(with_text=True)
        # The counter is read first: a change made while listing is seen next time.
        listing = self._listing.get(
            self.generation(), lambda: tuple(self._documents_as_stored(with_text=False))
        )
        return list(listing)

    def _documents_as_stored(self, *, with_text: bool) -> list[Document]:
        include = ["documents", "metadatas"] if with_text else ["metadatas"]
        rows = get_all(self._documents, include=include, page=self._page)
        metas = rows["metadatas"] or []
        texts = rows["documents"] if with_text and rows["documents"] else [""] * len(metas)
        found = [
            _document_from_row(i, text or "", meta or {})
            for i, text, meta in zip(rows["ids"], texts, metas, strict=True)
            if not i.startswith(_INTERNAL)
        ]
        return sorted(found, key=lambda r: (r.date or "9999", r.title))

    def dated_between(self, since: str | None, until: str | None) -> set[str]:
        """Ids of the documents dated within [since, until] (ISO dates; either end may be open)."""
        rows = get_all(self._documents, include=["metadatas"], page=self._page)
        return {
            i
            for i, m in zip(rows["ids"], rows["metadatas"] or [], strict=True)
            if not i.startswith(_INTERNAL)
            and (date := str((m or {}).get("date") or ""))
            and (since is None or date >= since)
            and (until is None or date[: len(until)] <= until)
        }

    def document_ids(self) -> list[str]:
        """The id of every stored document."""
        return sorted(
            i
            for i in get_all(self._documents, include=[], page=self._page)["ids"]
            if not i.startswith(_INTERNAL)
        )

    def document(self, document_id: str) -> Document | None:
        """One stored document with its full text, or None."""
        return self.documents_by_id([document_id]).get(document_id)

    def documents_by_id(self, ids: Iterable[str]) -> dict[str, Document]:
        wanted = sorted(i for i in set(ids) if not i.startswith(_INTERNAL))
        if not wanted:
            return {}
        rows = self._documents.get(ids=wanted, include=["documents", "metadatas"])
        return {
            i: _document_from_row(i, text or "", meta or {})
            for i, text, meta in zip(
                rows["ids"], rows["documents"] or [], rows["metadatas"] or [], strict=True
            )
        }

    # -- marks of ingests at work --------------------------------------------------------

    def mark(self, document_ids: Sequence[str]) -> None:
        """Note that an ingest of these documents is under way."""
        marks = [_MARK + i for i in document_ids]
        put_rows(
            self._documents, marks, documents=[""] * len(marks), metadatas=[_MARKED] * len(marks)
        )

    def unmark(self, document_ids: Sequence[str]) -> None:
        self._documents.delete(ids=[_MARK + i for i in document_ids])

    def marked(self) -> list[str]:
        """The documents whose ingest has not finished (or was interrupted)."""
        marks = self._documents.get(where={"mark": True}, include=[])["ids"]
        return [i.removeprefix(_MARK) for i in marks]

    # -- the change counter ----------------------------------------------------------------

    def generation(self) -> int:
        """A counter bumped by every change to the passages, shared through Chroma by all
        replicas."""
        rows = self._documents.get(ids=[_GENERATION], include=["metadatas"])
        metas = rows["metadatas"] or []
        n = (metas[0] or {}).get("n", 0) if metas else 0
        return n if isinstance(n, int) else 0

    def bump_generation(self, changed: Sequence[str]) -> None:
        """Count a change to the passages of the documents `changed`, and log which they were (so
        that a word index can follow the change, `changed_since`)."""
        n = self.generation() + 1
        put_rows(
            self._documents, [f"{_CHANGE}{n}", _GENERATION],
            documents=[json.dumps(list(changed)), ""], metadatas=[{"change": n}, {"n": n}],
        )  # fmt: skip
        if n > _CHANGES_KEPT:
            old = cast(Where, {"change": {"$lte": n - _CHANGES_KEPT}})
            self._documents.delete(where=old)

    def changed_since(self, generation: int) -> set[str] | None:
        """The documents whose passages changed after `generation`, or None when the log no longer
        goes back that far."""
        now = self.generation()
        if now - generation > _CHANGES_KEPT or generation > now:
            return None
        wanted = [f"{_CHANGE}{n}" for n in range(generation + 1, now + 1)]
        rows = self._documents.get(ids=wanted, include=["documents"])
        if len(rows["ids"]) != len(wanted):
            return None
        return {i for text in rows["documents"] or [] for i in json.loads(text or "[]")}

    # -- collections ---------------------------------------------------------------------

    def collections(self) -> dict[str, list[str]]:
        """Every collection by name, with the ids of its documents still in the store."""
        rows = self._collections.get(include=["documents"])
        present = set(self.document_ids())
        return {
            name: _still_present(members, present)
            for name, members in sorted(zip(rows["ids"], rows["documents"] or [], strict=True))
        }

    def collection(self, name: str) -> list[str] | None:
        """The document ids of one collection, or None when there is no such collection."""
        rows = self._collections.get(ids=[name], include=["documents"])
        if not rows["ids"]:
            return None
        return _still_present((rows["documents"] or [""])[0], set(self.document_ids()))

    def members(self, name: str) -> list[str]:
        """The document ids of a collection; a `StoreError` naming the known ones if it is not."""
        found = self.collection(name)
        if found is None:
            known = ", ".join(self.collections()) or "none yet"
            raise StoreError(f"no collection {name!r} (collections: {known}).")
        return found

    def add_to_collection(self, name: str, document_ids: Iterable[str]) -> list[str]:
        """Put documents in a collection, creating it; returns its members. Unknown ids and
        unusable names are refused with a `StoreError` that says why."""
        name = collection_name(name)
        wanted = list(dict.fromkeys(document_ids))
        unknown = sorted(set(wanted) - set(self.document_ids()))
        if unknown:
            raise StoreError(f"no document {', '.join(map(repr, unknown))}: see the document list.")
        with self.lease.held():
            members = list(dict.fromkeys([*(self.collection(name) or []), *wanted]))
            self._write_collection(name, members)
        return members

    def remove_from_collection(
        self, name: str, document_ids: Iterable[str] | None = None
    ) -> list[str]:
        """Take documents out of a collection and return the rest, or delete the whole collection
        when `document_ids` is None (its documents stay in the store; returns []). A `StoreError`
        names the collections there are when `name` is not one."""
        with self.lease.held():
            members = self.members(name)
            if document_ids is None:
                self._collections.delete(ids=[name])
                return []
            dropped = set(document_ids)
            left = [i for i in members if i not in dropped]
            self._write_collection(name, left)
        return left

    def _write_collection(self, name: str, members: list[str]) -> None:
        put_row(self._collections, name, document=json.dumps(members))

    # -- notes ---------------------------------------------------------------------------

    def note(self, key: str) -> str | None:
        """The text kept under `key`, or None."""
        texts = self._notes.get(ids=[key], include=["documents"])["documents"] or []
        return texts[0] if texts else None

    def put_note(self, key: str, text: str) -> None:
        """Keep `text` under `key`, replacing what was there."""
        with self.lease.held():
            put_row(self._notes, key, document=text)


def stored_origin(stored: Mapping[str, Any] | None) -> str:
    """The file a stored document was read from, as its metadata says ("" if unknown)."""
    return str((stored or {}).get("origin") or "")


def same_origin(stored: Mapping[str, Any], document: Document, origin: str | None) -> bool:
    """Whether `document` is a new version of the stored one: read from the same file (documents
    stored before origins were kept count as the same when the file name is)."""
    if origin is None:
        return False
    return stored.get("origin") == origin or (
        not stored.get("origin") and stored.get("source") == document.source
    )


def _still_present(members: str | None, present: Set[str]) -> list[str]:
    """A collection's stored member list (JSON), without documents removed since."""
    return [i for i in json.loads(members or "[]") if i in present]


def collection_name(name: str) -> str:
    """`name` as a collection's name (spaces tidied); a `StoreError` if it cannot be one."""
    name = " ".join(name.split())
    if not _COLLECTION_NAME.fullmatch(name):
        raise StoreError(
            f"{name!r} cannot name a collection: use 1 to 60 letters, digits, spaces or "
            "simple punctuation, starting with a letter or digit."
        )
    return name


def sha(text: str) -> str:
    """The fingerprint of a document's text, stored with it to tell versions apart."""
    return hashlib.sha256(text.encode()).hexdigest()


def _document_metadata(document: Document, origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "title": document.title,
        "source": document.source,
        "date": document.date or "",
        "citation": document.citation or "",
        "url": document.url or "",
        "summary": document.summary or "",
        "original_language": document.original_language or "",
        "sections": json.dumps([[s.name, s.start, s.end] for s in document.sections]),
        "extra": json.dumps(document.extra),
        "added_by": document.added_by or "",
        "text_sha256": sha(document.text),
    }


def _document_from_row(document_id: str, text: str, meta: Mapping[str, Any]) -> Document:
    def optional(key: str) -> str | None:
        return str(meta.get(key) or "") or None

    return Document(
        id=document_id,
        title=str(meta.get("title", document_id)),
        text=text,
        sections=tuple(Section(n, s, e) for n, s, e in json.loads(str(meta.get("sections", "[]")))),
        source=str(meta.get("source", "")),
        date=optional("date"),
        citation=optional("citation"),
        url=optional("url"),
        summary=optional("summary"),
        original_language=optional("original_language"),
        extra=json.loads(str(meta.get("extra", "{}"))),
        added_by=optional("added_by"),
    )
