"""Questions about a document as a source, answered from the record's own fields."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qa.answer import Answer, Scope
from qa.assembly import Archive
from qa.sourcing.fields import Aspect
from qa.sourcing.provenance import _kinds_of, answer_provenance, read_provenance
from tests.conftest import FRUS, FRUS_BULK_PICKS
from vectorstore.documents import Document, load_document, parse_document
from vectorstore.passages import split_document

TELEGRAM = "document-110692"


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("Who sent the telegram?", Aspect.AUTHOR),
        ("Under what name was the telegram signed?", Aspect.AUTHOR),
        ("By whom was the report written?", Aspect.AUTHOR),
        ("To whom was the telegram addressed?", Aspect.RECIPIENT),
        ("Who were the intended recipients?", Aspect.RECIPIENT),
        ("Who was the message sent to?", Aspect.RECIPIENT),
        ("On what date was this message sent?", Aspect.DATE),
        ("When did Hay write to Choate?", Aspect.DATE),
        ("In which language was the document originally written?", Aspect.LANGUAGE),
        ("Where is the original kept?", Aspect.ARCHIVE),
        ("Which archive holds this telegram?", Aspect.ARCHIVE),
        ("What kind of document is this?", Aspect.KIND),
        ("From which city was the despatch sent?", Aspect.PLACE),
        ("Where was the ambassador writing from?", Aspect.PLACE),
    ],
)
def test_the_wording_says_which_fact_about_the_source_is_asked(
    question: str, aspect: Aspect
) -> None:
    asked = read_provenance(question)
    assert asked is not None and asked.aspect is aspect


@pytest.mark.parametrize(
    "question",
    [
        # About what the document says, not about the document.
        "Who sent troops to the border, according to the telegram?",
        "Who received copies of the telegram?",
        "Who wrote the analysis the consul praised?",
        "Where was the meeting held?",
        "What kind of treaty did they sign?",
        "When did the Chinese enter Korea?",
        "By whom did Third Party believe Mao was being held in duress?",
    ],
)
def test_questions_about_the_content_are_not_read_as_provenance(question: str) -> None:
    assert read_provenance(question) is None


@pytest.mark.parametrize(
    ("question", "said", "quoted"),
    [
        ("Under what name was the telegram signed?", "signed", "FILIPPOV [Stalin]"),
        ("Who sent the telegram?", "sender", "Filippov [Stalin]"),
        (
            "Who were the intended recipients?",
            "addressee",
            "Zhou Enlai or Mao Zedong (via Roshchin)",
        ),
        ("On what date was this message sent?", "dated", "July 13, 1950"),
        ("In which language was the document originally written?", "original", "Russian"),
        (
            "Where is the original kept?",
            "archival citation",
            "Wilson Center Digital Archive, APRF, Fond 45, Opis 1, Delo 331, List 85;",
        ),
        ("What kind of document is this?", "title calls it", "Ciphered telegram"),
    ],
)
def test_a_sourcing_question_is_answered_from_the_field_that_states_it(
    archive: Archive, question: str, said: str, quoted: str
) -> None:
    answer = archive.ask(question)
    assert not answer.abstained, answer.answer
    assert said in answer.answer
    assert any(c.quote.startswith(quoted) for c in answer.citations)
    for c in answer.citations:
        text = archive.text_of(c.document_id)
        assert text is not None and text[c.start : c.end] == c.quote


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("Who wrote it?", Aspect.AUTHOR),
        ("Who signed this?", Aspect.AUTHOR),
        ("Who is it from?", Aspect.AUTHOR),
        ("When was it written?", Aspect.DATE),
        ("When was this sent?", Aspect.DATE),
        ("Who was it sent to?", Aspect.RECIPIENT),
        ("Who received it?", Aspect.RECIPIENT),
        ("What language was it written in?", Aspect.LANGUAGE),
        ("Where is it kept?", Aspect.ARCHIVE),
    ],
)
def test_a_first_question_that_says_it_for_the_document_is_about_the_source(
    archive: Archive, question: str, aspect: Aspect
) -> None:
    asked = read_provenance(question)
    assert asked is not None and asked.aspect is aspect
    answer = archive.ask(question)  # one document in the library: "it" is the telegram
    assert not answer.abstained, answer.answer
    assert {c.document_id for c in answer.citations} == {TELEGRAM}


def test_a_field_the_record_does_not_have_is_an_abstention_that_says_so(archive: Archive) -> None:
    # The telegram's record has no dateline: where it was written is not stated.
    answer = archive.ask("From which city was the telegram sent?")
    assert answer.abstained
    assert "does not state where it was written" in answer.answer


@pytest.mark.parametrize(
    ("path", "aspect", "quoted"),
    [
        (FRUS / "0011.txt", Aspect.AUTHOR, "K. L. Rankin"),
        (FRUS / "0011.txt", Aspect.PLACE, "Taipei"),
        (FRUS / "0034.txt", Aspect.KIND, "Telegram"),
        (FRUS / "0003.txt", Aspect.RECIPIENT, "the Senior Staff of the National Security Council"),
        (FRUS / "0003.txt", Aspect.ARCHIVE, "NSC–S/S Files: Lot 63 D 351: NSC 81 Series"),
        # No date line in the layout: the date the text itself ends with.
        (FRUS_BULK_PICKS / "frus1917Supp02v02-0386.txt", Aspect.DATE, "August 13, 1917"),
        # "Respectfully yours, / For the Ambassador: / Robert M. Scotten / Counselor of Embassy"
        (FRUS_BULK_PICKS / "frus1934v05-0044.txt", Aspect.AUTHOR, "Robert M. Scotten"),
    ],
)
def test_frus_records_answer_from_title_signature_dateline_and_source_note(
    path: Path, aspect: Aspect, quoted: str
) -> None:
    document = load_document(path)
    answer = _answer_from(document, aspect)
    assert not answer.abstained, answer.answer
    assert quoted in [c.quote for c in answer.citations]


def test_frus_records_do_not_state_an_original_language_so_none_is_guessed() -> None:
    answer = _answer_from(load_document(FRUS / "0034.txt"), Aspect.LANGUAGE)
    assert answer.abstained and "does not state its original language" in answer.answer


@pytest.mark.parametrize("aspect", list(Aspect))
def test_plain_text_has_no_fields_so_every_sourcing_question_is_refused(aspect: Aspect) -> None:
    document = parse_document(
        "Notes from the archive visit.\n\nWashington, May 2, 1951.\n\nJohn Smith", source="n.txt"
    )
    assert _answer_from(document, aspect).abstained


def test_when_several_documents_could_be_meant_the_answer_asks_which_one(
    eval_archive: Archive,
) -> None:
    answer = eval_archive.ask("When was the telegram sent?")
    assert answer.abstained and answer.citations == []
    telegrams = [r for r in eval_archive.store.documents(with_text=False) if "elegram" in r.title
                 or "elegram" in " ".join(r.extra.values())]  # fmt: skip
    assert f"{len(telegrams)} documents in scope could be the telegram you mean" in answer.answer
    assert "Ask again naming one (its title, sender or date)" in answer.answer
    scoped = eval_archive.ask(
        "When was the telegram sent?", scope=Scope(documents=frozenset({TELEGRAM}))
    )
    assert not scoped.abstained and scoped.citations[0].quote == "July 13, 1950"


def test_a_question_that_describes_its_document_is_answered_for_that_one(
    eval_archive: Archive,
) -> None:
    answer = eval_archive.ask("Who signed the letter from Taipei to Clubb?")
    assert [c.quote for c in answer.citations][:1] == ["K. L. Rankin"]
    assert answer.answer.startswith("About “The Chargé in the Republic of China (Rankin)")


def _answer_from(document: Document, aspect: Aspect) -> Answer:
    question = {
        Aspect.AUTHOR: "Who signed the document?",
        Aspect.RECIPIENT: "To whom was the document addressed?",
        Aspect.DATE: "What is the date of the document?",
        Aspect.PLACE: "From which city was the document sent?",
        Aspect.LANGUAGE: "In what language was the document originally written?",
        Aspect.ARCHIVE: "Where is the original kept?",
        Aspect.KIND: "What kind of document is this?",
    }[aspect]
    asked = read_provenance(question)
    assert asked is not None and asked.aspect is aspect
    passages = [replace(p, score=1.0) for p in split_document(document)[:1]]
    return answer_provenance(asked, question, passages, lambda: [document], lambda _: document)


def test_a_document_retitled_under_the_same_id_is_weighed_as_its_new_kind(seed: Document) -> None:
    # The kinds each document says it is are remembered; a new version must be read anew.
    assert "telegram" in _kinds_of(seed)
    retitled = replace(seed, title="Memorandum, Filippov to Zhou Enlai", summary="A memorandum.")
    assert "telegram" not in _kinds_of(retitled) and "memorandum" in _kinds_of(retitled)
    assert "telegram" in _kinds_of(seed)
