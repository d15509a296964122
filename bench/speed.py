"""Speed against the hardware's floor: what the embedding model alone does, next to what archive-qa
does with it, at three sizes (the bundled telegram, the 49 FRUS 1951 records, a large library).

    .venv/bin/python bench/speed.py [--library DATA_DIR] [--out bench-results/speed.json]

- **Ingest**: the model's raw throughput on the 49 records' passages (all at once, in one
  process), then `archive-qa`'s own ingest of the same files into a new store (passages a second;
  the ratio is the figure), an unchanged re-ingest, and adding one more document (with the word
  index brought up to date).
- **Answers**, warm: the p50 and p95 of distinct questions asked once each after a warm-up, in
  the process (`Archive.ask`) and over HTTP (`POST /api/ask` to `archive-qa serve`).
- **Cold `archive-qa ask`**: a new process per question (median of five), with the project's
  modules compiled to bytecode first, as `./run` leaves them.
- **`serve`'s peak memory** (VmHWM) after its questions.

With `--library`, the same answer figures for a store already built in DATA_DIR (the whole FRUS
library: see README, Benchmarks); without it, the library's rows of --out are kept as they were,
with the date they were measured. Prints a table, then each figure that has a target (`TARGETS`,
issue 26) beside it, and writes the figures as JSON, the targets with them.
"""

from __future__ import annotations

import compileall
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx  # noqa: E402

from bench.report import EVAL, FRUS_1951, bench_parser, write_figures  # noqa: E402

TELEGRAM_QUESTIONS = [
    "What did Stalin offer?",
    "Who would train the Chinese pilots?",
    "What did the English ask of the Soviet government?",
    "Which body should resolve the Korean question?",
    "How many jet fighters would be sent?",
    "Who signed the telegram?",
    "When would the Soviet pilots go home?",
    "What is the recipe for borscht?",
]
WARM_UP = "Who is Filippov?"
# Issue 26's targets on this machine (2 cores, idle): (store, figure, at most or at least, target).
# The ingest one stands for "the whole library in at most 1.5 times the time of 2026-12-03":
# archive-qa's ingest at no less than two thirds of the model's own speed on the same passages.
TARGETS = [
    ("telegram", "cold_ask_seconds", "at most", 1.5),
    ("library", "cold_ask_seconds", "at most", 2.0),
    ("library", "in_process.p50_ms", "at most", 150),
    ("library", "in_process.p95_ms", "at most", 400),
    ("frus1951", "http.p50_ms", "at most", 35),
    ("ingest", "ingest_share_of_raw", "at least", 0.67),
]
COLD_ASKS = 5


def main() -> None:
    parser = bench_parser(__doc__, "speed")
    parser.add_argument("--library", type=Path, help="data folder of a large library to time")
    args = parser.parse_args()
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        figures["ingest"] = in_child(ingest_figures, Path(tmp) / "frus1951")
        telegram = Path(tmp) / "telegram"
        figures["telegram"] = answer_figures(telegram, TELEGRAM_QUESTIONS, cold=True)
        frus = _questions(EVAL / "frus1951.jsonl")
        figures["frus1951"] = answer_figures(Path(tmp) / "frus1951", frus)
    if args.library:
        mixed = [q for pair in zip(TELEGRAM_QUESTIONS, frus, strict=False) for q in pair]
        figures["library"] = answer_figures(args.library, mixed, cold=True)
        figures["library_hnsw"] = in_child(hnsw_recall, args.library)
        figures["library_one_document"] = in_child(one_document, args.library)
        for row in ("library", "library_hnsw", "library_one_document"):
            cast(dict[str, object], figures[row])["measured"] = time.strftime("%Y-%m-%d")
    else:
        figures |= _library_rows_kept(args.out)
    figures["targets"] = against_targets(figures)
    print_table(figures)
    write_figures(figures, args.out)


def _library_rows_kept(out: Path) -> dict[str, object]:
    """The library's rows of the figures last written to `out`, with the date each was measured
    on: without --library they are not measured again (building the library takes an hour), and
    are not to be lost."""
    try:
        before = json.loads(out.read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in before.items() if k.startswith("library") and isinstance(v, dict)}


def against_targets(figures: dict[str, object]) -> list[dict[str, object]]:
    """Each figure that has a target, beside it, and whether it is met; a figure kept from an
    earlier run (the library's, without --library) says when it was measured."""
    rows: list[dict[str, object]] = []
    for store, name, sense, target in TARGETS:
        measured: object = figures.get(store)
        when = measured.get("measured") if isinstance(measured, dict) else None
        for key in name.split("."):
            measured = measured.get(key) if isinstance(measured, dict) else None
        if not isinstance(measured, int | float):
            continue
        met = measured <= target if sense == "at most" else measured >= target
        figure = f"{store}.{name}" + (f" (measured {when})" if when else "")
        rows.append({"figure": figure, "measured": measured, "target": f"{sense} {target}",
                     "met": met})  # fmt: skip
    return rows


# -- ingest ------------------------------------------------------------------------------------


def ingest_figures(data_dir: Path) -> dict[str, object]:
    """Raw model throughput and archive-qa's ingest on the same passages (the 49 records)."""
    from qa.assembly import open_library
    from vectorstore.documents import load_document
    from vectorstore.encoders import shared_encoder
    from vectorstore.passages import split_document

    files = sorted(FRUS_1951.glob("*.txt"))
    texts = [c.text for path in files for c in split_document(load_document(path))]
    encoder = shared_encoder()
    encoder.encode(["warm-up"])
    raw = _seconds(lambda: encoder.encode(texts))

    library = open_library(_settings(data_dir))  # seeds nothing: only asking seeds the telegram
    first = _seconds(lambda: list(library.add_files(files)))
    again = _seconds(lambda: list(library.add_files(files)))
    extra = ROOT / "vectorstore/data"
    one = next(extra.glob("*.txt"))
    added = _seconds(lambda: list(library.add_files([one])))  # the word index with it
    return {
        "passages": len(texts),
        "raw_passages_per_second": round(len(texts) / raw, 1),
        "ingest_passages_per_second": round(len(texts) / first, 1),
        "ingest_share_of_raw": round(raw / first, 2),
        "ingest_seconds": round(first, 2),
        "unchanged_reingest_seconds": round(again, 2),
        "reingest_times_faster": round(first / again, 1),
        "add_one_document_seconds": round(added, 2),
    }


# -- answers -----------------------------------------------------------------------------------


def answer_figures(
    data_dir: Path, questions: list[str], *, cold: bool = False
) -> dict[str, object]:
    """Warm latency in process and over HTTP, serve's peak memory, and (with `cold`) the cold
    `archive-qa ask`, for the store in `data_dir` (the telegram alone if it is new)."""
    figures = in_child(in_process_figures, data_dir, questions)
    from tests.conftest import serve_process

    with serve_process(data_dir, timeout=300) as (url, pid):
        with httpx.Client(base_url=url, timeout=120) as http:
            http.post("/api/ask", json={"question": WARM_UP}).raise_for_status()
            times = [_seconds(lambda q=q: _ask(http, q)) for q in questions]
        figures["http"] = _percentiles(times)
        figures["serve_peak_rss_mb"] = _peak_rss_mb(pid)
    if cold:
        for package in ("qa", "vectorstore", "ui"):  # as ./run leaves them: nothing to compile
            compileall.compile_dir(ROOT / package, quiet=1)
        figures["cold_ask_seconds"] = round(
            statistics.median(
                _seconds(lambda: _cli(data_dir, "ask", questions[0])) for _ in range(COLD_ASKS)
            ),
            2,
        )
    return figures


def in_process_figures(data_dir: Path, questions: list[str]) -> dict[str, object]:
    """The store's size, and the warm latency of `Archive.ask`."""
    from qa.assembly import open_archive

    archive = open_archive(_settings(data_dir))
    archive.ask(WARM_UP)
    times = [_seconds(lambda q=q: archive.ask(q)) for q in questions]
    return {
        "documents": len(archive.library.document_ids()),
        "passages": archive.library.passage_count(),
        "in_process": _percentiles(times),
    }


def hnsw_recall(data_dir: Path, ks: tuple[int, ...] = (10, 40)) -> dict[str, object]:
    """Recall@k of Chroma's approximate (HNSW) search against exact search over every stored
    vector, for the questions of all of eval/'s sets."""
    import numpy as np

    from qa.assembly import open_store
    from vectorstore.store import PASSAGES

    store = open_store(_settings(data_dir))
    passages = store.client.get_collection(PASSAGES)
    ids: list[str] = []
    rows = []
    for offset in range(0, passages.count(), 5000):
        page = passages.get(include=["embeddings"], limit=5000, offset=offset)
        ids += page["ids"]
        rows.append(np.asarray(page["embeddings"], dtype=np.float32))
    vectors = np.concatenate(rows)
    questions = [q for path in sorted(EVAL.glob("*.jsonl")) for q in _questions(path, None)]
    asked = store.encoder.encode(questions)
    figures: dict[str, object] = {"vectors": len(ids), "queries": len(questions)}
    exact_order = np.argsort(-(asked @ vectors.T), axis=1)
    for k in ks:
        found = passages.query(query_embeddings=asked, n_results=k, include=[])["ids"]
        wanted = min(k, len(ids))
        hits = [
            len(set(got) & {ids[i] for i in exact_order[q, :k]}) / wanted
            for q, got in enumerate(found)
        ]
        figures[f"recall_at_{k}"] = round(float(np.mean(hits)), 4)
    figures["hnsw"] = str(passages.configuration_json.get("hnsw"))
    return figures


def one_document(data_dir: Path) -> dict[str, object]:
    """Adding one document to the store and taking it out again, each with the word index
    brought up to date (as the next question would)."""
    from qa.assembly import open_library

    library = open_library(_settings(data_dir))
    library.store.documents_with([])  # a search brings the word index up to date first
    memo = (
        b"# Memo on the Quaxley shipment\n\nThe Quaxley shipment left Tientsin on 4 March 1951.\n"
    )
    added = _seconds(lambda: library.add_uploads([("quaxley-bench.md", memo)]))
    found = library.store.documents_with(["quaxley"])
    removed = _seconds(lambda: library.remove(["quaxley-bench"]))
    return {
        "add_seconds": round(added, 2),
        "found_by_its_words": found == {"quaxley-bench"},
        "remove_seconds": round(removed, 2),
    }


def in_child(work: Callable[..., dict[str, object]], *args: object) -> dict[str, object]:
    """`work(*args)` in a new process: a process that opens a store's folder owns it until it
    ends, and `archive-qa serve` is to open it next."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        return child.submit(work, *args).result()


def _ask(http: httpx.Client, question: str) -> None:
    http.post("/api/ask", json={"question": question}).raise_for_status()


def _peak_rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return 0


def _cli(data_dir: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "ui.cli", *args], env=_env(data_dir), cwd=ROOT,
        capture_output=True, check=True,
    )  # fmt: skip


# -- helpers -----------------------------------------------------------------------------------


def _settings(data_dir: Path):  # type: ignore[no-untyped-def]
    from qa.settings import Settings

    return Settings(_env_file=None, archive_qa_data_dir=data_dir)  # type: ignore[call-arg]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHROMA_"))}
    return env | {"ARCHIVE_QA_DATA_DIR": str(data_dir)}


def _questions(path: Path, limit: int | None = 30) -> list[str]:
    import json

    return [json.loads(line)["question"] for line in path.read_text().splitlines() if line][:limit]


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _percentiles(seconds: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(seconds, n=20, method="inclusive")
    return {
        "questions": len(seconds),
        "p50_ms": round(statistics.median(seconds) * 1000, 1),
        "p95_ms": round(cuts[18] * 1000, 1),
    }


def print_table(figures: dict[str, object]) -> None:
    ingest = figures["ingest"]
    assert isinstance(ingest, dict)
    print(
        f"\ningest of {ingest['passages']} passages: "
        f"model alone {ingest['raw_passages_per_second']}/s, "
        f"archive-qa {ingest['ingest_passages_per_second']}/s "
        f"({ingest['ingest_share_of_raw']:.0%}); "
        f"unchanged again {ingest['unchanged_reingest_seconds']} s "
        f"({ingest['reingest_times_faster']}x faster); one more document "
        f"{ingest['add_one_document_seconds']} s\n"
    )
    print(f"{'store':<10} {'docs':>6} {'passages':>9} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'HTTP p50':>9} {'HTTP p95':>9} {'serve MB':>9} {'cold ask s':>11}")  # fmt: skip
    for name in ("telegram", "frus1951", "library"):
        row = figures.get(name)
        if not isinstance(row, dict):
            continue
        inside, http = row["in_process"], row["http"]
        print(
            f"{name:<10} {row['documents']:>6} {row['passages']:>9} {inside['p50_ms']:>8} "
            f"{inside['p95_ms']:>8} {http['p50_ms']:>9} {http['p95_ms']:>9} "
            f"{row['serve_peak_rss_mb']:>9} {row.get('cold_ask_seconds', ''):>11}"
        )
    for name in ("library_hnsw", "library_one_document"):
        if name in figures:
            print(f"{name}: {figures[name]}")
    print(f"\n{'figure':<32} {'measured':>9}  {'target':<14} met")
    for row in figures["targets"]:  # type: ignore[attr-defined]
        print(f"{row['figure']:<32} {row['measured']:>9}  {row['target']:<14} "
              f"{'yes' if row['met'] else 'NO'}")  # fmt: skip
    print()


if __name__ == "__main__":
    main()
