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
import pytest

from qa.answer import Answer, Answerer, Sentence, Standalone
from qa.assembly import Archive, open_archive
from qa.errors import BusyError
from qa.library import Added, Reporter
from tests.conftest import make_settings, open_llm_archive, serving
from tests.fake_openai import FakeOpenAI, Reply, _completion, passage_holding
from ui.app import build_app
from ui.guards import Limits
from ui.jobs import Jobs
from vectorstore.documents import document_from_bytes
from vectorstore.passages import Passage, split_document

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
    with serving(build_app(open_llm_archive(server, tmp_path))) as url:
        with httpx.stream("POST", f"{url}/api/ask", json=QUESTION, timeout=30) as response:
            assert next(response.iter_lines()) == "event: sentence"
        deadline = time.monotonic() + 4
        while server.left == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (server.left, server.finished) == (1, 0)


def test_health_and_other_questions_are_answered_while_slow_answers_wait_on_the_model(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    writing = threading.Event()
    _slow_model(server, lines=2, hold=writing)
    # More streams than the server has worker threads (40), each waiting on the model.
    archive = open_llm_archive(server, tmp_path, archive_qa_llm_concurrency=80)
    with serving(build_app(archive, Limits(requests_per_minute=0))) as url:
        try:
            with _first_sentences(url, 60) as statuses:
                assert statuses == [200] * 60
                assert httpx.get(f"{url}/readyz", timeout=5).json()["status"] == "ready"
                assert httpx.get(f"{url}/healthz", timeout=5).json() == {"status": "ok"}
                # A question the model is not asked (about the source) is answered beside them.
                source = {"question": "Who wrote the telegram?"}
                assert httpx.post(f"{url}/api/ask", json=source, timeout=10).status_code == 200
                writing.set()
        finally:
            writing.set()


def test_a_question_beyond_the_models_slots_is_told_when_to_come_back(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    writing = threading.Event()
    _slow_model(server, lines=2, hold=writing)
    archive = open_llm_archive(server, tmp_path, archive_qa_llm_concurrency=2)
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


def _blocked(jobs: Jobs, ran: list[str], name: str, client: str, until: threading.Event) -> str:
    """A job for `client` that notes its `name` in `ran` once `until` is set; its id."""

    def work(report: Reporter) -> list[Added]:
        until.wait(30)
        ran.append(name)
        return []

    return jobs.start(work, client=client).id


def _until_done(jobs: Jobs, job_ids: list[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all((job := jobs.get(i)) is not None and job.state == "done" for i in job_ids):
            return
        time.sleep(0.02)
    raise AssertionError("the jobs did not finish")


def test_the_job_worker_takes_the_clients_in_turn() -> None:
    jobs, ran, go = Jobs(), list[str](), threading.Event()
    ids = [_blocked(jobs, ran, f"a{i}", "10.0.0.1", go) for i in range(5)]
    ids.append(_blocked(jobs, ran, "b0", "10.0.0.2", go))
    go.set()
    _until_done(jobs, ids)
    # The first of a's was running when b's came; b's then came before a's others.
    assert ran == ["a0", "b0", "a1", "a2", "a3", "a4"]


def test_a_waiting_job_is_never_forgotten_and_a_client_cannot_pile_them_up() -> None:
    jobs, ran, go = Jobs(), list[str](), threading.Event()
    ids = [_blocked(jobs, ran, f"{c}-{i}", f"10.0.1.{c}", go) for c in range(15) for i in range(10)]
    assert all(jobs.get(i) is not None for i in ids)  # 150 waiting, none dropped
    with pytest.raises(BusyError, match=r"^10 of your uploads are waiting on this server already"):
        _blocked(jobs, ran, "one too many", "10.0.1.3", go)
    go.set()
    _until_done(jobs, ids)
    assert len(ran) == 150


def test_an_upload_that_would_make_too_many_passages_is_refused_before_any_work(
    tmp_path: Path,
) -> None:
    # A small file of short paragraphs: each one a passage, 3,200 of them in 0.8 MB.
    lines = "\n\n".join(f"Entry {i}: " + "a line of a long register. " * 9 for i in range(3200))
    made = len(split_document(document_from_bytes(lines.encode(), "lines.txt")))
    archive = open_archive(make_settings(tmp_path))
    with serving(build_app(archive)) as url:
        files = [("files", ("lines.txt", lines.encode(), "text/plain"))]
        (result,) = httpx.post(f"{url}/api/documents", files=files, timeout=60).json()
    assert result["status"] == "failed"
    assert result["error"] == (
        f"lines.txt would make {made:,} passages, more than one upload may (3,000, about a minute "
        "of the server's work): split it into smaller files, or have the server's administrator "
        "add it with `archive-qa ingest`."
    )
    assert archive.library.document("lines") is None


class _Counting:
    """The offline answerer, counting how many answers it computes at once."""

    def __init__(self, answerer: Answerer) -> None:
        self._answerer, self._lock = answerer, threading.Lock()
        self.now = self.most = 0

    @property
    def mode(self) -> str:
        return self._answerer.mode

    def answer(
        self, question: Standalone, passages: list[Passage], notice: str | None = None
    ) -> Answer:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            return self._answerer.answer(question, passages, notice)
        finally:
            with self._lock:
                self.now -= 1


def test_offline_answers_are_computed_in_turn_so_the_first_asked_come_first(
    archive: Archive,
) -> None:
    # All computing at once, twenty answers would all be done together at the end.
    counting = _Counting(archive.answerer)
    turns = Archive(store=archive.store, retriever=archive.retriever, answerer=counting)
    questions = [f"What did Stalin offer? ({i})" for i in range(20)]
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda q: next(turns.stream(q)), questions))
    assert all(isinstance(a, Sentence) for a in answers)
    assert counting.most == 1
