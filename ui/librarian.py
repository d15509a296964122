"""The command line's library commands: ingest, documents, remove, collection, verify, reset,
and token (the running server's admin token, for a teacher's study edits).
Each goes through `qa.library` (ingest and documents, when a server has the store open, through
that server)."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import TYPE_CHECKING

from qa.errors import ArchiveQAError
from ui.asking import archive_or_its_server, here_or_its_server, settings

if TYPE_CHECKING:  # imported where used (ui.format too), so `ask` starts its model sooner
    from qa.library import Added, Library, Shelf


def ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from qa.library import collection_name, document_files
    from ui.format import counted

    # A bad name is refused before any work.
    collection = collection_name(args.collection) if args.collection else None
    paths = document_files(args.paths)
    if not paths:
        raise ArchiveQAError(
            "no documents there: give files, or folders holding .txt, .md, .pdf or .html files."
        )
    shelf = library_or_its_server("sending the files")
    results = []
    with tqdm(total=len(paths), desc="Ingesting", unit="file", file=sys.stderr) as bar:
        try:
            for added in shelf.add_files(paths, collection=collection, replace=args.replace):
                results.append(added)
                bar.update()
                if added.error:
                    tqdm.write(f"skipped: {added.error}", file=sys.stderr)
        except (KeyboardInterrupt, ArchiveQAError):
            # Interrupted, or refused on the way (the server went away, or said no): say what
            # went in before the error itself is printed.
            bar.close()
            print(
                f"Stopped after {counted(len(results), 'file')} ({_tally(results)}); they are "
                f"kept, {counted(len(paths) - len(results), 'file')} not sent. Run the same "
                "command again to go on: the files already in are skipped.",
                file=sys.stderr,
            )
            raise
    print(f"{_tally(results)}; {shelf.holdings()}")
    if collection and any(r.document_id for r in results):
        print(f"Collection {collection!r} now holds {counted(len(shelf.members(collection)))}.")
    return 1 if any(r.status == "failed" for r in results) else 0


def _tally(results: list[Added]) -> str:
    """ "2 added, 0 updated, 1 unchanged, 0 failed": what became of the files so far."""
    counts = Counter(r.status for r in results)
    return ", ".join(f"{counts[s]} {s}" for s in ("added", "updated", "unchanged", "failed"))


def library_or_its_server(doing: str) -> Shelf:
    """The library, or the server that has its folder open (saying it is `doing` its work
    there). A library in this process is first seeded with the bundled telegram, if empty."""
    return here_or_its_server(_seeded_library, doing)


def _seeded_library() -> Library:
    from qa.assembly import ensure_default_document, open_library

    library = open_library(settings())
    if seeded := ensure_default_document(library.store):
        print(
            f"The index was empty, so the bundled telegram went in first "
            f"(`archive-qa remove {seeded.document_id}` takes it out).",
            file=sys.stderr,
        )
    return library


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
    from ui.format import counted

    members = open_library(settings()).add_to_collection(args.name, args.ids)
    print(f"Collection {args.name!r} now holds {counted(len(members))}.")
    return 0


def collection_remove(args: argparse.Namespace) -> int:
    from qa.assembly import open_library
    from ui.format import counted

    left = open_library(settings()).remove_from_collection(args.name, args.ids or None)
    if args.ids:
        print(f"Collection {args.name!r} now holds {counted(len(left))}.")
    else:
        print(f"Collection {args.name!r} deleted; its documents are still indexed.")
    return 0


def documents(args: argparse.Namespace) -> int:
    from ui.format import counted

    listed = archive_or_its_server().documents()
    if args.json:
        rows = [
            {"id": d.id, "title": d.title, "date": d.date, "citation": d.citation, "url": d.url}
            for d in listed
        ]
        print(json.dumps(rows, indent=2))
        return 0
    for d in listed:
        print(f"{d.id:28}  {d.date or 'undated':10}  {d.title}")
    print(counted(len(listed)))
    return 0


def remove(args: argparse.Namespace) -> int:
    from qa.assembly import open_library

    library = open_library(settings())
    removed = library.remove(args.ids)
    for d in removed.missing:
        print(f"no document {d!r} is indexed; `archive-qa documents` lists them.", file=sys.stderr)
    print(f"{len(removed.ids)} removed; {len(library.document_ids())} documents left.")
    return 1 if removed.missing else 0


def verify(args: argparse.Namespace) -> int:
    from qa.assembly import open_library

    library = open_library(settings())
    problems = library.verify(repair=args.repair)
    for problem in problems:
        print(problem)
    if not problems:
        whole = f"{len(library.document_ids())} documents are whole"
        print(f"All {whole} ({library.passage_count()} passages).")
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


def register_platform(args: argparse.Namespace) -> int:
    from ui.platforms import Platform, register_platform

    platforms = settings().archive_qa_data_dir / "lti-platforms.json"
    register_platform(
        platforms,
        Platform(
            issuer=args.issuer, client_id=args.client_id, deployment_ids=tuple(args.deployment),
            login_url=args.login_url, jwks_url=args.jwks_url, token_url=args.token_url,
        ),
    )  # fmt: skip
    print(
        f"Registered {args.issuer} (client {args.client_id}) in {platforms}. A running server "
        "reads it when it starts again; the platform needs the tool's URLs: /lti/login, "
        "/lti/launch and /lti/jwks.json on this server."
    )
    return 0


def invite_platform(args: argparse.Namespace) -> int:
    from qa.assembly import server_url
    from ui.registration import WHERE, invite

    folder = settings().archive_qa_data_dir
    base = (args.url or server_url(settings()) or "http://127.0.0.1:7860").rstrip("/")
    code = invite(folder, args.url.rstrip("/") if args.url else None)
    print(
        f"{base}/lti/register/{code}\n\nPaste this link {WHERE}. It registers one platform, "
        "within a week. The platform must reach this server at that address (give it with "
        "--url)."
    )
    return 0


def token(args: argparse.Namespace) -> int:
    from qa.assembly import admin_token

    found = admin_token(settings())
    if not found:
        raise ArchiveQAError(
            "no archive-qa server is serving this data folder: start one with `archive-qa serve` "
            "(or set ARCHIVE_QA_ADMIN_TOKEN, which every replica then uses)."
        )
    print(found)
    return 0
