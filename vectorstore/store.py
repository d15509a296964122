"""Store: records' chunks in Chroma (embedded in a folder, or a Chroma server), kept in step
with the catalogue of records (vectorstore.catalogue) and searched (vectorstore.search).

``archive_qa_chunks`` holds each chunk's text, embedding and offsets into its record's text. All
lives in Chroma, so several app replicas can share one Chroma server.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction, Where

from vectorstore.catalogue import (
    Catalogue,
    same_origin,
    sha,
    stored_origin,
)
from vectorstore.chunks import Chunk, split_document
from vectorstore.documents import Document
from vectorstore.embeddings import EMBEDDING_FUNCTIONS, EmbeddingModel, shared_encoder
from vectorstore.errors import DocumentConflictError, ModelMismatchError
from vectorstore.rows import read_all
from vectorstore.search import ChunkSearch, document_of

CHUNKS = "archive_qa_chunks"
# How widely Chroma's HNSW index looks for a question's nearest passages. Measured on the whole
# FRUS library (164,191 passages, the 378 questions of eval/, against exact search): recall@10
# and @40 were 0.90 and 0.88 at Chroma's default of 100, 0.93 and 0.92 at 200, 0.96 and 0.96 at
# 400, 0.97 and 0.97 at 800, for 2.2, 2.5, 3.9 and 5.0 ms a query.
EF_SEARCH = 800
# Passages embedded and added to Chroma at a time: each add costs a write, whatever its size.
_ADD_BATCH = 512


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
        """`word_index_dir` keeps the word index between runs (in memory without it);
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
                raise ModelMismatchError(_mismatch_message(repr(built_with), model_id))
        try:
            collection = self.client.get_or_create_collection(
                CHUNKS,
                embedding_function=function,  # type: ignore[arg-type]
                configuration={"hnsw": {"space": "cosine", "ef_search": EF_SEARCH}},
                metadata={"embedding_model": model_id},
            )
        except ValueError as exc:
            raise ModelMismatchError(
                _mismatch_message("another embedding function", model_id)
            ) from exc
        if (collection.configuration_json.get("hnsw") or {}).get("ef_search") != EF_SEARCH:
            # A store made before: its searches look wider from the next process on.
            collection.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
        return collection

    # -- writing ---------------------------------------------------------------------------

    def ingest(
        self,
        document: Document,
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
        (result,) = self.ingest_many([(document, origin)], replace=replace, progress=progress)
        if isinstance(result, DocumentConflictError):
            raise result
        return result

    def ingest_many(
        self,
        documents: Sequence[tuple[Document, str | None]],
        *,
        replace: bool = False,
        progress: Progress | None = None,
    ) -> list[IngestResult | DocumentConflictError]:
        """`ingest` for several records (each with its origin) at once, one result each: their
        passages are embedded together and each kind of row is written once for all, which is
        what makes a large ingest run at the embedding model's speed. A record that may not
        replace the stored one gets its `DocumentConflictError` and the others go in. Ids must
        differ."""
        ids = [document.id for document, _ in documents]
        if not ids:
            return []
        if len(set(ids)) != len(ids):
            raise ValueError("ingest_many: two records with the same id")
        with self.lease.held():
            stored = self.catalogue.stored_metadata(ids)
            old_ids: dict[str, set[str]] = {i: set() for i in ids}
            for chunk_id in self._chunks.get(where=_of_documents(ids), include=[])["ids"]:
                old_ids[document_of(chunk_id)].add(chunk_id)
            results: list[IngestResult | DocumentConflictError] = []
            writes: list[tuple[Document, str, list[Chunk], list[str]]] = []
            for document, origin in documents:
                known = stored.get(document.id)
                same = known is not None and known.get("text_sha256") == sha(document.text)
                if known is not None and not same:
                    try:
                        self._check_replacing(document, known, origin=origin, replace=replace)
                    except DocumentConflictError as exc:
                        results.append(exc)
                        continue
                chunks = {c.id: c for c in split_document(document)}
                new = [c for i, c in chunks.items() if i not in old_ids[document.id]]
                stale = sorted(old_ids[document.id] - chunks.keys())
                if not (same and not new and not stale):
                    writes.append((document, origin or stored_origin(known), new, stale))
                results.append(IngestResult(document.id, document.title, len(new), len(stale)))
            if writes:
                self._write(writes, progress)
        return results

    def _write(
        self, writes: list[tuple[Document, str, list[Chunk], list[str]]], progress: Progress | None
    ) -> None:
        """Write new versions of records: each (record, origin, its new chunks, its stale chunk
        ids)."""
        changed = [document.id for document, *_ in writes]
        self.catalogue.mark(changed)
        # New chunks and texts first, stale chunks last: readers skip a chunk whose offsets do
        # not match the text they read, and an interruption is finished from the marks.
        try:
            self._add_chunks(
                [(c, document) for document, _, new, _ in writes for c in new], progress
            )
            self.catalogue.put([(document, origin) for document, origin, *_ in writes])
            stale = [i for *_, ids in writes for i in ids]
            if stale:
                self._chunks.delete(ids=stale)
        except Exception:
            # A failure this process lives through (the embeddings server went away): each
            # record goes back to what it was, which needs no embedding. A crash leaves the
            # marks for the next start (finish_interrupted).
            with contextlib.suppress(Exception):
                for document_id in changed:
                    self._make_whole(document_id)
            raise
        self.catalogue.bump_generation(changed)
        self.catalogue.unmark(changed)

    @staticmethod
    def _check_replacing(
        document: Document, stored: Mapping[str, Any], *, origin: str | None, replace: bool
    ) -> None:
        """`DocumentConflictError` unless a new text under a stored id may replace it: asked
        for, or read from the same file."""
        if not (replace or same_origin(stored, document, origin)):
            raise DocumentConflictError(
                document.source, document.id, stored_title=str(stored.get("title", "")),
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
            self.catalogue.bump_generation([document_id])
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
            rows = read_all(self._chunks, include=["metadatas"])
            present: dict[str, set[str]] = {}
            for chunk_id, meta in zip(rows["ids"], rows["metadatas"] or [], strict=True):
                present.setdefault(str((meta or {}).get("document_id", "")), set()).add(chunk_id)
            documents = {r.id: r for r in self.catalogue.documents()}
            problems = []
            for document_id in sorted(present.keys() | documents.keys()):
                document = documents.get(document_id)
                have = present.get(document_id, set())
                want = {c.id for c in split_document(document)} if document else set()
                if document is None:
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
            document = self.catalogue.document(document_id)
            want = {c.id: c for c in split_document(document)} if document else {}
            have = set(self._chunks.get(where={"document_id": document_id}, include=[])["ids"])
            missing = [want[i] for i in want if i not in have]
            if document is not None:
                self._add_chunks([(c, document) for c in missing])
            extra = sorted(have - want.keys())
            if extra:
                self._chunks.delete(ids=extra)
            self.catalogue.unmark([document_id])
            self.catalogue.bump_generation([document_id])

    def _add_chunks(
        self, chunks: list[tuple[Chunk, Document]], progress: Progress | None = None
    ) -> None:
        """Embed and store chunks (each with its record) in batches, saying how far it has got.
        Shortest first: the encoder pads a batch to its longest text."""
        chunks = sorted(chunks, key=lambda pair: len(pair[0].text))
        for first in range(0, len(chunks), _ADD_BATCH):
            batch = chunks[first : first + _ADD_BATCH]
            self._chunks.add(
                ids=[c.id for c, _ in batch],
                embeddings=self.encoder.encode([c.text for c, _ in batch]),
                documents=[c.text for c, _ in batch],
                metadatas=[_chunk_metadata(c, document) for c, document in batch],
            )
            self.lease.renew()
            if progress is not None:
                progress(first + len(batch), len(chunks))

    # -- reading chunks --------------------------------------------------------------------

    def is_empty(self) -> bool:
        return self.chunk_count() == 0

    def chunk_count(self) -> int:
        return self._chunks.count()


def _mismatch_message(built_with: str, model_id: str) -> str:
    return (
        f"this index was built with embedding model {built_with}, but archive-qa is set to use "
        f"{model_id!r}; vectors from different models cannot be compared. Rebuild it: "
        "`archive-qa reset --yes`, then `archive-qa ingest` your documents again (or set "
        "ARCHIVE_QA_EMBEDDING_MODEL or ARCHIVE_QA_EMBEDDING_URL back)."
    )


def _of_documents(ids: Sequence[str]) -> Where:
    """Chroma's filter for the chunks of these documents."""
    return cast(Where, {"document_id": {"$in": list(ids)}})


def _chunk_metadata(chunk: Chunk, document: Document) -> dict[str, str | int]:
    return {
        "document_id": chunk.document_id,
        "section": chunk.section,
        "start": chunk.start,
        "end": chunk.end,
        "title": document.title,
        "date": document.date or "",
    }
