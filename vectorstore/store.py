"""Store: documents' passages in Chroma (embedded in a folder, or a Chroma server), kept in step
with the catalogue of documents and collections (vectorstore.catalogue) and with the word index
(vectorstore.search), whoever writes.

``archive_qa_chunks`` holds each passage's text, vector and offsets into its document's text. All
lives in Chroma, so several app replicas can share one Chroma server. `Store` is the one door:
the layers above read, search and write through its methods only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from pathlib import Path

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction

from vectorstore.catalogue import Catalogue
from vectorstore.documents import Document
from vectorstore.embeddings import EMBEDDING_FUNCTIONS
from vectorstore.encoders import Encoder, shared_encoder
from vectorstore.errors import DocumentConflictError, ModelMismatchError
from vectorstore.passages import Passage
from vectorstore.rows import PAGE
from vectorstore.search import PassageSearch, Ranking
from vectorstore.writer import IngestResult, Progress, Writer

__all__ = ["EF_SEARCH", "PASSAGES", "IngestResult", "Progress", "Store"]

PASSAGES = "archive_qa_chunks"  # the name it was first stored under, kept for stores made then
# How widely Chroma's HNSW index looks for a question's nearest passages. Measured on the whole
# FRUS library (164,191 passages, the 378 questions of eval/, against exact search): recall@10
# and @40 were 0.90 and 0.88 at Chroma's default of 100, 0.93 and 0.92 at 200, 0.96 and 0.96 at
# 400, 0.97 and 0.97 at 800, for 2.2, 2.5, 3.9 and 5.0 ms a query.
EF_SEARCH = 800


class Store:
    """Documents and passages in Chroma, embedded with the model the store was built with."""

    def __init__(
        self,
        client: ClientAPI,
        *,
        word_index_dir: Path | None = None,
        model: str = "minilm",
        encoder: Encoder | None = None,
        page: int = PAGE,
    ) -> None:
        """`word_index_dir` keeps the word index between runs (in memory without it); `model`
        names the embedding model (vectorstore.encoders.MODELS) the passages are embedded
        with, and an index built with another is refused. `encoder` stands in for the named
        model (a server's, or a test's deterministic fake); questions must be embedded with it
        too. Whole collections are got from Chroma `page` rows at a time."""
        self.client = client
        self.model = model
        self.encoder: Encoder = encoder or shared_encoder(model)
        """Embeds the passages; the retriever embeds questions with it."""
        self._page = page
        # Chroma keeps a bundled model's embedding function with the collection (so that Chroma's
        # own tools can query it); the store always passes the vectors itself.
        self._passage_rows = self._open(EMBEDDING_FUNCTIONS[model]() if encoder is None else None)
        self.catalogue = Catalogue(client, page=page)
        """The documents, the collections and the store's bookkeeping (vectorstore.catalogue)."""
        self.lease = self.catalogue.lease
        """Held by every write (vectorstore.lease)."""
        self.search = PassageSearch(
            client, self._passage_rows, self.catalogue, self.encoder, word_index_dir, page=page
        )
        """Finds passages by meaning and by words (vectorstore.search)."""
        self._writer = Writer(
            self._passage_rows, self.catalogue, self.encoder, self.search, page=page
        )

    def _open(self, function: EmbeddingFunction[Documents] | None) -> Collection:
        model_id = self.encoder.model_id
        existing = {c.name: c for c in self.client.list_collections()}
        if PASSAGES in existing:
            built_with = (existing[PASSAGES].metadata or {}).get("embedding_model")
            if built_with != model_id:
                raise ModelMismatchError(_mismatch_message(repr(built_with), model_id))
        try:
            collection = self.client.get_or_create_collection(
                PASSAGES,
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

    # -- reading ---------------------------------------------------------------------------

    def document(self, document_id: str) -> Document | None:
        """One stored document with its full text, or None."""
        return self.catalogue.document(document_id)

    def documents(self, *, with_text: bool = True) -> list[Document]:
        """Every stored document, by date then title; `with_text=False` leaves texts empty (a
        catalogue of a large library without loading every document)."""
        return self.catalogue.documents(with_text=with_text)

    def documents_by_id(self, ids: Iterable[str]) -> dict[str, Document]:
        """Those of these documents that are stored, by id, with their texts."""
        return self.catalogue.documents_by_id(ids)

    def document_ids(self) -> list[str]:
        """The id of every stored document."""
        return self.catalogue.document_ids()

    def dated_between(self, since: str | None, until: str | None) -> set[str]:
        """The ids of the documents dated within [since, until] (ISO; either end may be open)."""
        return self.catalogue.dated_between(since, until)

    def collections(self) -> dict[str, list[str]]:
        """Every collection by name, with the ids of its documents."""
        return self.catalogue.collections()

    def members(self, name: str) -> list[str]:
        """A collection's documents; a `StoreError` naming the collections if it is none."""
        return self.catalogue.members(name)

    def passage_count(self) -> int:
        """How many passages are stored."""
        return self._passage_rows.count()

    def is_empty(self) -> bool:
        """Whether no passage is stored (a new store, or one emptied)."""
        return self.passage_count() == 0

    # -- searching -------------------------------------------------------------------------

    def by_meaning(
        self, vector: Sequence[float], *, k: int, within: Set[str] | None = None
    ) -> Ranking:
        """The `k` passages nearest `vector`, best first (only those of the documents `within`,
        if given)."""
        return self.search.by_meaning(vector, k=k, within=within)

    def by_words(self, words: list[str], *, k: int, within: Set[str] | None = None) -> Ranking:
        """The `k` passages best matching the search terms `words` by BM25, best first."""
        return self.search.by_words(words, k=k, within=within)

    def documents_with(self, words: list[str]) -> set[str]:
        """The documents with a passage (or a title) holding any of the search terms `words`."""
        return self.search.documents_with(words)

    def passages(self, ids: Sequence[str], vector: Sequence[float]) -> list[Passage]:
        """The passages with these ids, in order, with their documents and their similarity to
        `vector` (any whose document has changed since the search are left out)."""
        return self.search.passages(ids, vector)

    # -- writing ---------------------------------------------------------------------------

    def ingest(
        self,
        document: Document,
        *,
        origin: str | None = None,
        replace: bool = False,
        progress: Progress | None = None,
    ) -> IngestResult:
        """Add or replace one document. Re-ingesting an unchanged document changes nothing.

        A different text under a stored document's id replaces it only when asked (`replace`)
        or when it comes from the same file (`origin`, a path); otherwise
        `DocumentConflictError`. An interrupted ingest leaves a mark that `finish_interrupted`
        follows to make the document whole again, or absent. `progress` hears (passages
        embedded, passages to embed).
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
        """`ingest` for several documents (each with its origin) at once, one result each: their
        passages are embedded together and each kind of row is written once for all, which is
        what makes a large ingest run at the embedding model's speed. A document that may not
        replace the stored one gets its `DocumentConflictError` and the others go in. Ids must
        differ. The word index takes in the change before this returns."""
        return self._writer.ingest_many(documents, replace=replace, progress=progress)

    def delete(self, *document_ids: str) -> list[str]:
        """Remove documents and all their passages (orphans of an interrupted ingest too);
        returns those there was something of."""
        return self._writer.delete(document_ids)

    def add_to_collection(self, name: str, document_ids: Iterable[str]) -> list[str]:
        """Put documents in a collection, creating it; returns its members."""
        return self.catalogue.add_to_collection(name, document_ids)

    def remove_from_collection(
        self, name: str, document_ids: Iterable[str] | None = None
    ) -> list[str]:
        """Take documents out of a collection (returns the rest), or delete it when
        `document_ids` is None (its documents stay; returns [])."""
        return self.catalogue.remove_from_collection(name, document_ids)

    def note(self, key: str) -> str | None:
        """Text the layers above keep in the store under `key` (vectorstore.catalogue), or None."""
        return self.catalogue.note(key)

    def put_note(self, key: str, text: str) -> None:
        """Keep `text` under `key`, for every replica sharing the store."""
        self.catalogue.put_note(key, text)

    # -- consistency ------------------------------------------------------------------------

    def recover(self) -> None:
        """Undo what a process that is gone left behind: its lease, and its interrupted ingests.
        For the one process that owns an embedded store's folder (a Chroma server may have
        another replica in mid-ingest)."""
        self.lease.clear()
        self._writer.finish_interrupted()

    def finish_interrupted(self) -> list[str]:
        """Make whole, or take out, every document an interrupted ingest left half-written;
        returns their ids."""
        return self._writer.finish_interrupted()

    def verify(self, *, repair: bool = False) -> list[str]:
        """Check every document against its passages; one line per problem found (and, with
        `repair`, fixed). Reads every passage's metadata: seconds for a large library."""
        return self._writer.verify(repair=repair)


def _mismatch_message(built_with: str, model_id: str) -> str:
    return (
        f"this index was built with embedding model {built_with}, but archive-qa is set to use "
        f"{model_id!r}; vectors from different models cannot be compared. Rebuild it: "
        "`archive-qa reset --yes`, then `archive-qa ingest` your documents again (or set "
        "ARCHIVE_QA_EMBEDDING_MODEL or ARCHIVE_QA_EMBEDDING_URL back)."
    )
