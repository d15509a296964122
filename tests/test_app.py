"""The web app: a real server on 127.0.0.1, driven over HTTP and by gradio_client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from gradio_client import Client

from qa.assembly import Archive
from ui.app import build_app


@pytest.fixture(scope="module")
def base_url(archive: Archive) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(build_app(archive), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_post_api_ask_returns_the_contract(base_url: str, archive: Archive) -> None:
    response = httpx.post(
        f"{base_url}/api/ask", json={"question": "Who would train the Chinese pilots?"}, timeout=60
    )
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "extractive" and not body["abstained"]
    c = body["citations"][0]
    assert archive.text_of(c["document_id"])[c["start"] : c["end"]] == c["quote"]  # type: ignore[index]


def test_post_api_ask_reads_a_follow_up_with_the_history(base_url: str) -> None:
    history = [
        {"role": "user", "content": "What did Stalin offer?"},
        {"role": "assistant", "content": "A division of jet fighter planes. [1]"},
    ]
    response = httpx.post(
        f"{base_url}/api/ask",
        json={"question": "And how long would that take?", "history": history},
        timeout=60,
    )
    body = response.json()
    assert "two to three months" in body["answer"]
    assert body["notice"] == "Read as a follow-up to “What did Stalin offer?”."


def test_documents_api_lists_documents_and_serves_the_text_citations_index(
    base_url: str,
) -> None:
    listed = httpx.get(f"{base_url}/api/documents", timeout=60).json()
    assert [d["id"] for d in listed] == ["document-110692"]
    assert "text" not in listed[0]
    document = httpx.get(f"{base_url}/api/documents/document-110692", timeout=60).json()
    answer = httpx.post(
        f"{base_url}/api/ask", json={"question": "Who received copies of the telegram?"}, timeout=60
    ).json()
    c = answer["citations"][0]
    assert document["text"][c["start"] : c["end"]] == c["quote"]
    assert document["original_language"] == "Russian"
    missing = httpx.get(f"{base_url}/api/documents/nope", timeout=60)
    assert missing.status_code == 404
    assert missing.json() == {"error": "no document 'nope'; GET /api/documents lists them."}


def test_post_api_ask_rejects_an_empty_question_readably(base_url: str) -> None:
    response = httpx.post(f"{base_url}/api/ask", json={"question": ""}, timeout=60)
    assert response.status_code == 400
    assert response.json() == {"error": "the question is empty: type what you want to know."}


def test_the_api_is_described_at_docs(base_url: str) -> None:
    assert httpx.get(f"{base_url}/docs", timeout=60).status_code == 200
    schema = httpx.get(f"{base_url}/openapi.json", timeout=60).json()
    assert {"/api/ask", "/api/documents", "/api/documents/{document_id}"} <= set(schema["paths"])


def test_the_chat_page_serves(base_url: str) -> None:
    response = httpx.get(base_url + "/", timeout=60)
    assert response.status_code == 200
    assert "archive-qa" in response.text  # the page config carries the app title


def test_gradio_client_gets_the_contract_from_the_named_endpoint(base_url: str) -> None:
    client = Client(base_url + "/", verbose=False)
    answer = client.predict("Who is Filippov?", api_name="/ask")
    assert not answer["abstained"]
    assert any("Stalin" in c["quote"] for c in answer["citations"])


def test_every_example_question_on_the_page_is_answered(archive: Archive) -> None:
    from ui.app import EXAMPLES

    for question in EXAMPLES:
        answer = archive.ask(question)
        assert not answer.abstained, question
        assert answer.citations, question
