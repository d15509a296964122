"""The command line's asking commands (ask, chat, eval) and serve, with what they share: the
settings, the archive (or the server that has it open) and the scope a question is asked in."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, TypeVar

from qa.errors import ArchiveQAError

if TYPE_CHECKING:  # imported where used, so `ask` loads only what it needs
    from collections.abc import Callable, Iterator

    from qa.answer import Answer, Asker, Scope, Streamed
    from qa.settings import Settings
    from ui.remote import RemoteArchive

T = TypeVar("T")


def settings() -> Settings:
    from qa.settings import Settings

    return Settings()


def ask(args: argparse.Namespace) -> int:
    archive = archive_or_its_server()  # first: it starts loading the model
    from ui.format import answer_as_text

    scope = scope_of(args)
    if args.question != "-" and not args.json and sys.stdout.isatty():
        show_as_written(archive.stream(args.question, scope=scope))
        return 0
    if args.question != "-":
        answer = archive.ask(args.question, scope=scope)
        print(answer.model_dump_json(indent=2) if args.json else answer_as_text(answer))
        return 0
    failed = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            print(archive.ask(line, scope=scope).model_dump_json(), flush=True)
        except ArchiveQAError as exc:
            failed += 1
            print(json.dumps({"question": line.strip(), "error": str(exc)}), flush=True)
    if failed:  # a script reading the answers learns that some are missing
        print(f"archive-qa: {failed} question(s) failed; see their error lines.", file=sys.stderr)
    return 1 if failed else 0


def chat(args: argparse.Namespace) -> int:
    from qa.answer import Turn
    from qa.assembly import open_archive

    archive = open_archive(settings())
    scope = scope_of(args)
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
            answer = show_as_written(archive.stream(question, history=history, scope=scope))
        except ArchiveQAError as exc:
            print(f"error: {exc}\n", file=sys.stderr)
            continue
        print(flush=True)
        history += [
            Turn(role="user", content=question),
            Turn(role="assistant", content=answer.answer),
        ]


def show_as_written(parts: Iterator[Streamed]) -> Answer:
    """Print each sentence of an answer as it is checked, then its notice and its sources;
    the whole answer."""
    from qa.answer import Answer
    from ui.format import answer_as_text, notice_as_text, sentence_as_text, sources_as_text

    shown = []
    for part in parts:
        if not isinstance(part, Answer):
            print(sentence_as_text(part), flush=True)
            shown.append(part.text)
        elif shown and " ".join(shown) == part.answer:
            print("\n".join(text for text in [notice_as_text(part), sources_as_text(part)] if text))
            return part
        else:  # given whole: an abstention, or an answer not streamed
            print(answer_as_text(part))
            return part
    raise ArchiveQAError("the answer ended before it was complete: ask again.")


def archive_or_its_server() -> Asker:
    """The archive, or the server that has its folder open (the one way to ask beside it)."""
    from vectorstore.encoders import shared_encoder, warm

    # The reader's model (and by default the store's) loads on the other core while the store
    # and the chain are imported, a second between them (bench/speed.py, cold ask).
    warm(shared_encoder("minilm"))
    from qa.assembly import open_archive

    return here_or_its_server(lambda: open_archive(settings()))


def here_or_its_server(open_here: Callable[[], T], doing: str = "") -> T | RemoteArchive:
    """What `open_here` opens on the store, or the server that has the store's folder open
    (saying on stderr that it is `doing` its work there, when `doing` says what)."""
    from qa.errors import FolderInUseError

    try:
        return open_here()
    except FolderInUseError as exc:
        if exc.owner.url is None:
            raise
        from ui.remote import RemoteArchive

        remote = RemoteArchive(exc.owner.url, exc.owner.token)
        if doing:
            print(
                f"The store is open in the server at {remote.url}: {doing} there.", file=sys.stderr
            )
        return remote


def scope_of(args: argparse.Namespace) -> Scope | None:
    from qa.answer import Scope

    return Scope.of(
        documents=args.document, collection=args.collection, since=args.since, until=args.until
    )


def serve(args: argparse.Namespace) -> int:
    # Gradio reads these at import: without them it reaches for the network.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from ui import app

    app.serve(settings(), host=args.host, port=args.port)
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from qa.assembly import open_archive
    from qa.evaluation import evaluate as score
    from qa.evaluation import load_questions

    questions = load_questions(args.file)
    archive = open_archive(settings())
    scope = scope_of(args)
    report = score(
        questions,
        lambda q: archive.ask(q, scope=scope),
        archive.text_of,
        retrieve=lambda q: archive.retrieve(q, scope),
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
