"""The store's folder is its owner's alone, and no door is left open when a server stops
(issue 24, item 1): the folder and its files are private from the start, a folder open to other
accounts is refused with what to do, the server's note goes when the server stops, and a stale
note is never trusted with the admin token."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import serve_process, serving
from tests.test_cli import run
from vectorstore.client import connect
from vectorstore.errors import StoreError
from vectorstore.owner import LOCK_FILE, SERVER_FILE


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_new_data_folder_and_its_files_are_the_owners_alone(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    connect(data_dir=folder)
    assert _mode(folder) == 0o700
    assert _mode(folder / LOCK_FILE) == 0o600
    assert all(_mode(p) & 0o077 == 0 for p in folder.rglob("*")), "a file others can read"


def test_a_folder_open_to_other_accounts_is_refused_with_what_to_do(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    with pytest.raises(StoreError, match=rf"mode 755.*run `chmod 700 {folder}`"):
        connect(data_dir=folder)


def test_a_stopped_servers_note_is_gone(tmp_path: Path) -> None:
    data = tmp_path / "db"
    with serve_process(data):
        assert (data / SERVER_FILE).exists()
    assert not (data / SERVER_FILE).exists()  # stopped with SIGTERM


def test_a_stale_note_never_gets_the_token_from_the_command_line(tmp_path: Path) -> None:
    """Another account holds the folder's lock (a read-only handle is enough) and listens on
    the old server's port: the command line must refuse, not send it the file and the token."""
    data = tmp_path / "db"
    run(data, "documents")  # makes the folder and its store
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    heard: list[str] = []

    async def anything(request: Request) -> JSONResponse:
        heard.append(f"{request.method} {request.url.path}")
        return JSONResponse([])

    impostor = Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(120)",
         str(data / LOCK_FILE)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with serving(impostor) as url:
            (data / LOCK_FILE).write_text(json.dumps({"pid": dead.pid, "command": "archive-qa"}))
            note = {"pid": dead.pid, "url": url, "token": "the-admins-token"}
            (data / SERVER_FILE).write_text(json.dumps(note))
            os.chmod(data / SERVER_FILE, 0o600)
            exam = tmp_path / "exam.txt"
            exam.write_text("The exam questions.\n")
            result = run(data, "ingest", str(exam))
        assert result.returncode == 1 and "is in use by" in result.stderr
        assert heard == [], "the command line talked to the impostor"
        assert not (data / SERVER_FILE).exists()  # the stale note is removed
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another account (runuser)")
def test_another_account_can_read_nothing_in_the_data_folder() -> None:
    if shutil.which("runuser") is None:
        pytest.skip("runuser is not installed")
    # In a folder every account may pass through (pytest's own are root's alone).
    shared = Path(tempfile.mkdtemp(prefix="aqa-shared-"))
    shared.chmod(0o755)
    try:
        data = shared / "db"
        assert run(data, "documents").returncode == 0
        for what in (["ls", str(data)], ["cat", str(data / "chroma.sqlite3")]):
            other = subprocess.run(
                ["runuser", "-u", "nobody", "--", *what], capture_output=True, text=True
            )
            assert other.returncode != 0 and "Permission denied" in other.stderr, what
    finally:
        shutil.rmtree(shared)
