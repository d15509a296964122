"""Assembly: settings -> store, retriever, answerer and chain, put together once per process."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib.resources import files
from pathlib import Path

from chromadb.api import ClientAPI
from langchain_core.runnables import Runnable

from qa.answer import (
    Answer,
    Answerer,
    Ask,
    Asker,
    Condenser,
    Proposer,
    Scope,
    Streamed,
    Turn,
    check_question,
    final_answer,
)
from qa.chain import build_chain
from qa.followups import WordCondenser
from qa.library import Library
from qa.offline import ExtractiveAnswerer
from qa.retrieval import ArchiveRetriever
from qa.settings import Settings
from qa.sourcing import ProvenanceAnswerer
from qa.study import Skill, StructuralProposer, StudyPack, StudyQuestion, study_pack
from qa.study.edits import StudyEdits, apply_edits, check_added, load_edits, save_edits
from vectorstore.client import connect, reset
from vectorstore.documents import Document, load_document
from vectorstore.encoders import RememberingEncoder, shared_encoder
from vectorstore.owner import announce, owner_of, withdraw
from vectorstore.passages import Passage
from vectorstore.privacy import privacy_of
from vectorstore.remote_embeddings import RemoteEncoder
from vectorstore.store import IngestResult, Store

BUNDLED_DOCUMENT = "000_75e4e0694aac02d8.txt"
# Documents whose names a quiz may borrow as wrong choices (qa.study.quiz).
_BESIDE = 12
_AT_ONCE = max(1, (os.cpu_count() or 1) // 2)  # the embedding model uses every core already
BUNDLED_DOCUMENT_ID = "document-110692"
"""The id the bundled telegram is stored under (from its archive URL)."""


@dataclass
class Archive:
    """An opened archive: its store and what answers questions over it."""

    store: Store
    retriever: ArchiveRetriever
    answerer: Answerer
    condenser: Condenser = field(default_factory=WordCondenser)
    proposer: Proposer = field(default_factory=StructuralProposer)
    """Proposes study questions about a document (qa.study)."""
    _study_packs: dict[str, tuple[int, StudyPack]] = field(default_factory=dict, repr=False)
    # One study pack is made at a time: however many are asked for at once, they cost one core.
    _studying: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Offline answers are all computing: a few at a time, in the order asked, so that under a
    # class's load the first asked are answered first instead of all together at the end.
    _computing: threading.Semaphore = field(
        default_factory=lambda: threading.Semaphore(_AT_ONCE), repr=False
    )

    @property
    def library(self) -> Library:
        """Listing, adding, grouping and removing documents (qa.library)."""
        return Library(self.store)

    @cached_property
    def chain(self) -> Runnable[Ask | str, Streamed]:
        """The whole ask as one runnable (qa.chain), built once: stream it with a question or an
        `Ask` for each verified sentence then the `Answer`, invoke it for the `Answer`, or pipe
        it into other chains."""
        return build_chain(self.retriever, self.answerer, self.condenser)

    def ask(
        self, question: str, history: Sequence[Turn] = (), scope: Scope | None = None
    ) -> Answer:
        """Answer one question with verified citations (or an abstention).

        `history` is the conversation so far: a follow-up ("And how long would that take?") is
        read as the question it stands for, and the answer's notice says so. `scope` limits the
        documents searched.
        """
        return final_answer(self.stream(question, history, scope))

    def stream(
        self, question: str, history: Sequence[Turn] = (), scope: Scope | None = None
    ) -> Iterator[Streamed]:
        """`ask`, a sentence at a time: each sentence of the answer once its citations are
        verified (as the model writes it, in LLM mode), then the whole `Answer`."""
        parts = self.chain.stream(Ask(question=question, history=tuple(history), scope=scope))
        if self.answerer.mode == "llm":
            return parts  # mostly waiting on the model, whose slots bound it (qa.llm.slots)
        return _in_turn(parts, self._computing)

    def study(self, document: Document) -> StudyPack:
        """The study materials for `document`: made once per version of its text and of the
        library it is compared with (making them asks a score of questions, seconds offline)
        and kept for the page and the API alike."""
        version = self._version(document)
        with self._studying:
            kept = self._study_packs.get(document.id)
            if kept is None or kept[0] != version:
                asker, library = self._as_its_readers(document)
                beside = self._beside(document, library)
                kept = version, study_pack(asker, self.proposer, document, beside)
                self._study_packs[document.id] = kept
        return kept[1]

    def studied(self, document: Document) -> StudyPack | None:
        """The study materials for this version of `document`, if they have been made."""
        kept = self._study_packs.get(document.id)
        return kept[1] if kept is not None and kept[0] == self._version(document) else None

    def study_as_edited(self, document: Document, collection: str | None = None) -> StudyPack:
        """The study materials for `document` as its teacher left them for `collection` (or
        for every course): items hidden, reworded, reordered, and their own questions."""
        return apply_edits(
            self.study(document), self.study_edits(document.id, collection), document
        )

    def study_edits(self, document_id: str, collection: str | None = None) -> StudyEdits:
        """A teacher's edits of a document's study materials (qa.study.edits)."""
        return load_edits(self.store, document_id, collection)

    def save_study_edits(
        self, document_id: str, edits: StudyEdits, collection: str | None = None
    ) -> None:
        """Keep a teacher's edits (where every replica sharing the store finds them)."""
        save_edits(self.store, document_id, edits, collection)

    def add_study_question(
        self, document: Document, question: str, skill: Skill, collection: str | None = None
    ) -> StudyQuestion:
        """Check a teacher's own question (answered from the document, or a prompt with the
        passages found) and add it to the document's study materials; `QuestionError` when the
        document has nothing on it."""
        added = check_added(self._as_its_readers(document)[0], document, question, skill)
        edits = self.study_edits(document.id, collection)
        edits.added.append(added)
        self.save_study_edits(document.id, edits, collection)
        return added

    def _version(self, document: Document) -> int:
        # Corroboration and context questions quote the other documents, and the quiz takes
        # wrong names from a collection: a pack made before one changed is made again.
        # The store's change counter, not a listing of every document: this runs per request.
        changed = self.store.catalogue.generation()
        grouped = frozenset((n, frozenset(ids)) for n, ids in self.store.collections().items())
        return hash((document.text, changed, grouped))

    def library_of(self, member_of: str | None) -> Library:
        """The library as a member of the private collection `member_of` sees it (as anyone
        sees it, for None)."""
        return self.library.for_members_of(member_of) if member_of else self.library

    def _as_its_readers(self, document: Document) -> tuple[Asker, Library]:
        """The archive and the library as the readers of `document` see them: a course's own
        document, as the course's members do (its study materials are made of what they see)."""
        member_of = privacy_of(self.store).owner_of(document.id)
        if member_of is None:
            return self, self.library
        return _Member(self, member_of), self.library_of(member_of)

    def _beside(self, document: Document, library: Library) -> list[Document]:
        """The documents a document is studied beside, of those `library` shows: those of its
        collections, else those of its year; a dozen at most."""
        grouped = library.collections().values()
        near = {i for members in grouped if document.id in members for i in members}
        if not near and document.date:
            year = document.date[:4]
            near = set(self.store.dated_between(year, year)) & set(library.document_ids())
        chosen = sorted(near - {document.id})[:_BESIDE]
        return list(library.documents_by_id(chosen).values())

    def documents(self) -> list[Document]:
        """Every document, without its text (qa.library)."""
        return self.library.documents()

    def retrieve(self, question: str, scope: Scope | None = None) -> list[Passage]:
        """The passages the answerer would read for `question` (within `scope`, if given)."""
        return self.retriever.find(check_question(question), scope)

    def text_of(self, document_id: str) -> str | None:
        document = self.store.document(document_id)
        return document.text if document else None


def _in_turn(parts: Iterator[Streamed], turn: threading.Semaphore) -> Iterator[Streamed]:
    """`parts` of an offline answer, its work (all done for the first part) in `turn`."""
    with turn:
        first = next(parts, None)
    if first is not None:
        yield first
        yield from parts


def bundled_document() -> Path:
    """The telegram that ships with archive-qa as its default document."""
    return Path(str(files("vectorstore") / "data" / BUNDLED_DOCUMENT))


def open_client(settings: Settings) -> ClientAPI:
    """The Chroma client the settings point at (a Chroma server, or the data folder)."""
    return connect(
        data_dir=settings.archive_qa_data_dir, host=settings.chroma_host, port=settings.chroma_port
    )


def open_store(settings: Settings) -> Store:
    """The store the settings point at; an embedded one is first made whole again if an ingest
    was interrupted there (a Chroma server may have another replica in mid-ingest)."""
    store = Store(
        open_client(settings),
        word_index_dir=settings.archive_qa_data_dir / "word-index",
        model=settings.archive_qa_embedding_model,
        encoder=remote_encoder(settings),
    )
    if not settings.chroma_host:  # this process owns the folder: nothing else is writing
        store.recover()
    return store


def remote_encoder(settings: Settings) -> RemoteEncoder | None:
    """The embeddings server's encoder, when one is configured (else the bundled model embeds)."""
    if not settings.archive_qa_embedding_url:
        return None
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return RemoteEncoder(
        settings.archive_qa_embedding_url, settings.archive_qa_embedding_server_model,
        api_key=key,
    )  # fmt: skip


def reset_store(settings: Settings) -> None:
    """Empty the store the settings point at (to rebuild it, e.g. with another model)."""
    reset(open_client(settings))


def announce_server(settings: Settings, *, url: str, token: str) -> None:
    """Leave the serving process's address and admin token in the store's folder, so that the
    command line goes through it (vectorstore.owner); nothing to do with a Chroma server."""
    if not settings.chroma_host:
        announce(settings.archive_qa_data_dir, url=url, token=token)


def withdraw_server(settings: Settings) -> None:
    """Take the serving process's note out of the store's folder as it stops."""
    if not settings.chroma_host:
        withdraw(settings.archive_qa_data_dir)


def admin_token(settings: Settings) -> str | None:
    """The admin token of the server now serving the store the settings point at: the one the
    settings fix (ARCHIVE_QA_ADMIN_TOKEN, for replicas), else the one it left in the folder."""
    if settings.archive_qa_admin_token:
        return settings.archive_qa_admin_token.get_secret_value()
    return None if settings.chroma_host else owner_of(settings.archive_qa_data_dir).token


def server_url(settings: Settings) -> str | None:
    """The address of the server now serving the store's folder, as it left it there."""
    return None if settings.chroma_host else owner_of(settings.archive_qa_data_dir).url


@dataclass(frozen=True)
class _Member:
    """An archive asked as a member of the private collection `member_of` asks it."""

    archive: Archive
    member_of: str

    def documents(self) -> list[Document]:
        return self.archive.library_of(self.member_of).documents()

    def ask(
        self, question: str, history: Sequence[Turn] = (), scope: Scope | None = None
    ) -> Answer:
        return self.archive.ask(question, history, self._seen(scope))

    def stream(
        self, question: str, history: Sequence[Turn] = (), scope: Scope | None = None
    ) -> Iterator[Streamed]:
        return self.archive.stream(question, history, self._seen(scope))

    def _seen(self, scope: Scope | None) -> Scope:
        return replace(scope or Scope(), member_of=self.member_of)


def open_library(settings: Settings) -> Library:
    """The library of the store the settings point at (for commands that do not ask)."""
    return Library(open_store(settings))


def ensure_default_document(store: Store) -> IngestResult | None:
    """On an empty store, ingest the bundled telegram so a new user can ask at once."""
    if not store.is_empty():
        return None
    return store.ingest(load_document(bundled_document()))


def choose_answerer(settings: Settings, store: Store) -> tuple[Answerer, Condenser, Proposer]:
    """The answerer (a model when one is configured, else offline; questions about a document
    as a source answered from its fields either way), follow-up reader and study-question
    proposer."""
    # Sentences are met again and again by questions about the same documents. The reader was
    # fitted on MiniLM similarities, whatever model the index uses.
    extractive = ExtractiveAnswerer(
        RememberingEncoder(shared_encoder()),
        rescore_passages=(
            settings.archive_qa_embedding_model != "minilm"
            or bool(settings.archive_qa_embedding_url)
        ),
    )
    if not settings.llm_configured:
        return ProvenanceAnswerer(extractive, store), WordCondenser(), StructuralProposer()
    from qa.llm import LLMAnswerer, ModelCondenser, ModelProposer, chat_model  # only when used

    model = chat_model(settings)
    answerer = LLMAnswerer(
        model, fallback=extractive, max_passages=settings.archive_qa_llm_passages,
        at_once=settings.archive_qa_llm_concurrency, encoder=extractive.encoder,
    )  # fmt: skip
    return (
        ProvenanceAnswerer(answerer, store),
        ModelCondenser(model, fallback=WordCondenser()),
        ModelProposer(model, fallback=StructuralProposer()),
    )


def open_archive(settings: Settings, store: Store | None = None) -> Archive:
    """Open (and on first use, seed) the archive and assemble its answering chain."""
    store = store or open_store(settings)
    ensure_default_document(store)
    answerer, condenser, proposer = choose_answerer(settings, store)
    retriever = ArchiveRetriever(store=store, k=settings.archive_qa_top_k)
    return Archive(
        store=store, retriever=retriever, answerer=answerer, condenser=condenser,
        proposer=proposer,
    )  # fmt: skip
