"""One store, several processes: a server owns its folder and the command line goes through it;
two commands at once are refused, never interleaved."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FRUS, free_port
from tests.test_cli import in_terminal, run
from vectorstore.owner import LOCK_FILE


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, str, subprocess.Popen[str]]]:
    """`archive-qa serve`, read-only as the README's classroom setup has it, in its own process."""
    data_dir = tmp_path_factory.mktemp("served")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHROMA_"))}
    env |= {"ARCHIVE_QA_DATA_DIR": str(data_dir), "ARCHIVE_QA_READ_ONLY": "true"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    yield data_dir, url, process
    process.terminate()
    process.wait(30)


def test_ingest_beside_a_running_server_goes_through_it_and_asking_keeps_working(
    server: tuple[Path, str, subprocess.Popen[str]],
) -> None:
    data_dir, url, _ = server
    added = run(data_dir, "ingest", str(FRUS / "0001.txt"), str(FRUS / "0002.txt"))
    assert added.returncode == 0, added.stderr
    assert f"open in the server at {url}: sending the files there" in added.stderr
    assert "2 added, 0 updated, 0 unchanged, 0 failed" in added.stdout
    for question in ("What did Stalin offer?", "What did Acheson propose?", "Who signed it?"):
        response = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=60)
        assert response.status_code == 200, response.text
    listed = run(data_dir, "documents", "--json")
    assert {"frus1951v07p2-d1", "frus1951v07p2-d2"} <= {d["id"] for d in json.loads(listed.stdout)}
    asked = run(data_dir, "ask", "Who would train the Chinese pilots?")
    assert asked.returncode == 0 and "with the help of our pilots" in asked.stdout
    # Read-only to the world: the page and the API refuse writes without the admin token.
    refused = httpx.post(f"{url}/api/documents", files={"files": ("x.txt", b"Planted.")})
    assert refused.status_code == 403


def test_ask_in_a_terminal_beside_a_server_streams_the_answer_from_it(
    server: tuple[Path, str, subprocess.Popen[str]],
) -> None:
    data_dir, _, _ = server
    with in_terminal(data_dir, "ask", "Who would train the Chinese pilots?") as (cli, shows):
        shown = shows(b"(characters ").decode()
        assert cli.wait(timeout=60) == 0
    assert "with the help of our pilots" in shown and '[1] "We intend to train' in shown


def test_other_commands_beside_a_server_are_refused_with_what_to_do(
    server: tuple[Path, str, subprocess.Popen[str]],
) -> None:
    data_dir, url, _ = server
    result = run(data_dir, "remove", "document-110692")
    assert result.returncode == 1
    assert "is open in `" in result.stderr and f"at {url}" in result.stderr


def test_two_ingests_at_once_the_second_is_refused_and_nothing_is_damaged(tmp_path: Path) -> None:
    data_dir = tmp_path / "db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHROMA_"))}
    env["ARCHIVE_QA_DATA_DIR"] = str(data_dir)
    files = [str(p) for p in sorted(FRUS.glob("*.txt"))[:20]]
    first = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "ingest", *files], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "ingest" not in _lock_text(data_dir):
        time.sleep(0.1)
    second = run(data_dir, "ingest", str(FRUS / "0030.txt"))
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert second.returncode == 1
    assert "is in use by `" in second.stderr and "wait for it to finish" in second.stderr
    assert "20 added" in out
    verified = run(data_dir, "verify")
    assert verified.returncode == 0 and "All 21 documents are whole" in verified.stdout


def test_a_stopped_server_ends_promptly_and_frees_its_folder(
    server: tuple[Path, str, subprocess.Popen[str]],
) -> None:
    data_dir, _, process = server
    process.send_signal(signal.SIGTERM)
    process.wait(20)
    assert run(data_dir, "verify").returncode == 0


def _lock_text(data_dir: Path) -> str:
    try:
        return (data_dir / LOCK_FILE).read_text()
    except OSError:
        return ""
