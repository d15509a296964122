"""Hybrid retrieval: dense and word rankings fused, so either one alone can bring a passage in."""

from __future__ import annotations

from pathlib import Path

from qa.answer import Scope
from qa.assembly import Archive, ensure_default_document
from qa.retrieval import ArchiveRetriever, fuse_rankings
from tests.fake_encoder import HashingEncoder, quick_archive
from vectorstore.client import connect
from vectorstore.store import Store


def test_fusion_rewards_agreement_and_keeps_first_places() -> None:
    # a: 1/11 + 1/13, b: 2/12, d: 1/11, c: 1/13
    assert fuse_rankings([["a", "b", "c"], ["d", "b", "a"]], k=10) == ["a", "b", "d", "c"]


def test_every_retrieved_passage_carries_its_cosine_score(archive: Archive) -> None:
    documents = archive.retriever.invoke("Molotov copies")
    assert documents
    assert any("Molotov" in d.page_content for d in documents)
    for d in documents:
        assert -1.0 <= d.metadata["score"] <= 1.0


def test_a_scoped_retriever_searches_its_scope_unless_a_question_brings_its_own(
    archive: Archive,
) -> None:
    before_1900 = archive.retriever.scoped(Scope(until="1900"))
    assert before_1900.find("Who would train the Chinese pilots?") == []
    assert before_1900.invoke("Who would train the Chinese pilots?") == []
    asked_in_1950 = before_1900.find("Who would train the pilots?", Scope(since="1950"))
    assert asked_in_1950 and asked_in_1950[0].document_id == "document-110692"


def test_a_question_naming_someone_searches_only_documents_that_mention_them(
    eval_archive: Archive,
) -> None:
    passages = eval_archive.retrieve("What happened to Dr. Wallace?")
    assert passages
    assert all("Wallace" in p.document.text for p in passages)


def test_a_question_asked_again_is_not_embedded_again(tmp_path: Path) -> None:
    archive = quick_archive(tmp_path)
    encoder = archive.store.encoder
    assert isinstance(encoder, HashingEncoder)
    first = [p.id for p in archive.retriever.find("Who would train the Chinese pilots?")]
    embedded = encoder.texts
    assert [p.id for p in archive.retriever.find("Who would train the Chinese pilots?")] == first
    assert encoder.texts == embedded
    archive.retriever.find("Who would train the Korean pilots?")
    assert encoder.texts == embedded + 1
    # Remembered by model: another model embeds the question itself.
    other = OtherModel()
    store = Store(connect(data_dir=tmp_path / "other"), encoder=other)
    ensure_default_document(store)
    ArchiveRetriever(store=store).find("Who would train the Chinese pilots?")
    assert other.texts == store.passage_count() + 1  # the telegram's passages, the question


class OtherModel(HashingEncoder):
    model_id = "hashing-test-other"
