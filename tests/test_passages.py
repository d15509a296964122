"""Passages and sentences: offsets into the stored text, and sentence boundaries."""

from __future__ import annotations

from vectorstore.documents import Document
from vectorstore.passages import split_document
from vectorstore.text import split_sentences


def test_every_passage_is_the_stored_text_at_its_offsets(seed: Document) -> None:
    passages = split_document(seed)
    assert passages
    for passage in passages:
        assert seed.text[passage.start : passage.end] == passage.text
        assert passage.document_id == seed.id
        assert seed.section_at(passage.start) == passage.section
        assert len(passage.text) <= 350 or len(split_sentences(passage.text)) == 1


def test_passage_ids_depend_only_on_content(seed: Document) -> None:
    assert [c.id for c in split_document(seed)] == [c.id for c in split_document(seed)]


def test_the_offer_sentence_is_one_sentence(seed: Document) -> None:
    spans = split_sentences(seed.text)
    sentences = [seed.text[s.start : s.end] for s in spans]
    assert (
        "If you have made such a decision, then we are ready to send you a division of jet "
        "fighter planes—124 pieces for covering these troops." in sentences
    )


def test_abbreviations_and_list_numbers_do_not_end_sentences() -> None:
    text = (
        '"1. The English appealed.\n\nMr. Acheson met Gen. Bradley at 3 p.m. today. Then he left.'
        " Telegram 1000 of June 29, 1 a. m., reported it."
    )
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    assert sentences == [
        '"1. The English appealed.',
        "Mr. Acheson met Gen. Bradley at 3 p.m. today.",
        "Then he left.",
        "Telegram 1000 of June 29, 1 a. m., reported it.",  # FRUS spaces its times
    ]
