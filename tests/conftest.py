"""Shared fixtures: real Chroma stores in temporary folders and on a Chroma server, seeded with
real documents."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from chromadb.api import ClientAPI
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.types import ASGIApp

from qa.assembly import Archive, bundled_document, open_archive
from qa.settings import Settings
from tests.fake_openai import FakeOpenAI, fake_openai_server
from vectorstore.client import connect, reset
from vectorstore.documents import Document, load_document

# Gradio reads these at import; without them it reaches for the network.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("ARCHIVE_QA_CHROMIUM", "/usr/bin/chromium"))
# As root in a container, and with no network: no sandbox, no background fetches.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
EVAL = ROOT / "eval"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# Copies of public-domain FRUS records (../shared/corpus), so that a clone alone passes its tests.
FRUS = EVAL / "corpus" / "frus1951v07p2"
FRUS_BULK_PICKS = EVAL / "corpus" / "frus_bulk"


FAKE_KEY = "sk-test-DO-NOT-LEAK-1234567890"
_STARTED = time.time()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the untouched frozen set's figures (tests/test_eval_gate.py writes them): the
    honest estimate of how new questions fare, shown on every run, CI's included."""
    for path in sorted((ROOT / "test-artifacts" / "eval").glob("*.json")):
        if path.stat().st_mtime < _STARTED:
            continue
        s = json.loads(path.read_text())["summary"]
        terminalreporter.write_line(
            f"{path.stem} (frozen, no floor): {s['correct']}/{s['questions']} right; "
            f"answerable {s['answered_with_facts_and_support']}/{s['answerable']}, "
            f"unanswerable refused {s['abstained_correctly']}/{s['unanswerable']}, "
            f"verbatim {s['verbatim_rate']:.0%}, median quote {s['median_quote_chars']} chars"
        )


@pytest.fixture(autouse=True)
def _no_llm_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see a developer's real key or server."""
    for name in (
        "OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST", "ARCHIVE_QA_MODEL",
        "ARCHIVE_QA_LOCAL_MODEL",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def screenshot(page: Page, name: str) -> None:
    """Save what `page` shows, for people to look at (test-artifacts/screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `./run test` installs Debian's chromium package.")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def seed() -> Document:
    return load_document(bundled_document())


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, archive_qa_data_dir=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    """The default archive a new user gets: the bundled telegram, offline answers."""
    yield open_archive(make_settings(tmp_path_factory.mktemp("archive")))


@pytest.fixture(scope="session")
def eval_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    """The eval corpus, which the question sets in eval/ ask about: the telegram with the 49 FRUS
    1951 records and the older FRUS records of eval/corpus beside it, a realistic library."""
    archive = open_archive(make_settings(tmp_path_factory.mktemp("eval-corpus")))
    paths = [*sorted(FRUS.glob("*.txt")), *sorted(FRUS_BULK_PICKS.glob("*.txt"))]
    results = archive.store.ingest_many([(load_document(path), None) for path in paths])
    assert not [r for r in results if isinstance(r, Exception)], results
    yield archive


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real Chroma server (`chroma run`, from the project's virtualenv) on 127.0.0.1, for the
    whole session: (host, port). Tests that use it empty it first (`chroma_client`)."""
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    chroma = Path(sys.executable).parent / "chroma"
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=(folder / "server.log").open("w"),
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )  # fmt: skip
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/api/v2/heartbeat", process)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(10)


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], *, timeout: float = 60
) -> None:
    """Wait (`timeout` seconds at most) until `url` answers 200; fail at once if `process` has
    ended."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer (exit code {process.poll()})")
        time.sleep(0.2)


@contextmanager
def serve_process(
    data_dir: Path, *, timeout: float = 120, **environ: str
) -> Iterator[tuple[str, int]]:
    """`archive-qa serve` on the store in `data_dir` (or on the Chroma server `environ` names),
    in a process of its own, with no model or server from the caller's environment: (its URL,
    its pid)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHROMA_"))}
    env |= {"ARCHIVE_QA_DATA_DIR": str(data_dir), **environ}
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{url}/readyz", process, timeout=timeout)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(60)


@pytest.fixture(params=["embedded", "chroma-server"])
def chroma_client(request: pytest.FixtureRequest, tmp_path: Path) -> ClientAPI:
    """An empty store, once in a folder and once on the Chroma server: the store's tests run
    against both."""
    if request.param == "embedded":
        return connect(data_dir=tmp_path / "db")
    host, port = request.getfixturevalue("chroma_server")
    client = connect(host=host, port=port)
    reset(client)
    return client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(app: ASGIApp, port: int | None = None) -> Iterator[str]:
    """Serve `app` with a real uvicorn server on 127.0.0.1; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False
    )  # as `archive-qa serve` runs it: forwarded headers are for ui.guards to judge
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def base_url(archive: Archive) -> Iterator[str]:
    """The app over the default archive, served on 127.0.0.1, with no rate limit: every test
    using it asks from 127.0.0.1, one client to the limit (tests/test_limits.py tests it)."""
    from ui.app import build_app
    from ui.guards import Limits

    with serving(build_app(archive, Limits(requests_per_minute=0))) as url:
        yield url


def study_pack(
    base_url: str, document_id: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A document's study pack from the API (asked with `headers`), asking again while it is
    being made (202)."""
    deadline = time.monotonic() + 300
    while True:
        response = httpx.get(
            f"{base_url}/api/documents/{document_id}/study", headers=headers, timeout=120
        )
        if response.status_code != 202 or time.monotonic() > deadline:
            response.raise_for_status()
            pack: dict[str, Any] = response.json()
            return pack
        time.sleep(min(float(response.headers["retry-after"]), 1.0))


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    """A scripted OpenAI-compatible server on 127.0.0.1 (tests/fake_openai.py)."""
    with fake_openai_server() as fake:
        yield fake


def open_llm_archive(server: FakeOpenAI, folder: Path, **overrides: object) -> Archive:
    """The default archive in LLM mode in `folder`, its model the scripted `server`."""
    settings = make_settings(
        folder, openai_api_key=FAKE_KEY, openai_base_url=server.base_url,
        archive_qa_model="test-model", **overrides,
    )  # fmt: skip
    return open_archive(settings)


@pytest.fixture
def llm_archive(server: FakeOpenAI, tmp_path: Path) -> Archive:
    """The default archive in LLM mode, its model the scripted `server`."""
    return open_llm_archive(server, tmp_path)
