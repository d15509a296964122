"""Load: many students asking at once over loopback, offline and in LLM mode.

    .venv/bin/python bench/load.py [--students 50] [--seconds 60] [--pack] [--out FILE]

Serves the app on 127.0.0.1 over the bundled telegram, behind a pretend proxy (each student has
an address of their own, so the per-client rate limit applies as it would in a class), and lets
each student ask, think for about a second, and ask a follow-up that carries their own mark. In
LLM mode the model is a local OpenAI-compatible fake that quotes its first passage after 0.2 s.
Counts errors (any status but 200), and leaks (an answer that shows another student's mark),
and reports latency percentiles. tests/test_load.py runs a short form of the same.

With `--pack`, the throughput of one replica instead (issue 26): the 49 FRUS 1951 records (a
course pack), offline, the rate limit off, and each client asking the questions of eval/ about
them (varied, never the same twice in a row) one after another without pausing; answers a
second, p50 and p95 (written to bench-results/load-pack.json unless --out says otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx  # noqa: E402

from bench.report import EVAL, FRUS_1951, bench_parser, write_figures  # noqa: E402

QUESTIONS = [
    "What did Stalin offer?",
    "Who would train the Chinese pilots?",
    "How many jet fighters would be sent?",
    "Who signed the telegram?",
    "When was the telegram sent?",
    "Where is the original kept?",
]
FOLLOW_UP = "And how long would that take?"
_MARK = re.compile(r"student-(\d+)-mark")


@dataclass
class LoadReport:
    """What a load run saw."""

    students: int
    seconds: float
    requests: int = 0
    errors: int = 0
    rate_limited: int = 0
    leaks: int = 0
    latencies: list[float] = field(default_factory=list, repr=False)

    def summary(self) -> dict[str, object]:
        ordered = sorted(self.latencies) or [0.0]
        figures = {k: v for k, v in asdict(self).items() if k != "latencies"}
        return figures | {
            "requests_per_second": round(self.requests / self.seconds, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1),
        }


def run_pack_load(url: str, questions: list[str], *, clients: int, seconds: float) -> LoadReport:
    """`clients` threads asking `url`'s API `questions` for `seconds`, each from its own place in
    the list and without pausing: how many answers a second one server gives."""
    report = LoadReport(students=clients, seconds=seconds)
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        with httpx.Client(base_url=url, timeout=300) as http:
            asked = n * 7
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = http.post(
                    "/api/ask", json={"question": questions[asked % len(questions)]}
                )
                took = time.perf_counter() - started
                asked += 1
                with lock:
                    report.requests += 1
                    report.latencies.append(took)
                    report.errors += response.status_code != 200

    _all_at_once(client, clients)
    return report


def run_load(url: str, *, students: int, seconds: float, seed: int = 1) -> LoadReport:
    """`students` threads asking `url`'s API for `seconds`; each pair of questions is a first
    question and a follow-up with the student's own mark in its history."""
    report = LoadReport(students=students, seconds=seconds)
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def student(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        headers = {"x-forwarded-for": f"10.0.{n // 250}.{n % 250 + 1}"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
            while time.monotonic() < stop:
                first = f"{rng.choice(QUESTIONS)} (student-{n}-mark)"
                history = [
                    {"role": "user", "content": first},
                    {"role": "assistant", "content": "An earlier answer."},
                ]
                for body in ({"question": first}, {"question": FOLLOW_UP, "history": history}):
                    started = time.perf_counter()
                    response = http.post("/api/ask", json=body)
                    took = time.perf_counter() - started
                    others = {int(m) for m in _MARK.findall(response.text)} - {n}
                    with lock:
                        report.requests += 1
                        report.latencies.append(took)
                        report.errors += response.status_code != 200
                        report.rate_limited += response.status_code == 429
                        report.leaks += bool(others)
                    time.sleep(rng.uniform(0.5, 1.5))  # reading the answer

    _all_at_once(student, students)
    return report


def _all_at_once(work: Callable[[int], None], count: int) -> None:
    """`work(0)` to `work(count - 1)`, each in a thread of its own, until all have ended."""
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> None:
    parser = bench_parser(__doc__, "load")
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--pack", action="store_true", help="one replica's throughput on the "
                        "49 FRUS 1951 records (issue 26)")  # fmt: skip
    args = parser.parse_args()
    if args.pack:
        pack_load(args)
        return

    from functools import partial

    from qa.assembly import open_archive
    from qa.settings import Settings
    from tests.conftest import serving
    from tests.fake_openai import fake_openai_server, quoting_reply
    from ui.app import build_app
    from ui.guards import Limits

    figures: dict[str, object] = {}
    limits = Limits(trusted_proxies=["127.0.0.1"], requests_per_minute=60)
    with tempfile.TemporaryDirectory() as tmp, fake_openai_server() as model:
        model.otherwise = partial(quoting_reply, delay=0.2)
        for mode, extra in (("offline", {}), ("llm", {"openai_base_url": model.base_url})):
            settings = Settings(_env_file=None, archive_qa_data_dir=Path(tmp) / mode, **extra)  # type: ignore[call-arg]
            with serving(build_app(open_archive(settings), limits)) as url:
                report = run_load(url, students=args.students, seconds=args.seconds)
            figures[mode] = report.summary()
            print(mode, figures[mode], flush=True)
    write_figures(figures, args.out)


def pack_load(args: argparse.Namespace) -> None:
    from qa.assembly import open_archive
    from qa.settings import Settings
    from tests.conftest import serving
    from ui.app import build_app
    from ui.guards import Limits

    questions = [
        json.loads(line)["question"]
        for name in ("frus1951", "frus1951_heldout", "frus1951_heldout2")
        for line in (EVAL / f"{name}.jsonl").read_text().splitlines()
        if line.strip()
    ]
    out = args.out if args.out.name != "load.json" else args.out.with_name("load-pack.json")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, archive_qa_data_dir=Path(tmp))  # type: ignore[call-arg]
        archive = open_archive(settings)
        list(archive.library.add_files(sorted(FRUS_1951.glob("*.txt"))))
        with serving(build_app(archive, Limits(requests_per_minute=0))) as url:
            httpx.post(f"{url}/api/ask", json={"question": "Who is Filippov?"}, timeout=300)
            report = run_pack_load(url, questions, clients=args.students, seconds=args.seconds)
    figures = report.summary()
    figures["answers_per_second"] = figures.pop("requests_per_second")
    print(figures, flush=True)
    write_figures({"pack": figures}, out)


if __name__ == "__main__":
    main()
