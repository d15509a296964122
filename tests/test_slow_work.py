"""Slow work cannot starve the rest: a server whose model is slow still answers its health
checks, tells the question beyond its model's slots when to come back, and stops a model writing
for a reader who has gone. Over real HTTP, against the scripted model server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from qa.assembly import open_archive
from tests.conftest import FAKE_KEY, make_settings, serving
from tests.fake_openai import FakeOpenAI, Reply, _completion, passage_holding
from ui.app import build_app
from ui.guards import Limits

OFFER = "we are ready to send you a division of jet fighter planes"
QUESTION = {"question": "What did Stalin offer?", "stream": True}


def _slow_model(
    server: FakeOpenAI, *, lines: int, pause: float = 0.0, hold: threading.Event | None = None
) -> None:
    """Every reply from now on: a first line citing the offer, then `lines` more that cite
    nothing (a model rambling on), `pause` seconds before each; with `hold`, all but the first
    wait for it."""

    def reply(body: dict[str, Any]) -> Reply:
        prompt = body["messages"][-1]["content"]
        first = f'Stalin offered jet fighters. [{passage_holding(prompt, OFFER)}] "{OFFER}"'
        text = "\n".join([first, *["And so on, at some length." for _ in range(lines)]])
        return Reply(200, _completion(text), pause=pause, hold=hold)

    server.otherwise = reply


def _llm_archive(server: FakeOpenAI, folder: Path, **overrides: object) -> Any:
    return open_archive(
        make_settings(
            folder, openai_api_key=FAKE_KEY, openai_base_url=server.base_url,
            archive_qa_model="test-model", **overrides,
        )
    )  # fmt: skip


@contextmanager
def _first_sentences(url: str, count: int) -> Iterator[list[int]]:
    """`count` streamed asks, each read up to its first sentence and held open; yields their
    statuses, and closes them at the end."""
    opened: list[tuple[httpx.Response, Iterator[str]]] = []
    client = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=count + 5))

    def start(_: int) -> int:
        response = client.send(
            client.build_request("POST", f"{url}/api/ask", json=QUESTION), stream=True
        )
        lines = response.iter_lines()  # kept: letting it go would close the response
        opened.append((response, lines))
        if response.status_code == 200:
            next(lines)
        return response.status_code

    try:
        with ThreadPoolExecutor(count) as pool:
            yield list(pool.map(start, range(count)))
    finally:
        for response, _ in opened:
            response.close()
        client.close()


def test_a_stream_whose_reader_leaves_stops_the_model_at_once(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    _slow_model(server, lines=40, pause=0.2)  # eight seconds of writing
    with serving(build_app(_llm_archive(server, tmp_path))) as url:
        with httpx.stream("POST", f"{url}/api/ask", json=QUESTION, timeout=30) as response:
            assert next(response.iter_lines()) == "event: sentence"
        deadline = time.monotonic() + 4
        while server.left == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (server.left, server.finished) == (1, 0)


def test_health_is_answered_while_slow_answers_hold_every_worker(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    writing = threading.Event()
    _slow_model(server, lines=2, hold=writing)
    # More streams than the server has worker threads (40), each waiting on the model.
    archive = _llm_archive(server, tmp_path, archive_qa_llm_concurrency=80)
    with serving(build_app(archive, Limits(requests_per_minute=0))) as url:
        try:
            with _first_sentences(url, 60) as statuses:
                assert statuses == [200] * 60
                assert httpx.get(f"{url}/readyz", timeout=5).json()["status"] == "ready"
                assert httpx.get(f"{url}/healthz", timeout=5).json() == {"status": "ok"}
                writing.set()
        finally:
            writing.set()


def test_a_question_beyond_the_models_slots_is_told_when_to_come_back(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    writing = threading.Event()
    _slow_model(server, lines=2, hold=writing)
    archive = _llm_archive(server, tmp_path, archive_qa_llm_concurrency=2)
    with serving(build_app(archive)) as url:
        try:
            with _first_sentences(url, 2) as statuses:
                assert statuses == [200, 200]
                busy = httpx.post(
                    f"{url}/api/ask", json={"question": "What did Stalin offer?"}, timeout=30
                )
                assert busy.status_code == 503
                wait = busy.headers["retry-after"]
                assert int(wait) >= 1
                assert busy.json()["error"] == (
                    "archive-qa is writing as many answers with its language model as it may at "
                    f"once (2): try again in {wait} seconds."
                )
                writing.set()
        finally:
            writing.set()
        # The slots are given back when the answers end: the next question is answered.
        again = httpx.post(
            f"{url}/api/ask", json={"question": "What did Stalin offer?"}, timeout=30
        )
        assert again.status_code == 200 and again.json()["mode"] == "llm"
