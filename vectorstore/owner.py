"""Ownership of an embedded store's folder: one process at a time opens it.

Chroma's embedded store keeps its vector index in the memory of the process that opened it, so a
second process writing the same folder corrupts it, and one reading it beside a writer sees ids its
index does not know. Whoever opens the folder first holds an advisory lock on it (released by the
operating system when the process ends, however it ends); everyone else is refused with a message
that names the owner. A server that owns a folder also leaves a note of its address and an admin
token, so the command line can go through it; the server takes the note away when it stops, and a
note whose process is gone, or is another account's, is never trusted (a stale note would send the
token to whoever listens on the old port). The folder and its files are the owner's alone
(0700/0600): set so when they are made, and checked each time the folder is opened.
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


def make_private(folder: Path) -> None:
    """Make `folder` (if need be) readable by its owner alone, and everything this process
    creates from now on too; `StoreError` saying what to do when an existing folder is open to
    other accounts."""
    os.umask(os.umask(0o077) | 0o077)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = folder.stat().st_mode & 0o777
    if mode & 0o077:
        raise StoreError(
            f"{folder} can be read by other accounts on this machine (mode {mode:o}), and it holds "
            f"the documents and, while a server runs, its admin token: run `chmod 700 {folder}`, "
            "then try again."
        )


def take(folder: Path) -> None:
    """Make this process the owner of `folder` until it exits; `FolderInUseError` if another
    process owns it. Taking a folder this process already owns does nothing."""
    folder = folder.resolve()
    if folder in _held:
        return
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
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


def withdraw(folder: Path) -> None:
    """Take away the note of this process's server (when it stops)."""
    path = folder.resolve() / SERVER_FILE
    if _read_json(path).get("pid") == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def owner_of(folder: Path) -> Owner:
    """Who holds `folder` now, as far as its notes say. The server's note is trusted only while
    the process it names runs as this account and wrote the lock; a stale note is removed."""
    folder = folder.resolve()
    lock = _read_json(folder / LOCK_FILE)
    found = lock.get("pid")
    pid = found if isinstance(found, int) else None
    command = str(lock.get("command") or "archive-qa")
    path = folder / SERVER_FILE
    server = _read_json(path)
    if server and not _ours_and_running(server.get("pid")):
        with contextlib.suppress(OSError):
            path.unlink()
        return Owner(pid, command)
    if pid is not None and server.get("pid") == pid:
        return Owner(pid, command, url=str(server.get("url")), token=str(server.get("token")))
    return Owner(pid, command)


def _ours_and_running(pid: object) -> bool:
    """Whether `pid` is a running process of this account (another account could have taken
    the folder's lock and the old server's port)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    if not Path("/proc/self").exists():  # no /proc (macOS): a signal says whether we may
        try:
            os.kill(pid, 0)
        except OSError:  # gone, or another account's
            return False
        return True
    try:
        return Path(f"/proc/{pid}").stat().st_uid == os.getuid()
    except OSError:
        return False


def _read_json(path: Path) -> dict[str, object]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _command() -> str:
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    return " ".join([name, *sys.argv[1:2]])
