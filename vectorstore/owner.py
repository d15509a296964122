"""Ownership of an embedded store's folder: one process at a time opens it.

Chroma's embedded store keeps its vector index in the memory of the process that opened it, so a
second process writing the same folder corrupts it, and one reading it beside a writer sees ids its
index does not know. Whoever opens the folder first holds an advisory lock on it (released by the
operating system when the process ends, however it ends); everyone else is refused with a message
that names the owner. A server that owns a folder also leaves a note of its address and an admin
token (readable only by the folder's user), so the command line can go through it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from pathlib import Path

from vectorstore.errors import FolderInUseError, Owner, StoreError

LOCK_FILE = "archive-qa.lock"
SERVER_FILE = "archive-qa-server.json"
_held: dict[Path, int] = {}


def take(folder: Path) -> None:
    """Make this process the owner of `folder` until it exits; `FolderInUseError` if another
    process owns it. Taking a folder this process already owns does nothing."""
    folder = folder.resolve()
    if folder in _held:
        return
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise FolderInUseError(folder, owner_of(folder)) from None
    os.ftruncate(fd, 0)
    os.write(fd, json.dumps({"pid": os.getpid(), "command": _command()}).encode())
    _held[folder] = fd


def announce(folder: Path, *, url: str, token: str) -> None:
    """Leave the address of the server that owns `folder`, and its admin token, for the command
    line (the file is readable by the folder's user alone)."""
    folder = folder.resolve()
    if folder not in _held:
        raise StoreError(f"{folder} is not open in this process.")
    path = folder / SERVER_FILE
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as note:
        json.dump({"pid": os.getpid(), "url": url, "token": token}, note)


def owner_of(folder: Path) -> Owner:
    """Who holds `folder` now, as far as its notes say (they are only trusted while it is held)."""
    folder = folder.resolve()
    lock = _read_json(folder / LOCK_FILE)
    found = lock.get("pid")
    pid = found if isinstance(found, int) else None
    command = str(lock.get("command") or "archive-qa")
    server = _read_json(folder / SERVER_FILE)
    if pid is not None and server.get("pid") == pid:
        return Owner(pid, command, url=str(server.get("url")), token=str(server.get("token")))
    return Owner(pid, command)


def _read_json(path: Path) -> dict[str, object]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _command() -> str:
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    return " ".join([name, *sys.argv[1:2]])
