"""The command line end to end, in a subprocess like a user's shell."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import EVAL, FRUS, ROOT
from tests.pdfs import text_pdf


def run(
    data_dir: Path, *args: str, stdin: str | None = None, environ: Mapping[str, str] = {}
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHROMA_"))}
    env |= {"ARCHIVE_QA_DATA_DIR": str(data_dir), **environ}
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


@contextmanager
def in_terminal(
    data_dir: Path, *args: str, **environ: str
) -> Iterator[tuple[subprocess.Popen[bytes], Callable[[bytes], bytes]]]:
    """The command line run on a pseudo-terminal, as in a user's shell, with a function that
    reads what the terminal shows until a text appears (failing after two minutes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHROMA_"))}
    env |= {"ARCHIVE_QA_DATA_DIR": str(data_dir), **environ}
    terminal, its_end = pty.openpty()
    cli = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", *args], stdout=its_end, stderr=its_end, env=env,
        cwd=ROOT,
    )  # fmt: skip
    os.close(its_end)

    def shows(wanted: bytes) -> bytes:
        seen, deadline = b"", time.monotonic() + 120
        while wanted not in seen:
            # poll, not select: by then the test process may hold more than 1,024 descriptors.
            waiting = select.poll()
            waiting.register(terminal, select.POLLIN)
            ready = waiting.poll(max(0.0, deadline - time.monotonic()) * 1000)
            assert ready, f"{wanted!r} did not appear; the terminal showed {seen.decode()!r}"
            seen += os.read(terminal, 4096)
        return seen

    try:
        yield cli, shows
    finally:
        cli.kill()
        cli.wait()
        os.close(terminal)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


def test_ask_seeds_an_empty_store_and_prints_a_cited_answer(data_dir: Path) -> None:
    result = run(data_dir, "ask", "Who would train the Chinese pilots?")
    assert result.returncode == 0, result.stderr
    assert "with the help of our pilots" in result.stdout
    assert '[1] "We intend to train Chinese pilots' in result.stdout
    assert "APRF, Fond 45, Opis 1, Delo 331" in result.stdout


def test_ask_json_prints_the_answer_contract(data_dir: Path) -> None:
    result = run(data_dir, "ask", "--json", "Who would train the Chinese pilots?")
    answer = json.loads(result.stdout)
    assert set(answer) == {
        "question", "answer", "abstained", "mode", "notice", "citations", "related",
    }  # fmt: skip
    citation = answer["citations"][0]
    assert set(citation) >= {
        "n",
        "document_id",
        "title",
        "chunk_id",
        "quote",
        "start",
        "end",
        "citation",
        "url",
    }


def test_ask_reads_one_question_per_line_from_stdin(data_dir: Path) -> None:
    result = run(
        data_dir,
        "ask",
        "--json",
        "-",
        stdin="Who is Filippov?\n\nWhat is the recipe for borscht?\n",
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["question"] for a in lines] == ["Who is Filippov?", "What is the recipe for borscht?"]
    assert [a["abstained"] for a in lines] == [False, True]
    assert result.returncode == 0  # a refusal is an answer


def test_ask_from_stdin_exits_non_zero_when_a_question_failed(data_dir: Path) -> None:
    too_long = "Why? " * 300  # over the 1,000 characters a question may have
    result = run(data_dir, "ask", "--json", "-", stdin=f"Who is Filippov?\n{too_long}\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["question"] == "Who is Filippov?" and "error" in lines[1]
    assert result.returncode == 1
    assert "1 question(s) failed" in result.stderr


def test_asking_loads_only_what_a_question_uses(data_dir: Path) -> None:
    # Not the web app, the LLM stack, LangChain's vector store seam or a server's modules;
    # each costs a cold `ask` time (bench/speed.py).
    unused = ("gradio", "langchain_openai", "openai", "langchain_chroma", "fastapi", "uvicorn")
    code = (
        "import sys; from ui.cli import main; main(['ask', 'Who is Filippov?']);"
        f"print(sorted(m for m in {unused!r} if m in sys.modules))"
    )
    env = {**os.environ, "ARCHIVE_QA_DATA_DIR": str(data_dir)}
    env.pop("OPENAI_API_KEY", None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_command_that_goes_on_gets_the_cycle_collector_back_after_its_start(
    data_dir: Path,
) -> None:
    # `archive-qa` pauses Python's cycle collector while a command imports and opens what it
    # needs (ui.cli.run); a command that goes on (serve, chat) must have it back.
    code = (
        "import gc, sys, time; from ui.cli import run; sys.argv = ['archive-qa', 'documents'];"
        "run(); time.sleep(4); print(gc.isenabled(), gc.get_freeze_count() > 0)"
    )  # the objects of its start are kept out of the collector's passes
    env = {**os.environ, "ARCHIVE_QA_DATA_DIR": str(data_dir)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.stdout.split()[-2:] == ["True", "True"], result.stderr


def test_ingest_skips_a_bad_file_keeps_the_rest_and_fails_the_run(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    (folder / "week1").mkdir(parents=True)
    (folder / "week1/0001.txt").write_text((FRUS / "0001.txt").read_text())
    (folder / "scan.pdf").write_bytes(text_pdf([]))
    (folder / "manifest.jsonl").write_text("{}")  # not a document: left alone
    (folder / ".drafts").mkdir()
    (folder / ".drafts/draft.txt").write_text("A hidden draft.")
    result = run(tmp_path / "db", "ingest", str(folder), str(FRUS / "0003.txt"))
    assert result.returncode == 1
    assert "scan.pdf has no text layer (a scanned image?): run OCR on it" in result.stderr
    assert "2 added, 0 updated, 0 unchanged, 1 failed" in result.stdout
    assert "the bundled telegram went in first" in result.stderr
    listed = run(tmp_path / "db", "documents", "--json")
    ids = {d["id"] for d in json.loads(listed.stdout)}
    assert ids == {"document-110692", "frus1951v07p2-d1", "frus1951v07p2-d3"}
    again = run(tmp_path / "db", "ingest", str(folder / "week1"))
    assert again.returncode == 0 and "0 added, 0 updated, 1 unchanged, 0 failed" in again.stdout
    (tmp_path / "nothing").mkdir()
    empty = run(tmp_path / "db", "ingest", str(tmp_path / "nothing"))
    assert empty.returncode == 1 and "no documents there: give files, or folders" in empty.stderr


def test_remove_takes_a_document_out_and_names_an_unknown_id(tmp_path: Path) -> None:
    run(tmp_path / "db", "ingest", str(FRUS / "0001.txt"))
    result = run(tmp_path / "db", "remove", "document-110692", "no-such-id")
    assert result.returncode == 1
    assert "1 removed; 1 documents left." in result.stdout
    assert "no document 'no-such-id' is indexed" in result.stderr
    listed = run(tmp_path / "db", "documents", "--json")
    assert [d["id"] for d in json.loads(listed.stdout)] == ["frus1951v07p2-d1"]


def test_eval_scores_the_dev_questions(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run(data_dir, "eval", str(EVAL / "dev_questions.jsonl"), "--json", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["summary"]["questions"] == 12
    assert report["summary"]["verbatim_rate"] == 1.0
    assert report["summary"]["abstained_correctly"] >= 2


def test_errors_are_one_readable_line_and_a_nonzero_exit(data_dir: Path) -> None:
    result = run(data_dir, "ask", "  ")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "archive-qa: error: the question is empty: type what you want to know."
    )
    reset = run(data_dir, "reset")
    assert reset.returncode == 1 and "archive-qa reset --yes" in reset.stderr


def test_help_lists_every_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "--help"], capture_output=True, text=True
    )
    for command in ("ask", "ingest", "documents", "collection", "serve", "eval", "reset"):
        assert command in result.stdout


def test_chat_reads_follow_ups_and_ends_on_an_empty_line(data_dir: Path) -> None:
    result = run(
        data_dir, "chat", stdin="What did Stalin offer?\nAnd how long would that take?\n\n"
    )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("you> ")[1:3]
    assert "124 pieces" in first
    assert "Read as a follow-up to “What did Stalin offer?”" in second
    assert "two to three months" in second


def test_ask_searches_only_the_documents_in_scope(data_dir: Path) -> None:
    result = run(data_dir, "ask", "--until", "1900-01-01", "Who would train the Chinese pilots?")
    assert result.returncode == 0
    assert result.stdout.startswith("I can't answer that from the documents")


def test_a_collection_of_uploaded_kinds_is_asked_on_its_own(tmp_path: Path) -> None:
    memo = tmp_path / "yalu.pdf"
    memo.write_bytes(
        text_pdf(["The Yalu bridges were bombed on 8 November 1950 by seventy B-29 aircraft."])
    )
    page = tmp_path / "speech.html"
    page.write_text("<h1>Speech</h1><p>The minister said the treaty with Peking was void.</p>")
    db = tmp_path / "db"
    made = run(db, "ingest", "--collection", " HIST  201", str(memo), str(page))  # tidied
    assert made.returncode == 0, made.stderr
    assert "Collection 'HIST 201' now holds 2 documents." in made.stdout
    listed = run(db, "collection", "list", "--json")
    assert json.loads(listed.stdout) == [{"name": "HIST 201", "documents": ["yalu", "speech"]}]
    answer = json.loads(
        run(
            db, "ask", "--json", "--collection", "HIST 201", "When were the Yalu bridges bombed?"
        ).stdout
    )
    assert answer["citations"] and answer["citations"][0]["document_id"] == "yalu"
    # The telegram is in the store but not in the collection.
    outside = run(db, "ask", "--collection", "HIST 201", "Who would train the Chinese pilots?")
    assert outside.stdout.startswith("I can't answer that from the documents")
    # An eval can be scoped the same way: the telegram's question has no answer in the collection.
    questions = tmp_path / "hist201.jsonl"
    questions.write_text(
        json.dumps({"id": "y1", "question": "When were the Yalu bridges bombed?",
                    "answerable": True, "must": [["8 November"]], "support": ["8 November 1950"]})
        + "\n"
        + json.dumps({"id": "t1", "question": "Who would train the Chinese pilots?",
                      "answerable": False, "must": [], "support": []})
        + "\n"
    )  # fmt: skip
    scored = run(db, "eval", "--collection", "HIST 201", "--fail-under", "1", str(questions))
    assert scored.returncode == 0, scored.stdout + scored.stderr
    assert '"correct": 2' in scored.stdout
    unknown = run(db, "ask", "--collection", "HIST 999", "Who?")
    assert unknown.returncode == 1
    assert "no collection 'HIST 999' (collections: HIST 201)." in unknown.stderr
    dropped = run(db, "collection", "remove", "HIST 201")
    assert "deleted; its documents are still indexed" in dropped.stdout
    assert run(db, "documents", "--json").stdout.count('"id"') == 3


def test_a_damaged_store_is_one_readable_error_not_a_traceback(tmp_path: Path) -> None:
    assert run(tmp_path / "db", "ingest", str(FRUS / "0001.txt")).returncode == 0
    database = tmp_path / "db" / "chroma.sqlite3"
    damaged = bytearray(database.read_bytes())
    middle = len(damaged) // 3
    damaged[middle : middle + 8192] = bytes(8192)
    database.write_bytes(bytes(damaged))
    for command in (["documents"], ["ask", "Who would train the Chinese pilots?"]):
        result = run(tmp_path / "db", *command)
        assert result.returncode == 1, command
        assert "Traceback" not in result.stderr
        assert "archive-qa verify --repair" in result.stderr or "damaged" in result.stderr


def test_a_reader_that_goes_away_early_ends_the_command_quietly(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHROMA_"))}
    env["ARCHIVE_QA_DATA_DIR"] = str(data_dir)
    questions = "Who is Filippov?\n" * 4
    result = subprocess.run(
        f"{sys.executable} -m ui.cli ask --json - | head -n 1",
        shell=True, input=questions, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert json.loads(result.stdout)["question"] == "Who is Filippov?"
    assert "Traceback" not in result.stderr, result.stderr


def test_an_interrupted_ingest_goes_on_where_it_stopped_when_run_again(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHROMA_"))}
    env["ARCHIVE_QA_DATA_DIR"] = str(tmp_path / "db")
    ingest = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "ingest", str(FRUS)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert ingest.stderr is not None
    shown = b""
    while not re.search(rb"\| *[1-9]\d*/49 \[", shown):  # a first batch is in
        chunk = os.read(ingest.stderr.fileno(), 4096)
        assert chunk, shown.decode()
        shown += chunk
    ingest.send_signal(signal.SIGINT)
    _, rest = ingest.communicate(timeout=120)
    assert ingest.returncode == 130
    assert re.search(
        r"Stopped after \d+ files? \(\d+ added.*\); they are kept, \d+ files? not sent. Run the "
        r"same command again",
        rest.decode(),
    )
    again = run(tmp_path / "db", "ingest", str(FRUS))
    done = re.search(r"(\d+) added, 0 updated, (\d+) unchanged, 0 failed", again.stdout)
    assert again.returncode == 0 and done, again.stdout + again.stderr
    assert int(done[1]) + int(done[2]) == 49 and int(done[2]) > 0
    checked = run(tmp_path / "db", "verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_ingest_refused_on_the_way_says_what_went_in_and_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The server that has the store goes away (or says no) after two of three files."""
    from qa.errors import ArchiveQAError
    from qa.library import Added
    from ui import librarian
    from ui.cli import main

    class Refusing:
        def add_files(self, paths: list[Path], **_: object) -> Iterator[Added]:
            yield Added(file=paths[0].name, status="added", document_id="a")
            yield Added(file=paths[1].name, status="unchanged", document_id="b")
            raise ArchiveQAError("the server at http://127.0.0.1:1 did not answer.")

    monkeypatch.setattr(librarian, "library_or_its_server", lambda doing: Refusing())
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(f"Memo {name}.\n")
    assert main(["ingest", str(tmp_path)]) == 1
    said = capsys.readouterr().err
    assert "Stopped after 2 files (1 added, 0 updated, 1 unchanged, 0 failed)" in said
    assert "1 file not sent. Run the same command again to go on" in said
    assert "error: the server at http://127.0.0.1:1 did not answer." in said
