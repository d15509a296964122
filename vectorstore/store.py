"""Store: records and their chunks in Chroma (embedded in a folder, or a Chroma server).

Three Chroma collections: ``archive_qa_chunks`` (chunk text + embeddings + offsets),
``archive_qa_documents`` (each record's full text and metadata, so any quote can be checked and
shown in context) and ``archive_qa_course_packs`` (named groups of documents, which users call
collections). All live in Chroma, so several app replicas can share one Chroma server.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Where
from chromadb.config import Settings as ChromaSettings

from vectorstore import owner
from vectorstore.chunks import Chunk, split_record
from vectorstore.embeddings import EMBEDDING_FUNCTIONS, MODELS
from vectorstore.errors import DocumentConflictError, ModelMismatchError, StoreError
from vectorstore.lease import WriterLease
from vectorstore.lexical import TERMS_VERSION, LexicalIndex
from vectorstore.records import Record, Section

CHUNKS = "archive_qa_chunks"
DOCUMENTS = "archive_qa_documents"
COURSE_PACKS = "archive_qa_course_packs"
# A collection's name: what a person types, within reason.
_PACK_NAME = re.compile(r"[\w][\w .,:()'&+-]{0,59}")
_ADD_BATCH = 256
# The documents collection is looked up by id only; Chroma still wants a vector per row.
_PLACEHOLDER_VECTOR = [1.0]
# A row of the documents collection that is not a document: the store's change counter.
_GENERATION = "__archive_qa_generation__"
# Rows marking records an ingest is writing, by id after this prefix (see `finish_interrupted`).
_MARK = "__archive_qa_writing__:"
# Every row of the documents collection that is not a document starts so (document ids cannot).
_INTERNAL = "__archive_qa_"


Progress = Callable[[int, int], None]
"""Told (done, total) as long work goes on."""


@dataclass(frozen=True)
class ScoredChunk:
    """A chunk returned by a search, with its cosine similarity to the query."""

    chunk: Chunk
    score: float


@dataclass(frozen=True)
class IngestResult:
    """What one ingest changed: chunks added and removed (both 0 when the file was unchanged)."""

    document_id: str
    title: str
    added: int
    removed: int

    @property
    def unchanged(self) -> bool:
        return self.added == 0 and self.removed == 0


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
        data_dir.mkdir(parents=True, exist_ok=True)
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


class Store:
    """Records and chunks in Chroma, embedded with the model the collection was built with."""

    def __init__(
        self, client: ClientAPI, *, word_index_dir: Path | None = None, model: str = "minilm"
    ) -> None:
        """`word_index_dir` keeps the BM25 index between runs (rebuilt from Chroma without it);
        `model` names the embedding model (vectorstore.embeddings.MODELS) the chunks are
        embedded with, and an index built with another is refused."""
        self.client = client
        self.model = model
        self._chunks = self._open_chunks()
        self._documents = client.get_or_create_collection(DOCUMENTS, embedding_function=None)
        self._packs = client.get_or_create_collection(COURSE_PACKS, embedding_function=None)
        self._lexical: tuple[str, LexicalIndex] | None = None
        self._word_index_dir = word_index_dir
        # One write at a time: in this process (a server ingests uploads on several threads),
        # and among the processes sharing the store (replicas of a Chroma server).
        self.lease = WriterLease(self._documents)
        """Held by every write (vectorstore.lease)."""

    def _open_chunks(self) -> Collection:
        model_id = MODELS[self.model].model_id
        existing = {c.name: c for c in self.client.list_collections()}
        if CHUNKS in existing:
            built_with = (existing[CHUNKS].metadata or {}).get("embedding_model")
            if built_with != model_id:
                raise ModelMismatchError(_mismatch_message(repr(built_with), self.model))
        try:
            collection = self.client.get_or_create_collection(
                CHUNKS,
                embedding_function=EMBEDDING_FUNCTIONS[self.model](),  # type: ignore[arg-type]
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": model_id},
            )
        except ValueError as exc:
            raise ModelMismatchError(
                _mismatch_message("another embedding function", self.model)
            ) from exc
        return collection

    # -- writing ---------------------------------------------------------------------------

    def ingest(
        self,
        record: Record,
        *,
        origin: str | None = None,
        replace: bool = False,
        progress: Progress | None = None,
    ) -> IngestResult:
        """Add or replace one record. Re-ingesting an unchanged record changes nothing.

        A different text under a stored record's id replaces it only when asked (`replace`) or
        when it comes from the same file (`origin`, a path); otherwise `DocumentConflictError`.
        An interrupted ingest leaves a mark that `finish_interrupted` follows to make the record
        whole again, or absent. `progress` hears (passages embedded, passages to embed).
        """
        with self.lease.held():
            stored = self._stored_metadata(record.id)
            same_text = stored is not None and stored.get("text_sha256") == _sha(record.text)
            new_version = stored is not None and not same_text
            if new_version and not (replace or _same_origin(stored or {}, record, origin)):
                raise DocumentConflictError(
                    record.source, record.id, stored_title=str((stored or {}).get("title", "")),
                    stored_from=str((stored or {}).get("source") or "another file"),
                )  # fmt: skip
            chunks = {c.id: c for c in split_record(record)}
            old_ids = set(self._chunks.get(where={"document_id": record.id}, include=[])["ids"])
            new_ids = [i for i in chunks if i not in old_ids]
            stale = sorted(old_ids - chunks.keys())
            if same_text and not new_ids and not stale:
                return IngestResult(record.id, record.title, added=0, removed=0)
            self._mark(record.id)
            # New chunks and text first, stale chunks last: readers skip a chunk whose offsets do
            # not match the text they read, and an interruption is finished from the mark.
            self._add_chunks([chunks[i] for i in new_ids], record, progress)
            self._documents.upsert(
                ids=[record.id],
                documents=[record.text],
                embeddings=[_PLACEHOLDER_VECTOR],  # type: ignore[arg-type]  # chroma's stubs reject lists
                metadatas=[_record_metadata(record, origin or _origin(stored))],
            )
            if stale:
                self._chunks.delete(ids=stale)
            self._bump_generation()
            self._documents.delete(ids=[_MARK + record.id])
        return IngestResult(record.id, record.title, added=len(new_ids), removed=len(stale))

    def delete(self, document_id: str) -> bool:
        """Remove a record and all its chunks (orphans of an interrupted ingest too); False if
        there was nothing of it."""
        with self.lease.held():
            had = bool(self._documents.get(ids=[document_id], include=[])["ids"])
            chunks = self._chunks.get(where={"document_id": document_id}, include=[])["ids"]
            if not had and not chunks:
                return False
            self._chunks.delete(ids=chunks)
            self._documents.delete(ids=[document_id, _MARK + document_id])
            self._bump_generation()
        return True

    # -- consistency ------------------------------------------------------------------------

    def finish_interrupted(self) -> list[str]:
        """Make whole, or take out, every record an interrupted ingest left half-written; returns
        their ids. Cheap: it follows the marks ingests leave while they write."""
        with self.lease.held():  # so no mark is of an ingest still at work
            marks = self._documents.get(where={"mark": True}, include=[])["ids"]
            ids = [i.removeprefix(_MARK) for i in marks]
            for document_id in ids:
                self._make_whole(document_id)
        return ids

    def drop_lease(self) -> None:
        """Forget a writer's lease left by a process that is gone: only for the sole owner of
        an embedded store's folder (vectorstore.owner), which knows no other writer exists."""
        self.lease.clear()

    def verify(self, *, repair: bool = False) -> list[str]:
        """Check every record against its chunks; one line per problem found (and, with
        `repair`, fixed). Reads every chunk's metadata: seconds for a large library. Holds the
        writer's lease, so that an ingest at work is not taken for a broken one."""
        with self.lease.held():
            marks = self._documents.get(where={"mark": True}, include=[])["ids"]
            rows = self._chunks.get(include=["metadatas"])
            present: dict[str, set[str]] = {}
            for chunk_id, meta in zip(rows["ids"], rows["metadatas"] or [], strict=True):
                present.setdefault(str((meta or {}).get("document_id", "")), set()).add(chunk_id)
            records = {r.id: r for r in self.records()}
            problems = []
            for document_id in sorted(present.keys() | records.keys()):
                record = records.get(document_id)
                have = present.get(document_id, set())
                want = {c.id for c in split_record(record)} if record else set()
                if record is None:
                    problems.append(
                        f"{document_id}: passages left of a document not stored: {len(have)}"
                    )
                elif have != want:
                    problems.append(
                        f"{document_id}: passages missing: {len(want - have)}, left from another "
                        f"version: {len(have - want)}"
                    )
                else:
                    continue
                if repair:
                    self._make_whole(document_id)
            problems += [f"{m.removeprefix(_MARK)}: an ingest was interrupted" for m in marks]
            if repair:
                self.finish_interrupted()
            return problems

    def _make_whole(self, document_id: str) -> None:
        """Bring a record's chunks in line with its stored text (all of them out if it has none)."""
        with self.lease.held():
            record = self.record(document_id)
            want = {c.id: c for c in split_record(record)} if record else {}
            have = set(self._chunks.get(where={"document_id": document_id}, include=[])["ids"])
            missing = [want[i] for i in want if i not in have]
            if record is not None:
                self._add_chunks(missing, record)
            extra = sorted(have - want.keys())
            if extra:
                self._chunks.delete(ids=extra)
            self._documents.delete(ids=[_MARK + document_id])
            self._bump_generation()

    def _add_chunks(
        self, chunks: list[Chunk], record: Record, progress: Progress | None = None
    ) -> None:
        """Embed and store `chunks` of `record` in batches, saying how far it has got."""
        for first in range(0, len(chunks), _ADD_BATCH):
            batch = chunks[first : first + _ADD_BATCH]
            self._chunks.add(
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[_chunk_metadata(c, record) for c in batch],
            )
            self.lease.renew()
            if progress is not None:
                progress(first + len(batch), len(chunks))

    def _mark(self, document_id: str) -> None:
        self._documents.upsert(
            ids=[_MARK + document_id],
            documents=[""],
            embeddings=[_PLACEHOLDER_VECTOR],  # type: ignore[arg-type]  # chroma's stubs reject lists
            metadatas=[{"mark": True}],
        )

    def _stored_metadata(self, document_id: str) -> Mapping[str, Any] | None:
        rows = self._documents.get(ids=[document_id], include=["metadatas"])
        metas = rows["metadatas"] or []
        return (metas[0] or {}) if metas else None

    # -- collections (course packs) -------------------------------------------------------

    def collections(self) -> dict[str, list[str]]:
        """Every collection by name, with the ids of its documents still in the store."""
        rows = self._packs.get(include=["documents"])
        present = set(self.record_ids())
        return {
            name: _still_present(members, present)
            for name, members in sorted(zip(rows["ids"], rows["documents"] or [], strict=True))
        }

    def collection(self, name: str) -> list[str] | None:
        """The document ids of one collection, or None when there is no such collection."""
        rows = self._packs.get(ids=[name], include=["documents"])
        if not rows["ids"]:
            return None
        return _still_present((rows["documents"] or [""])[0], set(self.record_ids()))

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
        unknown = sorted(set(wanted) - set(self.record_ids()))
        if unknown:
            raise StoreError(f"no document {', '.join(map(repr, unknown))}: see the document list.")
        with self.lease.held():
            members = list(dict.fromkeys([*(self.collection(name) or []), *wanted]))
            self._write_pack(name, members)
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
                self._packs.delete(ids=[name])
                return []
            dropped = set(document_ids)
            left = [i for i in members if i not in dropped]
            self._write_pack(name, left)
        return left

    def _write_pack(self, name: str, members: list[str]) -> None:
        self._packs.upsert(
            ids=[name],
            documents=[json.dumps(members)],
            embeddings=[_PLACEHOLDER_VECTOR],  # type: ignore[arg-type]  # chroma's stubs reject lists
        )

    def _generation(self) -> int:
        """A counter bumped by every change to the chunks, shared through Chroma by all replicas."""
        rows = self._documents.get(ids=[_GENERATION], include=["metadatas"])
        metas = rows["metadatas"] or []
        n = (metas[0] or {}).get("n", 0) if metas else 0
        return n if isinstance(n, int) else 0

    def _bump_generation(self) -> None:
        self._documents.upsert(
            ids=[_GENERATION],
            documents=[""],
            embeddings=[_PLACEHOLDER_VECTOR],  # type: ignore[arg-type]  # chroma's stubs reject lists
            metadatas=[{"n": self._generation() + 1}],
        )

    # -- reading ---------------------------------------------------------------------------

    def is_empty(self) -> bool:
        return self.chunk_count() == 0

    def chunk_count(self) -> int:
        return self._chunks.count()

    def records(self, *, with_text: bool = True) -> list[Record]:
        """Every stored record, ordered by date then title; `with_text=False` leaves texts empty
        (a catalogue of a large collection without loading every document)."""
        rows = self._documents.get(
            include=["documents", "metadatas"] if with_text else ["metadatas"]
        )
        metas = rows["metadatas"] or []
        texts = rows["documents"] if with_text and rows["documents"] else [""] * len(metas)
        found = [
            _record_from_row(i, text or "", meta or {})
            for i, text, meta in zip(rows["ids"], texts, metas, strict=True)
            if not i.startswith(_INTERNAL)
        ]
        return sorted(found, key=lambda r: (r.date or "9999", r.title))

    def dated_between(self, since: str | None, until: str | None) -> set[str]:
        """Ids of the records dated within [since, until] (ISO dates; either end may be open)."""
        rows = self._documents.get(include=["metadatas"])
        return {
            i
            for i, m in zip(rows["ids"], rows["metadatas"] or [], strict=True)
            if not i.startswith(_INTERNAL)
            and (date := str((m or {}).get("date") or ""))
            and (since is None or date >= since)
            and (until is None or date[: len(until)] <= until)
        }

    def record_ids(self) -> list[str]:
        """The id of every stored record."""
        return sorted(
            i for i in self._documents.get(include=[])["ids"] if not i.startswith(_INTERNAL)
        )

    def record(self, document_id: str) -> Record | None:
        """One stored record with its full text, or None."""
        return self.records_by_id([document_id]).get(document_id)

    def records_by_id(self, ids: Iterable[str]) -> dict[str, Record]:
        wanted = sorted(i for i in set(ids) if not i.startswith(_INTERNAL))
        if not wanted:
            return {}
        rows = self._documents.get(ids=wanted, include=["documents", "metadatas"])
        return {
            i: _record_from_row(i, text or "", meta or {})
            for i, text, meta in zip(
                rows["ids"], rows["documents"] or [], rows["metadatas"] or [], strict=True
            )
        }

    def search(
        self, vector: Sequence[float], *, k: int, documents: Set[str] | None = None
    ) -> list[ScoredChunk]:
        """The `k` chunks nearest to the query `vector` by cosine similarity, best first.

        With `documents`, only chunks of those documents are searched.
        """
        total = self._chunks.count()
        if total == 0 or (documents is not None and not documents):
            return []
        where: Where | None = None
        if documents is not None:
            where = cast(Where, {"document_id": {"$in": sorted(documents)}})
        result = self._chunks.query(
            query_embeddings=[[float(x) for x in vector]],  # type: ignore[arg-type]  # as above
            n_results=min(k, total),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        ids = result["ids"][0]
        texts = (result["documents"] or [[]])[0]
        metas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        return [
            ScoredChunk(_chunk_from_row(i, t or "", m or {}), 1.0 - float(d))
            for i, t, m, d in zip(ids, texts, metas, distances, strict=True)
        ]

    def search_words(
        self, query: str, *, k: int | None, documents: Set[str] | None = None
    ) -> list[tuple[str, float]]:
        """The `k` best chunk ids by BM25 over chunk text and document title, best first.

        With `documents`, only chunks of those documents are returned.
        """
        index = self.sync_word_index()
        if documents is None:
            return index.search(query, k=k)
        hits = index.search(query, k=None)
        return [(i, score) for i, score in hits if document_of(i) in documents][:k]

    def sync_word_index(self) -> LexicalIndex:
        """The word index for the store as it is now: kept, loaded from disk, or rebuilt.

        Its stamp names the chunk collection and its generation counter, which every ingest,
        replace and delete bumps (in Chroma, so replicas sharing a server see it too).
        """
        stamp = f"{self._chunks.id}:{self._generation()}:{TERMS_VERSION}"
        if self._lexical is not None and self._lexical[0] == stamp:
            return self._lexical[1]
        folder = self._word_index_dir
        index = LexicalIndex.load(folder, stamp) if folder else None
        if index is None:
            rows = self._chunks.get(include=["documents", "metadatas"])
            texts = [
                f"{(m or {}).get('title', '')}\n{t or ''}"
                for t, m in zip(rows["documents"] or [], rows["metadatas"] or [], strict=True)
            ]
            index = LexicalIndex(rows["ids"], texts)
            if folder:
                # A read-only folder only costs a rebuild next time.
                with contextlib.suppress(OSError):
                    index.save(folder, stamp)
        self._lexical = (stamp, index)
        return index

    def chunks_by_id(self, ids: Sequence[str], vector: Sequence[float]) -> list[ScoredChunk]:
        """The chunks with these ids, scored by cosine similarity to `vector`, in this order."""
        if not ids:
            return []
        rows = self._chunks.get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        query = np.asarray(vector, dtype=np.float32)
        embeddings = rows["embeddings"] if rows["embeddings"] is not None else []
        found = {
            i: ScoredChunk(_chunk_from_row(i, t or "", m or {}), float(np.asarray(e) @ query))
            for i, t, m, e in zip(
                rows["ids"],
                rows["documents"] or [],
                rows["metadatas"] or [],
                embeddings,
                strict=True,
            )
        }
        return [found[i] for i in ids if i in found]


def _origin(stored: Mapping[str, Any] | None) -> str:
    return str((stored or {}).get("origin") or "")


def _same_origin(stored: Mapping[str, Any], record: Record, origin: str | None) -> bool:
    """Whether `record` is a new version of the stored one: read from the same file (records
    stored before origins were kept count as the same when the file name is)."""
    if origin is None:
        return False
    return stored.get("origin") == origin or (
        not stored.get("origin") and stored.get("source") == record.source
    )


def _still_present(members: str | None, present: Set[str]) -> list[str]:
    """A collection's stored member list (JSON), without documents removed since."""
    return [i for i in json.loads(members or "[]") if i in present]


def collection_name(name: str) -> str:
    """`name` as a collection's name (spaces tidied); a `StoreError` if it cannot be one."""
    name = " ".join(name.split())
    if not _PACK_NAME.fullmatch(name):
        raise StoreError(
            f"{name!r} cannot name a collection: use 1 to 60 letters, digits, spaces or "
            "simple punctuation, starting with a letter or digit."
        )
    return name


def document_of(chunk_id: str) -> str:
    """The id of the document a chunk belongs to (chunk ids are ``document_id:digest``)."""
    return chunk_id.rpartition(":")[0]


def reset(client: ClientAPI) -> None:
    """Drop every collection (used to rebuild after a model change)."""
    for name in (CHUNKS, DOCUMENTS, COURSE_PACKS):
        with contextlib.suppress(Exception):  # a missing collection is what we want anyway
            client.delete_collection(name)


def _mismatch_message(built_with: str, model: str) -> str:
    return (
        f"this index was built with embedding model {built_with}, but archive-qa is set to use "
        f"{MODELS[model].model_id!r} (ARCHIVE_QA_EMBEDDING_MODEL={model}); vectors from "
        "different models cannot be compared. Rebuild it: `archive-qa reset --yes`, then "
        "`archive-qa ingest` your documents again (or set ARCHIVE_QA_EMBEDDING_MODEL back)."
    )


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _chunk_metadata(chunk: Chunk, record: Record) -> dict[str, str | int]:
    return {
        "document_id": chunk.document_id,
        "section": chunk.section,
        "start": chunk.start,
        "end": chunk.end,
        "title": record.title,
        "date": record.date or "",
    }


def _chunk_from_row(chunk_id: str, text: str, meta: Mapping[str, Any]) -> Chunk:
    return Chunk(
        id=chunk_id,
        document_id=str(meta["document_id"]),
        section=str(meta.get("section", "")),
        start=int(meta["start"]),
        end=int(meta["end"]),
        text=text,
    )


def _record_metadata(record: Record, origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "title": record.title,
        "source": record.source,
        "date": record.date or "",
        "citation": record.citation or "",
        "url": record.url or "",
        "summary": record.summary or "",
        "original_language": record.original_language or "",
        "sections": json.dumps([[s.name, s.start, s.end] for s in record.sections]),
        "extra": json.dumps(record.extra),
        "text_sha256": _sha(record.text),
    }


def _record_from_row(record_id: str, text: str, meta: Mapping[str, Any]) -> Record:
    def optional(key: str) -> str | None:
        return str(meta.get(key) or "") or None

    return Record(
        id=record_id,
        title=str(meta.get("title", record_id)),
        text=text,
        sections=tuple(Section(n, s, e) for n, s, e in json.loads(str(meta.get("sections", "[]")))),
        source=str(meta.get("source", "")),
        date=optional("date"),
        citation=optional("citation"),
        url=optional("url"),
        summary=optional("summary"),
        original_language=optional("original_language"),
        extra=json.loads(str(meta.get("extra", "{}"))),
    )
