"""The command line's library commands: ingest, documents, remove, collection, verify, reset.
Each goes through `qa.library` (or, when a server has the store open, through that server)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import ArchiveQAError
from ui.asking import archive_or_its_server, settings
from ui.format import counted

if TYPE_CHECKING:
    from qa.library.library import Added


def ingest(args: argparse.Namespace) -> int:
    from collections import Counter

    from tqdm import tqdm

    from qa.errors import FolderInUseError
    from qa.library.library import collection_name, document_files

    if args.collection:
        collection_name(args.collection)  # a bad name is refused before any work
    paths = document_files(args.paths)
    if not paths:
        raise ArchiveQAError(
            "no documents there: give files, or folders holding .txt, .md, .pdf or .html files."
        )
    try:
        add, finish = _ingest_here(args)
    except FolderInUseError as exc:
        if exc.owner.url is None:
            raise
        add, finish = _ingest_through(exc.owner.url, exc.owner.token, args)
    results = []
    with tqdm(total=len(paths), desc="Ingesting", unit="file", file=sys.stderr) as bar:
        try:
            for added in add(paths):
                results.append(added)
                bar.update()
                if added.error:
                    tqdm.write(f"skipped: {added.error}", file=sys.stderr)
        except KeyboardInterrupt:
            bar.close()
            print(
                f"Stopped after {counted(len(results), 'file')}; they are kept. Run the same "
                "command again to go on: the files already in are skipped.",
                file=sys.stderr,
            )
            raise
    counts = Counter(r.status for r in results)
    print(
        f"{counts['added']} added, {counts['updated']} updated, {counts['unchanged']} unchanged, "
        f"{counts['failed']} failed; {finish(results)}"
    )
    return 1 if counts["failed"] else 0


_Adder = tuple["Callable[[list[Path]], Iterable[Added]]", "Callable[[list[Added]], str]"]


def _ingest_here(args: argparse.Namespace) -> _Adder:
    """Adding to the store in this process: the files (in batches), then the collection and a
    summary."""
    from functools import partial

    from qa.assembly import ensure_default_document, open_library

    library = open_library(settings())
    if seeded := ensure_default_document(library.store):
        print(
            f"The index was empty, so the bundled telegram went in first "
            f"(`archive-qa remove {seeded.document_id}` takes it out).",
            file=sys.stderr,
        )

    def finish(results: list[Added]) -> str:
        members = library.finish_adding(results, args.collection)
        summary = f"{library.passages()} passages indexed."
        if members:
            summary += f"\nCollection {args.collection!r} now holds {counted(len(members))}."
        return summary

    return partial(library.add_files, replace=args.replace), finish


def _ingest_through(url: str, token: str | None, args: argparse.Namespace) -> _Adder:
    """Adding through the server that has the store open, file by file (each one is a request)."""
    from functools import partial

    from ui.remote import RemoteArchive

    remote = RemoteArchive(url, token)
    print(
        f"The store is open in the server at {remote.url}: sending the files there.",
        file=sys.stderr,
    )
    add = partial(remote.add, collection=args.collection, replace=args.replace)
    return (lambda paths: map(add, paths)), lambda _: f"the server at {remote.url} has them now."


def collection_list(args: argparse.Namespace) -> int:
    from qa.assembly import open_library

    collections = open_library(settings()).collections()
    if args.json:
        print(
            json.dumps([{"name": n, "documents": ids} for n, ids in collections.items()], indent=2)
        )
        return 0
    for name, ids in collections.items():
        print(f"{name} ({len(ids)} documents): {', '.join(ids) or '-'}")
    if not collections:
        print("No collections yet: `archive-qa collection add NAME ID...` makes one.")
    return 0


def collection_add(args: argparse.Namespace) -> int:
    from qa.assembly import open_library

    members = open_library(settings()).put_in_collection(args.name, args.ids)
    print(f"Collection {args.name!r} now holds {counted(len(members))}.")
    return 0


def collection_remove(args: argparse.Namespace) -> int:
    from qa.assembly import open_library

    left = open_library(settings()).take_out_of_collection(args.name, args.ids or None)
    if args.ids:
        print(f"Collection {args.name!r} now holds {counted(len(left))}.")
    else:
        print(f"Collection {args.name!r} deleted; its documents are still indexed.")
    return 0


def documents(args: argparse.Namespace) -> int:
    from qa.assembly import ensure_default_document
    from ui.remote import RemoteArchive

    archive = archive_or_its_server()
    if isinstance(archive, RemoteArchive):
        rows = archive.documents()
    else:
        ensure_default_document(archive.store)
        rows = [
            {"id": r.id, "title": r.title, "date": r.date, "citation": r.citation, "url": r.url}
            for r in archive.library.documents()
        ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['id']:28}  {row['date'] or 'undated':10}  {row['title']}")
    print(counted(len(rows)))
    return 0


def remove(args: argparse.Namespace) -> int:
    from qa.assembly import open_library

    library = open_library(settings())
    missing = library.remove(args.ids)
    for d in missing:
        print(f"no document {d!r} is indexed; `archive-qa documents` lists them.", file=sys.stderr)
    print(f"{len(args.ids) - len(missing)} removed; {len(library.ids())} documents left.")
    return 1 if missing else 0


def verify(args: argparse.Namespace) -> int:
    from qa.assembly import open_library

    library = open_library(settings())
    problems = library.verify(repair=args.repair)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"All {len(library.ids())} documents are whole ({library.passages()} passages).")
    elif args.repair:
        print(f"Repaired {len(problems)} problems; `archive-qa verify` checks again.")
    else:
        print(f"{len(problems)} problems: `archive-qa verify --repair` fixes them.")
    return 1 if problems and not args.repair else 0


def reset(args: argparse.Namespace) -> int:
    from qa.assembly import reset_store

    if not args.yes:
        raise ArchiveQAError("this deletes every indexed document; run `archive-qa reset --yes`.")
    reset_store(settings())
    print("The index is empty; the bundled telegram is added again on the next ask.")
    return 0
