"""Hybrid retrieval: dense and word rankings fused, so either one alone can bring a passage in."""

from __future__ import annotations

from qa.assembly import Archive
from qa.retrieval import fuse_rankings


def test_fusion_rewards_agreement_and_keeps_first_places() -> None:
    # a: 1/11 + 1/13, b: 2/12, d: 1/11, c: 1/13
    assert fuse_rankings([["a", "b", "c"], ["d", "b", "a"]], k=10) == ["a", "b", "d", "c"]


def test_every_retrieved_passage_carries_its_cosine_score(archive: Archive) -> None:
    documents = archive.retriever.invoke("Molotov copies")
    assert documents
    assert any("Molotov" in d.page_content for d in documents)
    for d in documents:
        assert -1.0 <= d.metadata["score"] <= 1.0


def test_a_question_naming_someone_searches_only_documents_that_mention_them(
    eval_archive: Archive,
) -> None:
    passages = eval_archive.retrieve("What happened to Dr. Wallace?")
    assert passages
    assert all("Wallace" in p.document.text for p in passages)
