"""Assembly: settings -> store, retriever, answerer and chain, put together once per process."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from chromadb.api import ClientAPI
from langchain_core.runnables import Runnable

from qa.answer import Answer, check_question
from qa.chain import Answerer, build_chain
from qa.extractive import ExtractiveAnswerer
from qa.retrieval import ArchiveRetriever, Passage, to_passages
from qa.settings import Settings
from vectorstore.embeddings import shared_encoder
from vectorstore.records import load_record
from vectorstore.store import IngestResult, Store, connect

BUNDLED_DOCUMENT = "000_75e4e0694aac02d8.txt"


@dataclass
class Archive:
    """An opened archive: its store and the chain that answers questions over it."""

    store: Store
    chain: Runnable[str, Answer]
    retriever: ArchiveRetriever

    def ask(self, question: str) -> Answer:
        """Answer one question with verified citations (or an abstention)."""
        return self.chain.invoke(check_question(question))

    def retrieve(self, question: str) -> list[Passage]:
        """The passages the answerer would read for `question`."""
        return to_passages(self.retriever.invoke(check_question(question)), self.store)

    def text_of(self, document_id: str) -> str | None:
        record = self.store.record(document_id)
        return record.text if record else None


def bundled_document() -> Path:
    """The telegram that ships with archive-qa as its default document."""
    return Path(str(files("vectorstore") / "data" / BUNDLED_DOCUMENT))


def open_client(settings: Settings) -> ClientAPI:
    """The Chroma client the settings point at (a Chroma server, or the data folder)."""
    return connect(
        data_dir=settings.archive_qa_data_dir, host=settings.chroma_host, port=settings.chroma_port
    )


def open_store(settings: Settings) -> Store:
    """The store the settings point at."""
    return Store(open_client(settings))


def ensure_default_document(store: Store) -> IngestResult | None:
    """On an empty store, ingest the bundled telegram so a new user can ask at once."""
    if not store.is_empty():
        return None
    return store.ingest(load_record(bundled_document()))


def choose_answerer(settings: Settings) -> Answerer:
    """The LLM answerer when one is configured, else the offline extractive one."""
    extractive = ExtractiveAnswerer(shared_encoder())
    if not settings.llm_configured:
        return extractive
    from qa.llm import LLMAnswerer, chat_model  # the LLM stack loads only when it is used

    return LLMAnswerer(chat_model(settings), fallback=extractive)


def open_archive(settings: Settings, store: Store | None = None) -> Archive:
    """Open (and on first use, seed) the archive and assemble its answering chain."""
    store = store or open_store(settings)
    ensure_default_document(store)
    answerer = choose_answerer(settings)
    retriever = ArchiveRetriever(store=store, encoder=shared_encoder(), k=settings.archive_qa_top_k)
    return Archive(store=store, chain=build_chain(retriever, store, answerer), retriever=retriever)
