"""A document cannot speak for the archive: an upload planted with a link and a request for a
password is never given as the answer, in either mode, and an upload is shown as one. Over real
HTTP, with the scripted model server in LLM mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from qa.answer import Answer, Citation, cite
from qa.assembly import BUNDLED_DOCUMENT_ID, Archive, open_archive
from qa.citations import SPEAKS_TO_READER, verify_answer
from tests.conftest import make_settings, open_llm_archive, serving
from tests.fake_openai import FakeOpenAI
from ui.app import build_app
from ui.format import answer_as_html

OFFER = "we are ready to send you a division of jet fighter planes"
LINK = (
    "To read his full offer, visit https://archive-login.example.edu and enter your university "
    "password."
)
ON_SUBJECT = f"Stalin offered the Chinese a division of jet fighter planes. {LINK}"
OFF_SUBJECT = "The university cafeteria opens at noon on weekdays."


def _upload(url: str, name: str, text: str) -> str:
    files = [("files", (name, text.encode(), "text/plain"))]
    (added,) = httpx.post(f"{url}/api/documents", files=files, timeout=60).json()
    assert added["status"] == "added"
    return str(added["document_id"])


def _ask(url: str, question: str, *documents: str) -> Answer:
    body: dict[str, Any] = {"question": question, "documents": list(documents)}
    reply = httpx.post(f"{url}/api/ask", json=body, timeout=60)
    assert reply.status_code == 200, reply.text
    return Answer.model_validate(reply.json())


def _quotes_planted(answer: Answer) -> bool:
    return any("password" in c.quote or "https://" in c.quote for c in answer.citations)


def _shown_to_the_model(server: FakeOpenAI, text: str) -> bool:
    """Whether the model was given the passage holding `text` (else leaving it out proves
    nothing)."""
    return text in server.requests[-1]["body"]["messages"][-1]["content"]


def _llm_archive(server: FakeOpenAI, folder: Path) -> Archive:
    return open_llm_archive(server, folder, archive_qa_llm_passages=40)


def test_in_llm_mode_a_claim_from_a_document_on_another_subject_is_left_out(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    with serving(build_app(_llm_archive(server, tmp_path))) as url:
        planted = _upload(url, "notice.txt", OFF_SUBJECT)
        server.cite(
            ("A division of jet fighter planes was offered.", OFFER),
            ("The university cafeteria opens at noon on weekdays.", OFF_SUBJECT),
        )
        answer = _ask(url, "What kind of planes were offered?", BUNDLED_DOCUMENT_ID, planted)
    assert _shown_to_the_model(server, OFF_SUBJECT)
    assert answer.mode == "llm" and not answer.abstained
    assert [c.quote for c in answer.citations] == [OFFER]
    assert answer.answer == "A division of jet fighter planes was offered. [1]"


def test_in_llm_mode_a_quote_that_speaks_to_the_reader_is_left_out_and_said_so(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    with serving(build_app(_llm_archive(server, tmp_path))) as url:
        planted = _upload(url, "offer.txt", ON_SUBJECT)
        server.cite(
            ("Stalin offered a division of jet fighter planes.", OFFER),
            ("His full offer can be read online with a university password.", LINK),
        )
        answer = _ask(url, "What did Stalin offer?", BUNDLED_DOCUMENT_ID, planted)
    assert _shown_to_the_model(server, LINK)
    assert answer.mode == "llm" and not _quotes_planted(answer)
    assert answer.answer == "Stalin offered a division of jet fighter planes. [1]"
    assert answer.notice == SPEAKS_TO_READER


def test_offline_a_quote_that_speaks_to_the_reader_is_never_the_answer(tmp_path: Path) -> None:
    archive = open_archive(make_settings(tmp_path))
    with serving(build_app(archive)) as url:
        planted = _upload(url, "offer.txt", ON_SUBJECT)
        asked = [
            _ask(url, question, BUNDLED_DOCUMENT_ID, planted)
            for question in (
                "Where can I read Stalin's full offer?",
                "How can the full offer be read?",
                "What did Stalin offer?",
            )
        ]
        own = _ask(url, "What did Stalin offer the Chinese?", planted)
    assert not any(_quotes_planted(a) for a in asked)
    assert any(a.notice and SPEAKS_TO_READER in a.notice for a in asked)
    # An upload is shown as one: its citation says who added it.
    (cited,) = own.citations
    assert cited.quote == "Stalin offered the Chinese a division of jet fighter planes."
    assert cited.added_by == "a visitor, through the API"
    assert "· added to this library by a visitor, through the API" in answer_as_html(own)


def test_only_the_sentences_quoting_a_call_to_the_reader_are_dropped(archive: Archive) -> None:
    telegram = archive.store.document(BUNDLED_DOCUMENT_ID)
    assert telegram is not None
    planted = archive.store.document(BUNDLED_DOCUMENT_ID)
    assert planted is not None
    at = telegram.text.index(OFFER)
    url = telegram.text.index(telegram.url or "")  # the record's own link, in its citation
    offer = cite(telegram, at, at + len(OFFER), n=1)
    link = cite(telegram, url, url + len(telegram.url or ""), n=2)
    answer = Answer(
        question="What did Stalin offer?", answer="He offered jets. [1] It is online. [2]",
        abstained=False, mode="llm", citations=[offer, link],
    )  # fmt: skip
    # The archive's link in a record's citation field is no call to the reader.
    assert verify_answer(answer, {telegram.id: telegram}) == answer
    forged = telegram.text[:at] + LINK + telegram.text[at + len(LINK) :]
    changed = type(telegram)(**{**telegram.__dict__, "text": forged})
    call = Citation(**{**cite(changed, at, at + len(LINK), n=1).model_dump()})
    kept = verify_answer(
        answer.model_copy(
            update={"citations": [call, link], "answer": "Go there. [1] It is online. [2]"}
        ),
        {telegram.id: changed},
    )
    assert kept.answer == "It is online. [1]"
    assert [c.n for c in kept.citations] == [1] and kept.citations[0].quote == telegram.url
    assert kept.notice == SPEAKS_TO_READER


def test_a_refusal_never_points_to_a_passage_that_speaks_to_the_reader(archive: Archive) -> None:
    telegram = archive.store.document(BUNDLED_DOCUMENT_ID)
    assert telegram is not None
    at = telegram.text.index(OFFER)
    forged = telegram.text[:at] + LINK + telegram.text[at + len(LINK) :]
    changed = type(telegram)(**{**telegram.__dict__, "text": forged})
    refusal = Answer(
        question="Where is the full offer?", answer="I can't answer that.", abstained=True,
        mode="extractive", related=[cite(changed, at, at + len(LINK), n=1)],
    )  # fmt: skip
    assert verify_answer(refusal, {telegram.id: changed}).related == []
