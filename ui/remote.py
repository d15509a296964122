"""The command line through the server that owns the store's folder (`archive-qa serve`).

An embedded store is opened by one process at a time (vectorstore.owner). While a server holds
it, `archive-qa ask` and `archive-qa ingest` send their work to that server over HTTP instead,
so the server sees new documents at once and nothing is written behind its back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import httpx

from qa.answer import Answer, Scope, Sentence, Streamed, Turn
from qa.errors import ArchiveQAError
from qa.library import Added, Document

_TIMEOUT = httpx.Timeout(300.0, connect=5.0)


class RemoteArchive:
    """Asks and lists documents (an `Asker`, as `Archive` is) and adds them (a `Shelf`, as
    `Library` is) through a running server."""

    def __init__(self, url: str, token: str | None) -> None:
        """`url` of the server; its admin `token` (from the store's folder) lets a read-only
        server take the command line's documents."""
        self.url = url
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=url, headers=headers, timeout=_TIMEOUT)

    def ask(
        self, question: str, history: Sequence[Turn] = (), scope: Scope | None = None
    ) -> Answer:
        body = _asked(question, history, scope)
        return Answer.model_validate(self._send("POST", "/api/ask", json=body))

    def stream(
        self, question: str, history: Sequence[Turn] = (), scope: Scope | None = None
    ) -> Iterator[Streamed]:
        """`ask`, a sentence at a time, as the server streams it (server-sent events)."""
        body = _asked(question, history, scope) | {"stream": True}
        try:
            with self._http.stream("POST", "/api/ask", json=body) as response:
                if not response.is_success:
                    response.read()
                    self._refused(response)
                event = ""
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        event = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        yield _part(event, line.removeprefix("data: "))
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc

    def documents(self) -> list[Document]:
        """The library's catalogue: each document without its text."""
        return [_listed(row) for row in self._send("GET", "/api/documents")]

    def members(self, name: str) -> list[str]:
        """A collection's documents; an error naming the collections there are if it is none."""
        collections = {c["name"]: c["documents"] for c in self._send("GET", "/api/collections")}
        if name not in collections:
            known = ", ".join(collections) or "none yet"
            raise ArchiveQAError(f"no collection {name!r} (collections: {known}).")
        members: list[str] = collections[name]
        return members

    def holdings(self) -> str:
        return f"the server at {self.url} has them now."

    def add_files(
        self, paths: Iterable[Path], *, collection: str | None = None, replace: bool = False
    ) -> Iterator[Added]:
        """Send files one by one, as its owner's administrator (so a read-only server takes them
        too), telling what became of each."""
        for path in paths:
            yield self._add(path, collection=collection, replace=replace)

    def _add(self, path: Path, *, collection: str | None, replace: bool) -> Added:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            return Added(file=path.name, status="failed", error=f"cannot read {path}: {exc}")
        form = {"replace": str(replace).lower(), "origin": str(path.resolve())}
        if collection:
            form["collection"] = collection
        rows = self._send("POST", "/api/documents", files={"files": (path.name, raw)}, data=form)
        return Added.model_validate(rows[0])

    def _send(self, method: str, route: str, **request: Any) -> Any:
        try:
            response = self._http.request(method, route, **request)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        if response.is_success:
            return response.json()
        self._refused(response)

    def _unreachable(self, exc: httpx.HTTPError) -> ArchiveQAError:
        return ArchiveQAError(
            f"the server at {self.url} that owns the store did not answer ({exc}): check that "
            "it is running, or stop it and run this again."
        )

    def _refused(self, response: httpx.Response) -> NoReturn:
        try:
            reason = response.json().get("error") or response.text
        except ValueError:
            reason = response.text
        raise ArchiveQAError(f"the server at {self.url} refused: {reason}")


def _asked(question: str, history: Sequence[Turn], scope: Scope | None) -> dict[str, Any]:
    body: dict[str, Any] = {"question": question, "history": [t.model_dump() for t in history]}
    if scope is not None:
        body |= {
            "documents": sorted(scope.documents) if scope.documents is not None else None,
            "collection": scope.collection, "since": scope.since, "until": scope.until,
        }  # fmt: skip
    return body


def _part(event: str, data: str) -> Streamed:
    """One server-sent event of a streamed answer."""
    if event == "error":
        raise ArchiveQAError(json.loads(data)["error"])
    return (
        Answer.model_validate_json(data)
        if event == "answer"
        else Sentence.model_validate_json(data)
    )


def _listed(row: dict[str, Any]) -> Document:
    """A document as the server lists it: its catalogue entry, without its text."""
    return Document(
        id=row["id"], title=row["title"], text="", sections=(), source="", date=row.get("date"),
        citation=row.get("citation"), url=row.get("url"),
    )  # fmt: skip
