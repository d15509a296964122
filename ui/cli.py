"""The command line: ask, chat, ingest, documents, remove, collection, serve, eval, verify, reset.
Parses the arguments and reports errors; each command is a function of ui.asking or ui.librarian,
which formats what `qa` returns."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from qa.errors import ArchiveQAError
from ui import asking, librarian

EXAMPLES = """examples:
  archive-qa ask "What did Stalin offer?"
  archive-qa ask --json "Who is Filippov?"
  archive-qa ask --json - < questions.txt      one JSON answer per line
  archive-qa ask --since 1951-01-01 "Who would train the Chinese pilots?"
  archive-qa chat                               follow-ups: "And how long would that take?"
  archive-qa ingest eval/corpus/frus1951v07p2/
  archive-qa ingest --collection "HIST 201" notes.pdf speech.html
  archive-qa ask --collection "HIST 201" "What did the minister say?"
  archive-qa eval --collection "HIST 201" questions.jsonl
  archive-qa serve --port 7860
"""


# The first seconds of a command are mostly imports: hundreds of thousands of objects, none of
# them garbage, which Python's cycle collector would walk again and again.
_STARTING_SECONDS = 3.0


def run() -> int:
    """The `archive-qa` command: `main`, with the cycle collector paused while the command
    starts and skipped on the way out (each a quarter of a second of a cold `ask`: bench/speed.py).
    A long command (serve, chat, ingest) gets it back after its first seconds, with what was
    made by then kept out of its passes."""
    gc.disable()
    resume = threading.Timer(_STARTING_SECONDS, _collect_from_now_on)
    resume.daemon = True
    resume.start()
    status = main()
    gc.freeze()  # the process ends: nothing in it needs collecting first
    return status


def _collect_from_now_on() -> None:
    gc.freeze()
    gc.enable()


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
    ask.set_defaults(run=asking.ask)

    chat = commands.add_parser("chat", help="ask questions interactively, with follow-ups")
    _add_scope_options(chat)
    chat.set_defaults(run=asking.chat)
    _add_library_commands(commands)
    _add_service_commands(commands)
    return parser


def _add_library_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """ingest, documents, remove, collection."""
    ingest = commands.add_parser("ingest", help="add or update documents (.txt, .md, .pdf, .html)")
    ingest.add_argument(
        "paths", nargs="+", type=Path,
        help="document files, or folders (their documents, in all subfolders, are added)",
    )  # fmt: skip
    ingest.add_argument("--collection", metavar="NAME", help="also put them in this collection")
    ingest.add_argument(
        "--replace",
        action="store_true",
        help="replace a stored document that has the same id but came from another file",
    )
    ingest.set_defaults(run=librarian.ingest)

    documents = commands.add_parser("documents", help="list the indexed documents")
    documents.add_argument("--json", action="store_true", help="print JSON")
    documents.set_defaults(run=librarian.documents)

    remove = commands.add_parser("remove", help="take documents out of the index, by id")
    remove.add_argument("ids", nargs="+", metavar="ID", help="document ids, as `documents` lists")
    remove.set_defaults(run=librarian.remove)

    grouping = commands.add_parser("collection", help="group documents into named collections")
    actions = grouping.add_subparsers(title="actions", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list the collections and their documents")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=librarian.collection_list)
    adding = actions.add_parser("add", help="put documents in a collection (created if new)")
    adding.add_argument("name", help="the collection's name")
    adding.add_argument("ids", nargs="+", metavar="ID", help="document ids, as `documents` lists")
    adding.set_defaults(run=librarian.collection_add)
    dropping = actions.add_parser(
        "remove", help="take documents out of a collection, or delete it (its documents stay)"
    )
    dropping.add_argument("name", help="the collection's name")
    dropping.add_argument("ids", nargs="*", metavar="ID", help="documents to take out (none: all)")
    dropping.set_defaults(run=librarian.collection_remove)


def _add_service_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """serve, eval, verify, reset."""
    serve = commands.add_parser("serve", help="start the web app (chat page and POST /api/ask)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)"
    )
    serve.add_argument("--port", type=int, default=7860, help="port (default: %(default)s)")
    serve.set_defaults(run=asking.serve)

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
    evaluate.set_defaults(run=asking.evaluate)

    verify = commands.add_parser(
        "verify", help="check every document against its indexed passages (and --repair them)"
    )
    verify.add_argument("--repair", action="store_true", help="fix what is found")
    verify.set_defaults(run=librarian.verify)

    token = commands.add_parser(
        "token",
        help="print the running server's admin token (a teacher's key to editing study materials)",
    )
    token.set_defaults(run=librarian.token)

    lti = commands.add_parser(
        "lti-register",
        help="register a course site's platform (Canvas, Moodle ...) for LTI 1.3 launches",
        description="Register a learning platform with this tool, from the values on the "
        "platform's page for it; the server reads them when it starts.",
    )
    lti.add_argument("--issuer", required=True, help="the platform's issuer (its iss claim)")
    lti.add_argument("--client-id", required=True, help="the client id the platform gave the tool")
    lti.add_argument(
        "--deployment", action="append", required=True, metavar="ID",
        help="a deployment id of the tool on the platform (repeat for several)",
    )  # fmt: skip
    lti.add_argument("--login-url", required=True, help="the platform's OIDC authorization URL")
    lti.add_argument("--jwks-url", required=True, help="the platform's public key set URL")
    lti.add_argument("--token-url", help="the platform's OAuth2 token URL (for grades)")
    lti.set_defaults(run=librarian.register_platform)

    invite = commands.add_parser(
        "lti-invite",
        help="make a link a course site's platform registers with (LTI Dynamic Registration)",
        description="Make a registration link for one platform (Moodle, Brightspace ...): its "
        "administrator pastes it where the platform adds a tool by URL. It is good for one "
        "registration within a week.",
    )
    invite.add_argument(
        "--url", metavar="URL", help="this server's address as the platform reaches it "
        "(default: the running server's)",
    )  # fmt: skip
    invite.set_defaults(run=librarian.invite_platform)

    reset = commands.add_parser("reset", help="delete every indexed document (to rebuild)")
    reset.add_argument("--yes", action="store_true", help="confirm")
    reset.set_defaults(run=librarian.reset)


def _add_scope_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--document",
        action="append",
        metavar="ID",
        help="search only this document (repeat for several; ids as `documents` lists them)",
    )
    command.add_argument("--collection", metavar="NAME", help="search only this collection")
    command.add_argument("--since", metavar="DATE", help="only documents dated on or after (ISO)")
    command.add_argument("--until", metavar="DATE", help="only documents dated on or before (ISO)")


if __name__ == "__main__":
    raise SystemExit(run())
