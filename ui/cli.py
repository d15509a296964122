"""The command line: ask, chat, ingest, documents, remove, collection, serve, eval, verify, reset.
Formats what `qa` returns."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import ArchiveQAError

if TYPE_CHECKING:  # imported where used, so `ask` loads only what it needs
    from qa.assembly import Archive
    from qa.library import Added
    from qa.retrieval import Scope
    from qa.settings import Settings
    from ui.remote import RemoteArchive

EXAMPLES = """examples:
  archive-qa ask "What did Stalin offer?"
  archive-qa ask --json "Who is Filippov?"
  archive-qa ask --json - < questions.txt      one JSON answer per line
  archive-qa ask --since 1951-01-01 "Who would train the Chinese pilots?"
  archive-qa chat                               follow-ups: "And how long would that take?"
  archive-qa ingest eval/corpus/frus1951v07p2/*.txt
  archive-qa ingest --collection "HIST 201" notes.pdf speech.html
  archive-qa ask --collection "HIST 201" "What did the minister say?"
  archive-qa eval --collection "HIST 201" questions.jsonl
  archive-qa serve --port 7860
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; print errors plainly and return a non-zero status on failure."""
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ArchiveQAError as exc:
        print(f"archive-qa: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`archive-qa ask ... | head`): nothing left to say to it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except BaseException as exc:  # Chroma's own failures, its Rust panics included
        if not type(exc).__module__.startswith(("chromadb", "pyo3")):
            raise
        print(
            f"archive-qa: error: the store could not be read ({type(exc).__name__}: {exc}). "
            "It may be damaged: `archive-qa verify --repair` checks and mends it; if that fails "
            "too, `archive-qa reset --yes` and ingest the documents again.",
            file=sys.stderr,
        )
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archive-qa",
        description="Ask questions of historical archive documents; every answer cites verbatim, "
        "checked passages. Works offline; set OPENAI_API_KEY or OPENAI_BASE_URL for LLM answers.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    ask = commands.add_parser("ask", help="answer a question with cited sources")
    ask.add_argument("question", help='the question, or "-" to read one question per stdin line')
    ask.add_argument("--json", action="store_true", help="print the answer contract as JSON")
    _add_scope_options(ask)
    ask.set_defaults(run=_ask)

    chat = commands.add_parser("chat", help="ask questions interactively, with follow-ups")
    _add_scope_options(chat)
    chat.set_defaults(run=_chat)
    _add_library_commands(commands)
    _add_service_commands(commands)
    return parser


def _add_library_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """ingest, documents, remove, collection."""
    ingest = commands.add_parser("ingest", help="add or update documents (.txt, .md, .pdf, .html)")
    ingest.add_argument("paths", nargs="+", type=Path, help="document files")
    ingest.add_argument(
        "--collection", metavar="NAME", help="also put them in this collection (course pack)"
    )
    ingest.add_argument(
        "--replace",
        action="store_true",
        help="replace a stored document that has the same id but came from another file",
    )
    ingest.set_defaults(run=_ingest)

    documents = commands.add_parser("documents", help="list the indexed documents")
    documents.add_argument("--json", action="store_true", help="print JSON")
    documents.set_defaults(run=_documents)

    remove = commands.add_parser("remove", help="take documents out of the index, by id")
    remove.add_argument("ids", nargs="+", metavar="ID", help="document ids, as `documents` lists")
    remove.set_defaults(run=_remove)

    packs = commands.add_parser(
        "collection", help="group documents into named collections (course packs)"
    )
    actions = packs.add_subparsers(title="actions", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list the collections and their documents")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=_collection_list)
    adding = actions.add_parser("add", help="put documents in a collection (created if new)")
    adding.add_argument("name", help="the collection's name")
    adding.add_argument("ids", nargs="+", metavar="ID", help="document ids, as `documents` lists")
    adding.set_defaults(run=_collection_add)
    dropping = actions.add_parser(
        "remove", help="take documents out of a collection, or delete it (its documents stay)"
    )
    dropping.add_argument("name", help="the collection's name")
    dropping.add_argument("ids", nargs="*", metavar="ID", help="documents to take out (none: all)")
    dropping.set_defaults(run=_collection_remove)


def _add_service_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """serve, eval, verify, reset."""
    serve = commands.add_parser("serve", help="start the web app (chat page and POST /api/ask)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)"
    )
    serve.add_argument("--port", type=int, default=7860, help="port (default: %(default)s)")
    serve.set_defaults(run=_serve)

    evaluate = commands.add_parser("eval", help="score a question file (JSONL)")
    evaluate.add_argument("file", type=Path, help="questions in the shared/eval schema")
    evaluate.add_argument("--json", type=Path, metavar="OUT", help="also write the report here")
    evaluate.add_argument(
        "--fail-under",
        type=float,
        metavar="SHARE",
        help="exit 1 when less than this share (0-1) of the questions is right",
    )
    _add_scope_options(evaluate)
    evaluate.set_defaults(run=_eval)

    verify = commands.add_parser(
        "verify", help="check every document against its indexed passages (and --repair them)"
    )
    verify.add_argument("--repair", action="store_true", help="fix what is found")
    verify.set_defaults(run=_verify)

    reset = commands.add_parser("reset", help="delete every indexed document (to rebuild)")
    reset.add_argument("--yes", action="store_true", help="confirm")
    reset.set_defaults(run=_reset)


def _add_scope_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--document",
        action="append",
        metavar="ID",
        help="search only this document (repeat for several; ids as `documents` lists them)",
    )
    command.add_argument(
        "--collection", metavar="NAME", help="search only this collection (course pack)"
    )
    command.add_argument("--since", metavar="DATE", help="only documents dated on or after (ISO)")
    command.add_argument("--until", metavar="DATE", help="only documents dated on or before (ISO)")


def _settings() -> Settings:
    from qa.settings import Settings

    return Settings()


def _ask(args: argparse.Namespace) -> int:
    from ui.format import answer_as_text

    archive = _archive_or_its_server()
    scope = _scope(args)
    if args.question != "-":
        answer = archive.ask(args.question, scope=scope)
        print(answer.model_dump_json(indent=2) if args.json else answer_as_text(answer))
        return 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            print(archive.ask(line, scope=scope).model_dump_json(), flush=True)
        except ArchiveQAError as exc:
            print(json.dumps({"question": line.strip(), "error": str(exc)}), flush=True)
    return 0


def _chat(args: argparse.Namespace) -> int:
    from qa.assembly import open_archive
    from qa.followups import Turn
    from ui.format import answer_as_text

    archive = open_archive(_settings())
    scope = _scope(args)
    history: list[Turn] = []
    print("Ask about the documents; follow-up questions are read with the ones before them.")
    print("An empty line, `quit` or Ctrl+D ends the chat.\n")
    while True:
        try:
            question = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if question.lower() in {"", "quit", "exit"}:
            return 0
        try:
            answer = archive.ask(question, history=history, scope=scope)
        except ArchiveQAError as exc:
            print(f"error: {exc}\n", file=sys.stderr)
            continue
        print(answer_as_text(answer) + "\n", flush=True)
        history += [
            Turn(role="user", content=question),
            Turn(role="assistant", content=answer.answer),
        ]


def _archive_or_its_server() -> Archive | RemoteArchive:
    """The archive, or the server that has its folder open (the one way to ask beside it)."""
    from qa.assembly import open_archive
    from qa.errors import FolderInUseError

    try:
        return open_archive(_settings())
    except FolderInUseError as exc:
        if exc.owner.url is None:
            raise
        from ui.remote import RemoteArchive

        return RemoteArchive(exc.owner.url, exc.owner.token)


def _scope(args: argparse.Namespace) -> Scope | None:
    from qa.retrieval import Scope

    return Scope.of(
        documents=args.document, collection=args.collection, since=args.since, until=args.until
    )


def _ingest(args: argparse.Namespace) -> int:
    from collections import Counter

    from tqdm import tqdm

    from qa.errors import FolderInUseError
    from qa.library import collection_name

    if args.collection:
        collection_name(args.collection)  # a bad name is refused before any work
    try:
        add, finish = _ingest_here(args)
    except FolderInUseError as exc:
        if exc.owner.url is None:
            raise
        add, finish = _ingest_through(exc.owner.url, exc.owner.token, args)
    results = []
    for path in tqdm(args.paths, desc="Ingesting", unit="file", file=sys.stderr):
        results.append(add(path))
        if results[-1].error:
            tqdm.write(f"skipped: {results[-1].error}", file=sys.stderr)
    counts = Counter(r.status for r in results)
    print(
        f"{counts['added']} added, {counts['updated']} updated, {counts['unchanged']} unchanged, "
        f"{counts['failed']} failed; {finish(results)}"
    )
    return 1 if counts["failed"] else 0


_Adder = tuple["Callable[[Path], Added]", "Callable[[list[Added]], str]"]


def _ingest_here(args: argparse.Namespace) -> _Adder:
    """Adding to the store in this process: each file, then the collection and a summary."""
    from functools import partial

    from qa.assembly import ensure_default_document, open_library

    library = open_library(_settings())
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
            summary += f"\nCollection {args.collection!r} now holds {len(members)} documents."
        return summary

    return partial(library.add_file, replace=args.replace), finish


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
    return add, lambda _: f"the server at {remote.url} has them now."


def _collection_list(args: argparse.Namespace) -> int:
    from qa.assembly import open_library

    packs = open_library(_settings()).collections()
    if args.json:
        print(json.dumps([{"name": n, "documents": ids} for n, ids in packs.items()], indent=2))
        return 0
    for name, ids in packs.items():
        print(f"{name} ({len(ids)} documents): {', '.join(ids) or '-'}")
    if not packs:
        print("No collections yet: `archive-qa collection add NAME ID...` makes one.")
    return 0


def _collection_add(args: argparse.Namespace) -> int:
    from qa.assembly import open_library

    members = open_library(_settings()).put_in_collection(args.name, args.ids)
    print(f"Collection {args.name!r} now holds {len(members)} documents.")
    return 0


def _collection_remove(args: argparse.Namespace) -> int:
    from qa.assembly import open_library

    left = open_library(_settings()).take_out_of_collection(args.name, args.ids or None)
    if args.ids:
        print(f"Collection {args.name!r} now holds {len(left)} documents.")
    else:
        print(f"Collection {args.name!r} deleted; its documents are still indexed.")
    return 0


def _documents(args: argparse.Namespace) -> int:
    from qa.assembly import ensure_default_document
    from ui.remote import RemoteArchive

    archive = _archive_or_its_server()
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
    print(f"{len(rows)} documents")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from qa.assembly import open_library

    library = open_library(_settings())
    missing = library.remove(args.ids)
    for d in missing:
        print(f"no document {d!r} is indexed; `archive-qa documents` lists them.", file=sys.stderr)
    print(f"{len(args.ids) - len(missing)} removed; {len(library.ids())} documents left.")
    return 1 if missing else 0


def _serve(args: argparse.Namespace) -> int:
    # Gradio reads these at import: without them it reaches for the network.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from ui.app import serve

    serve(_settings(), host=args.host, port=args.port)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from qa.assembly import open_archive
    from qa.evaluation import evaluate, load_questions

    questions = load_questions(args.file)
    archive = open_archive(_settings())
    scope = _scope(args)
    report = evaluate(
        questions,
        lambda q: archive.ask(q, scope=scope),
        archive.text_of,
        retrieve=lambda q: [
            (p.record.id, p.chunk.start, p.chunk.end) for p in archive.retrieve(q, scope)
        ],
    )
    for v in report.verdicts:
        mark = "ok  " if v.correct else "FAIL"
        found = {None: "", True: "", False: "  (support not retrieved)"}[v.retrieved_support]
        print(f"{mark} {v.id:6} {v.seconds:5.2f}s  {v.question}{found}")
        if not v.correct:
            print(f"       answer: {v.answer[:200]}")
    summary = report.summary
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(report.to_json(), encoding="utf-8")
    share = sum(v.correct for v in report.verdicts) / max(1, len(report.verdicts))
    if args.fail_under is not None and share < args.fail_under:
        print(f"{share:.0%} right, below --fail-under {args.fail_under:.0%}.", file=sys.stderr)
        return 1
    return 0


def _verify(args: argparse.Namespace) -> int:
    from qa.assembly import open_library

    library = open_library(_settings())
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


def _reset(args: argparse.Namespace) -> int:
    from qa.assembly import reset_store

    if not args.yes:
        raise ArchiveQAError("this deletes every indexed document; run `archive-qa reset --yes`.")
    reset_store(_settings())
    print("The index is empty; the bundled telegram is added again on the next ask.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
