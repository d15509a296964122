"""Answers streamed a sentence at a time: each sentence is sent once its quotes are verified,
while the model is still writing, in process and over HTTP; nothing unchecked is ever sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from qa.answer import Answer, Sentence
from qa.assembly import Archive, open_archive
from tests.conftest import make_settings, serving
from tests.fake_openai import FakeOpenAI
from tests.test_cli import in_terminal
from ui.app import build_app

OFFER = "we are ready to send you a division of jet fighter planes"
TRAINING = "We intend to train Chinese pilots in two to three months"
QUESTION = "What did Stalin offer?"


def writes_two_lines(server: FakeOpenAI) -> threading.Event:
    """The model's next reply: two cited lines, the second held back until the event is set."""
    writing = threading.Event()
    server.cite(
        ("Stalin was ready to send jet fighter planes.", OFFER),
        ("He would train pilots.", TRAINING),
        hold=writing,
    )
    return writing


def _verbatim(archive: Archive, sentence: Sentence) -> bool:
    return bool(sentence.citations) and all(
        (archive.text_of(c.document_id) or "")[c.start : c.end] == c.quote
        for c in sentence.citations
    )


def test_the_first_checked_sentence_comes_before_the_model_has_finished(
    server: FakeOpenAI, llm_archive: Archive
) -> None:
    writing = writes_two_lines(server)
    parts = llm_archive.stream(QUESTION)
    first = next(parts)
    assert server.finished == 0  # the model is still writing its second line
    writing.set()
    *rest, answer = parts
    assert (
        isinstance(first, Sentence)
        and first.text == "Stalin was ready to send jet fighter planes. [1]"
    )
    assert _verbatim(llm_archive, first)
    assert [s.text for s in rest] == ["He would train pilots. [2]"]
    assert isinstance(answer, Answer) and answer.mode == "llm" and answer.notice is None
    assert (
        answer.answer
        == "Stalin was ready to send jet fighter planes. [1] He would train pilots. [2]"
    )
    assert server.requests[-1]["body"]["stream"] is True


def test_a_line_whose_quote_is_not_in_the_source_is_never_sent(
    server: FakeOpenAI, llm_archive: Archive
) -> None:
    server.cite(("He offered 500 tanks.", "we will send 500 tanks"), ("He offered jets.", OFFER))
    *sentences, answer = llm_archive.stream(QUESTION)
    assert [s.text for s in sentences] == ["He offered jets. [1]"]
    assert isinstance(answer, Answer) and "tanks" not in answer.answer


def test_a_stream_that_stalls_after_a_sentence_ends_there_with_a_notice(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    stalled = make_settings(
        tmp_path, openai_base_url=server.base_url, archive_qa_model="test-model",
        archive_qa_llm_timeout=1.5,
    )  # fmt: skip
    never = writes_two_lines(server)
    try:
        *sentences, answer = open_archive(stalled).stream(QUESTION)
    finally:
        never.set()
    assert [s.text for s in sentences] == ["Stalin was ready to send jet fighter planes. [1]"]
    assert (
        isinstance(answer, Answer)
        and answer.answer == "Stalin was ready to send jet fighter planes. [1]"
    )
    assert answer.mode == "llm" and answer.notice == (
        "The language model stopped mid-answer: the language model did not answer in time "
        "(ARCHIVE_QA_LLM_TIMEOUT)."
    )


def test_the_api_streams_each_checked_sentence_while_the_model_writes(
    server: FakeOpenAI, llm_archive: Archive
) -> None:
    writing = writes_two_lines(server)
    with serving(build_app(llm_archive)) as url:
        body = {"question": QUESTION, "stream": True}
        with httpx.stream("POST", f"{url}/api/ask", json=body, timeout=30) as response:
            events = _events(response.iter_lines())
            name, first = next(events)
            assert server.finished == 0
            writing.set()
            rest = list(events)
    assert (
        name == "sentence" and first["text"] == "Stalin was ready to send jet fighter planes. [1]"
    )
    assert _verbatim(llm_archive, Sentence.model_validate(first))
    assert [n for n, _ in rest] == ["sentence", "answer"]
    assert Answer.model_validate(rest[-1][1]).citations[1].quote == TRAINING


def _events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Server-sent events as they arrive, as (event, data) pairs."""
    name = ""
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line.removeprefix("data: "))


def test_ask_in_a_terminal_prints_each_checked_sentence_while_the_model_writes(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    writing = writes_two_lines(server)
    with in_terminal(tmp_path, "ask", QUESTION, OPENAI_BASE_URL=server.base_url) as (cli, shows):
        shown = shows(b"Stalin was ready to send jet fighter planes. [1]")
        assert server.finished == 0
        writing.set()
        shown += shows(b"(characters ")
        assert cli.wait(timeout=60) == 0
    text = shown.decode()
    assert "He would train pilots. [2]" in text and f'[1] "{OFFER}"' in text
