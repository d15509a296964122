"""Store: records' chunks in Chroma (embedded in a folder, or a Chroma server), kept in step
with the catalogue of records (vectorstore.catalogue) and searched (vectorstore.search).

``archive_qa_chunks`` holds each chunk's text, embedding and offsets into its record's text. All
lives in Chroma, so several app replicas can share one Chroma server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction

from vectorstore.catalogue import (
    Catalogue,
    same_origin,
    sha,
    stored_origin,
)
from vectorstore.chunks import Chunk, split_record
from vectorstore.embeddings import EMBEDDING_FUNCTIONS, MODELS, EmbeddingModel, shared_encoder
from vectorstore.errors import DocumentConflictError, ModelMismatchError
from vectorstore.records import Record
from vectorstore.search import ChunkSearch

CHUNKS = "archive_qa_chunks"
_ADD_BATCH = 256


Progress = Callable[[int, int], None]
"""Told (done, total) as long work goes on."""


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


class Store:
    """Records and chunks in Chroma, embedded with the model the collection was built with."""

    def __init__(
        self,
        client: ClientAPI,
        *,
        word_index_dir: Path | None = None,
        model: str = "minilm",
        encoder: EmbeddingModel | None = None,
    ) -> None:
        """`word_index_dir` keeps the BM25 index between runs (rebuilt from Chroma without it);
        `model` names the embedding model (vectorstore.embeddings.MODELS) the chunks are
        embedded with, and an index built with another is refused. `encoder` stands in for the
        named model (a test's deterministic fake); questions must be embedded with it too."""
        self.client = client
        self.model = model
        self.encoder: EmbeddingModel = encoder or shared_encoder(model)
        """Embeds the chunks; the retriever embeds questions with it."""
        # Chroma keeps a bundled model's embedding function with the collection (so that Chroma's
        # own tools can query it); the store always passes the vectors itself.
        self._chunks = self._open_chunks(EMBEDDING_FUNCTIONS[model]() if encoder is None else None)
        self.catalogue = Catalogue(client)
        self.lease = self.catalogue.lease
        """Held by every write (vectorstore.lease)."""
        self.search = ChunkSearch(
            client, self._chunks, self.catalogue, self.encoder, word_index_dir
        )
        """Finds chunks by meaning and by words (vectorstore.search)."""

    def _open_chunks(self, function: EmbeddingFunction[Documents] | None) -> Collection:
        model_id = self.encoder.model_id
        existing = {c.name: c for c in self.client.list_collections()}
        if CHUNKS in existing:
            built_with = (existing[CHUNKS].metadata or {}).get("embedding_model")
            if built_with != model_id:
                raise ModelMismatchError(_mismatch_message(repr(built_with), self.model))
        try:
            collection = self.client.get_or_create_collection(
                CHUNKS,
                embedding_function=function,  # type: ignore[arg-type]
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
            stored = self.catalogue.stored_metadata(record.id)
            same_text = stored is not None and stored.get("text_sha256") == sha(record.text)
            if stored is not None and not same_text:
                self._check_replacing(record, stored, origin=origin, replace=replace)
            chunks = {c.id: c for c in split_record(record)}
            old_ids = set(self._chunks.get(where={"document_id": record.id}, include=[])["ids"])
            new_ids = [i for i in chunks if i not in old_ids]
            stale = sorted(old_ids - chunks.keys())
            if same_text and not new_ids and not stale:
                return IngestResult(record.id, record.title, added=0, removed=0)
            self.catalogue.mark(record.id)
            # New chunks and text first, stale chunks last: readers skip a chunk whose offsets do
            # not match the text they read, and an interruption is finished from the mark.
            self._add_chunks([chunks[i] for i in new_ids], record, progress)
            self.catalogue.put(record, origin=origin or stored_origin(stored))
            if stale:
                self._chunks.delete(ids=stale)
            self.catalogue.bump_generation()
            self.catalogue.unmark(record.id)
        return IngestResult(record.id, record.title, added=len(new_ids), removed=len(stale))

    @staticmethod
    def _check_replacing(
        record: Record, stored: Mapping[str, Any], *, origin: str | None, replace: bool
    ) -> None:
        """`DocumentConflictError` unless a new text under a stored id may replace it: asked
        for, or read from the same file."""
        if not (replace or same_origin(stored, record, origin)):
            raise DocumentConflictError(
                record.source, record.id, stored_title=str(stored.get("title", "")),
                stored_from=str(stored.get("source") or "another file"),
            )  # fmt: skip

    def delete(self, document_id: str) -> bool:
        """Remove a record and all its chunks (orphans of an interrupted ingest too); False if
        there was nothing of it."""
        with self.lease.held():
            chunks = self._chunks.get(where={"document_id": document_id}, include=[])["ids"]
            if chunks:
                self._chunks.delete(ids=chunks)
            if not self.catalogue.remove(document_id) and not chunks:
                return False
            self.catalogue.bump_generation()
        return True

    # -- consistency ------------------------------------------------------------------------

    def finish_interrupted(self) -> list[str]:
        """Make whole, or take out, every record an interrupted ingest left half-written; returns
        their ids. Cheap: it reads the marks ingests leave while they write, and writes (holding
        the lease) only when there are some."""
        if not self.catalogue.marked():
            return []
        with self.lease.held():  # so no mark is of an ingest still at work
            ids = self.catalogue.marked()
            for document_id in ids:
                self._make_whole(document_id)
        return ids

    def verify(self, *, repair: bool = False) -> list[str]:
        """Check every record against its chunks; one line per problem found (and, with
        `repair`, fixed). Reads every chunk's metadata: seconds for a large library. Holds the
        writer's lease, so that an ingest at work is not taken for a broken one."""
        with self.lease.held():
            marks = self.catalogue.marked()
            rows = self._chunks.get(include=["metadatas"])
            present: dict[str, set[str]] = {}
            for chunk_id, meta in zip(rows["ids"], rows["metadatas"] or [], strict=True):
                present.setdefault(str((meta or {}).get("document_id", "")), set()).add(chunk_id)
            records = {r.id: r for r in self.catalogue.records()}
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
            problems += [f"{m}: an ingest was interrupted" for m in marks]
            if repair:
                self.finish_interrupted()
            return problems

    def _make_whole(self, document_id: str) -> None:
        """Bring a record's chunks in line with its stored text (all of them out if it has none)."""
        with self.lease.held():
            record = self.catalogue.record(document_id)
            want = {c.id: c for c in split_record(record)} if record else {}
            have = set(self._chunks.get(where={"document_id": document_id}, include=[])["ids"])
            missing = [want[i] for i in want if i not in have]
            if record is not None:
                self._add_chunks(missing, record)
            extra = sorted(have - want.keys())
            if extra:
                self._chunks.delete(ids=extra)
            self.catalogue.unmark(document_id)
            self.catalogue.bump_generation()

    def _add_chunks(
        self, chunks: list[Chunk], record: Record, progress: Progress | None = None
    ) -> None:
        """Embed and store `chunks` of `record` in batches, saying how far it has got."""
        for first in range(0, len(chunks), _ADD_BATCH):
            batch = chunks[first : first + _ADD_BATCH]
            self._chunks.add(
                ids=[c.id for c in batch],
                embeddings=self.encoder.encode([c.text for c in batch]),
                documents=[c.text for c in batch],
                metadatas=[_chunk_metadata(c, record) for c in batch],
            )
            self.lease.renew()
            if progress is not None:
                progress(first + len(batch), len(chunks))

    # -- reading chunks --------------------------------------------------------------------

    def is_empty(self) -> bool:
        return self.chunk_count() == 0

    def chunk_count(self) -> int:
        return self._chunks.count()


def _mismatch_message(built_with: str, model: str) -> str:
    return (
        f"this index was built with embedding model {built_with}, but archive-qa is set to use "
        f"{MODELS[model].model_id!r} (ARCHIVE_QA_EMBEDDING_MODEL={model}); vectors from "
        "different models cannot be compared. Rebuild it: `archive-qa reset --yes`, then "
        "`archive-qa ingest` your documents again (or set ARCHIVE_QA_EMBEDDING_MODEL back)."
    )


def _chunk_metadata(chunk: Chunk, record: Record) -> dict[str, str | int]:
    return {
        "document_id": chunk.document_id,
        "section": chunk.section,
        "start": chunk.start,
        "end": chunk.end,
        "title": record.title,
        "date": record.date or "",
    }
