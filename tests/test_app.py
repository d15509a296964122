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


def test_post_api_ask_rejects_an_empty_question_readably(base_url: str) -> None:
    response = httpx.post(f"{base_url}/api/ask", json={"question": ""}, timeout=60)
    assert response.status_code == 400
    assert response.json() == {"error": "the question is empty: type what you want to know."}


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
