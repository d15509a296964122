"""Embeddings from an OpenAI-compatible /v1/embeddings server (ARCHIVE_QA_EMBEDDING_URL), over real
HTTP to a small local server (tests/embeddings_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.assembly import open_archive
from qa.settings import Settings
from tests.conftest import FRUS, make_settings
from tests.embeddings_server import EmbeddingsServer, embeddings_server
from tests.pdfs import text_pdf
from vectorstore.documents import load_document
from vectorstore.errors import ModelMismatchError, StoreError


@pytest.fixture
def remote() -> Iterator[EmbeddingsServer]:
    with embeddings_server() as server:
        yield server


def _settings(data_dir: Path, server: EmbeddingsServer) -> Settings:
    return make_settings(
        data_dir, archive_qa_embedding_url=server.base_url,
        archive_qa_embedding_server_model="all-MiniLM-L6-v2",
    )  # fmt: skip


def test_an_index_embedded_by_a_server_answers_with_checked_citations(
    remote: EmbeddingsServer, tmp_path: Path
) -> None:
    archive = open_archive(_settings(tmp_path, remote))  # the telegram goes in through the server
    archive.store.ingest(load_document(FRUS / "0001.txt"))
    assert remote.batches and max(remote.batches) <= 32
    embedded = sum(remote.batches)
    answer = archive.ask("Who would train the Chinese pilots?")
    assert "with the help of our pilots" in answer.answer
    assert sum(remote.batches) == embedded + 1  # the question, embedded there too
    for citation in answer.citations:
        assert (
            archive.text_of(citation.document_id)[citation.start : citation.end] == citation.quote
        )


def test_an_index_from_a_server_is_not_searched_with_another_model(
    remote: EmbeddingsServer, tmp_path: Path
) -> None:
    open_archive(_settings(tmp_path, remote))
    message = r"'openai-compatible:all-MiniLM-L6-v2', but archive-qa is set to use 'all-MiniLM"
    with pytest.raises(ModelMismatchError, match=message):
        open_archive(make_settings(tmp_path))


def test_a_server_that_fails_is_named_with_what_to_do(
    remote: EmbeddingsServer, tmp_path: Path
) -> None:
    archive = open_archive(_settings(tmp_path, remote))
    remote.failing = True
    with pytest.raises(
        StoreError,
        match=r"embeddings server at http://127.0.0.1:\d+/v1 failed: HTTP 503.*unset ARCHIVE_QA_EMBEDDING_URL",
    ):
        archive.store.ingest(load_document(FRUS / "0001.txt"))
    assert archive.store.document_ids() == ["document-110692"]  # nothing half-written
    assert archive.store.verify() == []
    # Uploaded, each file says why it is not in: the batch's failure, or its own.
    told = archive.library.add_uploads(
        [("scan.pdf", text_pdf([])), ("0001.txt", (FRUS / "0001.txt").read_bytes())]
    )
    assert [a.status for a in told] == ["failed", "failed"]
    assert "no text layer" in str(told[0].error) and "HTTP 503" in str(told[1].error)
