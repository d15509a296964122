"""Follow-up questions and scopes: a conversation is read as a whole, offline and with a model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.answer import Scope, Standalone, Turn
from qa.assembly import Archive, open_archive
from qa.followups import WordCondenser
from tests.conftest import make_settings
from tests.fake_openai import FakeOpenAI, fake_openai_server

OFFER = [Turn(role="user", content="What did Stalin offer?"), Turn(role="assistant", content="…")]


def test_a_follow_up_is_answered_about_what_came_before_offline(eval_archive: Archive) -> None:
    answer = eval_archive.ask("And how long would that take?", history=OFFER)
    assert not answer.abstained and answer.mode == "extractive"
    assert "two to three months" in answer.answer
    assert answer.citations[0].document_id == "document-110692"
    assert answer.question == "And how long would that take?"
    assert answer.notice == "Read as a follow-up to “What did Stalin offer?”."


def test_a_question_that_stands_alone_is_not_read_as_a_follow_up(eval_archive: Archive) -> None:
    answer = eval_archive.ask("Who is Filippov?", history=OFFER)
    assert answer.notice is None
    assert "Stalin" in answer.answer


@pytest.mark.parametrize(
    ("question", "leans"),
    [
        ("And how long would that take?", True),
        ("Why?", True),
        ("Who would train them?", True),
        ("What about the Shanghai divisions?", True),
        ("Who is Filippov?", False),
        ("How many jet fighters were offered?", False),
    ],
)
def test_the_offline_reading_carries_the_earlier_question_only_when_needed(
    question: str, leans: bool
) -> None:
    read = WordCondenser().condense(question, OFFER)
    assert (read.follows is not None) is leans
    if leans:
        assert read.follows == Standalone("What did Stalin offer?")
        assert read.text.endswith("(after: What did Stalin offer?)")


def test_chained_follow_ups_keep_the_first_question() -> None:
    history = [*OFFER, Turn(role="user", content="And how long would that take?")]
    read = WordCondenser().condense("Who would do it?", history)
    assert read.text.count("What did Stalin offer?") == 1
    assert read.follows and read.follows.follows == Standalone("What did Stalin offer?")


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with fake_openai_server() as fake:
        yield fake


def test_with_a_model_the_follow_up_is_rewritten_before_retrieval(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    archive = open_archive(
        make_settings(tmp_path, openai_base_url=server.base_url, archive_qa_model="test-model")
    )
    server.say("How long would the training of Chinese pilots take?")
    server.answer_with({"answerable": False, "sentences": []})
    answer = archive.ask("And how long would that take?", history=OFFER)
    rewrite, answering = (r["body"]["messages"] for r in server.requests)
    assert "What did Stalin offer?" in rewrite[-1]["content"]
    assert "untrusted data" in rewrite[0]["content"]
    question = answering[-1]["content"]
    assert question.endswith("Question: How long would the training of Chinese pilots take?")
    assert "two to three months" in question  # the training passage was retrieved
    assert answer.notice == "Read as: “How long would the training of Chinese pilots take?”."


def test_a_scope_limits_the_documents_searched(eval_archive: Archive) -> None:
    telegram = eval_archive.ask(
        "Who would train the Chinese pilots?", scope=Scope(documents=frozenset({"document-110692"}))
    )
    assert {c.document_id for c in telegram.citations} == {"document-110692"}
    later = eval_archive.ask("Who would train the Chinese pilots?", scope=Scope(since="1951-01-01"))
    assert "document-110692" not in {c.document_id for c in later.citations}
    nothing = eval_archive.ask("Who would train the Chinese pilots?", scope=Scope(until="1850"))
    assert nothing.abstained
