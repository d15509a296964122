"""Benchmark the core path: cold `ask`, warm answer latency, ingest time, peak memory, eval.

    .venv/bin/python bench/core.py [--corpus DIR] [--out bench-results/core.json]

Prints the figures and writes them as JSON. Numbers, not asserts: compare runs by eye or in CI logs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import FRUS_1951, bench_parser, write_figures  # noqa: E402

QUESTIONS = [
    "What did Stalin offer?",
    "Who would train the Chinese pilots?",
    "What did the English ask of the Soviet government?",
    "Which body should resolve the Korean question?",
    "What is the recipe for borscht?",
]


def _cli(data_dir: Path, *args: str) -> tuple[float, str]:
    env = {**os.environ, "ARCHIVE_QA_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, env=env, cwd=ROOT
    )
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = bench_parser(__doc__, "core")
    parser.add_argument("--corpus", type=Path, default=FRUS_1951)
    args = parser.parse_args()

    from qa.assembly import open_archive
    from qa.evaluation import evaluate, load_questions
    from qa.settings import Settings
    from vectorstore.records import load_record

    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        figures["first_ask_seconds_incl_seeding"], _ = _cli(data, "ask", "Who is Filippov?")
        cold = [_cli(data, "ask", "What did Stalin offer?")[0] for _ in range(3)]
        figures["cold_ask_seconds_median"] = statistics.median(cold)

        archive = open_archive(Settings(_env_file=None, archive_qa_data_dir=data))  # type: ignore[call-arg]
        archive.ask("warm-up")
        warm = []
        for _ in range(3):
            for q in QUESTIONS:
                started = time.perf_counter()
                archive.ask(q)
                warm.append(time.perf_counter() - started)
        figures["warm_answer_seconds_median"] = statistics.median(warm)
        figures["warm_answer_seconds_max"] = max(warm)

        question_sets = [
            ROOT / "eval/dev_questions.jsonl",
            ROOT / "eval/telegram_paraphrases.jsonl",
        ]
        for path in question_sets:
            report = evaluate(load_questions(path), archive.ask, archive.text_of)
            figures[f"eval_{path.stem}_telegram_only"] = report.summary

        files = sorted(args.corpus.glob("*.txt"))
        started = time.perf_counter()
        for path in files:
            archive.store.ingest(load_record(path))
        figures["ingest_files"] = len(files)
        figures["ingest_seconds"] = time.perf_counter() - started
        figures["chunks_indexed"] = archive.store.chunk_count()

        for path in [
            *question_sets,
            ROOT / "eval/frus1951.jsonl",
            ROOT / "eval/frus1951_heldout.jsonl",
            ROOT / "eval/frus1951_heldout2.jsonl",
            ROOT / "eval/telegram_heldout.jsonl",
        ]:
            report = evaluate(load_questions(path), archive.ask, archive.text_of)
            figures[f"eval_{path.stem}_with_corpus"] = report.summary
    write_figures(figures, args.out)


if __name__ == "__main__":
    main()
