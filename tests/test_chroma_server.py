"""Past one machine: app replicas, each its own process, serving from one real Chroma server.

Each replica has a data folder of its own (it keeps only its copy of the word index there); the
documents, passages, collections and the change log are in Chroma, so what one replica adds or
removes the other answers from at its next question, without a restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FRUS, serve_process
from tests.test_cli import run
from vectorstore.client import connect, reset

# Words found in no other stored document: only the word index finds them by name.
MEMO = (
    b"# Memo on the Quaxley shipment\n\nThe Quaxley shipment of tungsten left Tientsin on 4 March "
    b"1951 under the escort of two destroyers.\n"
)


@pytest.fixture
def replicas(chroma_server: tuple[str, int], tmp_path: Path) -> Iterator[tuple[str, str]]:
    host, port = chroma_server
    reset(connect(host=host, port=port))
    with ExitStack() as running:
        server = {"CHROMA_HOST": host, "CHROMA_PORT": str(port)}
        first, _ = running.enter_context(serve_process(tmp_path / "a", **server))
        second, _ = running.enter_context(serve_process(tmp_path / "b", **server))
        yield first, second


def ask(url: str, question: str) -> dict[str, Any]:
    response = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=120)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_replicas_on_one_chroma_server_see_each_others_changes_without_a_restart(
    replicas: tuple[str, str],
) -> None:
    first, second = replicas
    assert "124 pieces" in ask(second, "What did Stalin offer?")["answer"]  # seeded once, by either
    assert not _quotes_with(
        "Tientsin", ask(second, "When did the Quaxley shipment leave Tientsin?")
    )
    added = httpx.post(f"{first}/api/documents", files={"files": ("quaxley.md", MEMO)}, timeout=120)
    assert added.status_code == 200 and added.json()[0]["status"] == "added", added.text
    answer = ask(second, "When did the Quaxley shipment leave Tientsin?")
    assert _quotes_with("Tientsin", answer), answer
    listed = httpx.get(f"{second}/api/documents").json()
    assert {d["id"] for d in listed} == {"document-110692", "quaxley"}
    assert httpx.delete(f"{second}/api/documents/quaxley").status_code == 204
    assert not _quotes_with("Tientsin", ask(first, "When did the Quaxley shipment leave Tientsin?"))


def _quotes_with(word: str, answer: dict[str, Any]) -> list[str]:
    return [c["quote"] for c in answer["citations"] if word in c["quote"]]


def test_the_command_line_asks_and_ingests_on_a_chroma_server(
    chroma_server: tuple[str, int], tmp_path: Path
) -> None:
    host, port = chroma_server
    reset(connect(host=host, port=port))
    server = {"CHROMA_HOST": host, "CHROMA_PORT": str(port)}
    added = run(tmp_path / "cli", "ingest", str(FRUS / "0001.txt"), environ=server)
    assert added.returncode == 0 and "1 added" in added.stdout, added.stderr
    question = "Who would train the Chinese pilots?"
    asked = run(tmp_path / "elsewhere", "ask", question, environ=server)
    assert asked.returncode == 0 and "with the help of our pilots" in asked.stdout, asked.stderr
