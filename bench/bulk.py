"""Benchmark the eval corpus at scale: the eval corpus + 2,000+ bulk FRUS records.

    .venv/bin/python bench/bulk.py [--volumes frus1901China frus1918Russiav03 ... | all]
                                   [--data-dir DIR] [--sets eval/frozen1.jsonl ...]
                                   [--out bench-results/bulk.json]

The eval corpus is what the question sets ask about: the telegram, the 49 FRUS 1951 records and
the 27 older FRUS records of eval/corpus/. Unpacks ../shared/corpus/frus_bulk.tar.gz into a
temporary folder (never into the repo), ingests the chosen volumes (all 10,611 records with
`--volumes all`) beside the eval corpus, then scores the question sets there: over the whole
library, and in a collection holding just the eval corpus (asked on its own, as a course page or
`ask --collection` would). Prints the figures and writes
them as JSON. With --data-dir the store is kept for later runs, and records already in it are
skipped (then the ingest time is that of an unchanged re-ingest).
"""

from __future__ import annotations

import sys
import tarfile
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import FITTED_SETS, bench_parser, eval_corpus_files, write_figures  # noqa: E402

SHARED = ROOT.parent / "shared"
# Same era and region as the telegram where the bulk set has it (China 1901, Russia 1918), plus
# two 1930s volumes: about 2,080 records.
VOLUMES = ["frus1901China", "frus1918Russiav03", "frus1934v04", "frus1936v03"]
EVAL_CORPUS = "Eval corpus"  # the collection it goes in


def main() -> None:
    parser = bench_parser(__doc__, "bulk")
    parser.add_argument(
        "--volumes",
        nargs="+",
        default=VOLUMES,
        help="bulk volumes to add, or `all` (10,611 records)",
    )
    parser.add_argument("--data-dir", type=Path, help="keep the store here (default: temporary)")
    parser.add_argument(
        "--sets", nargs="+", type=Path, default=FITTED_SETS, help="question sets to score"
    )
    args = parser.parse_args()

    from tqdm import tqdm

    from qa.answer import Scope
    from qa.assembly import bundled_document, open_archive
    from qa.evaluation import evaluate, load_questions
    from qa.settings import Settings
    from vectorstore.documents import load_document

    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(SHARED / "corpus/frus_bulk.tar.gz") as tar:
            members = [
                m for m in tar.getmembers()
                if args.volumes == ["all"] or any(f"/{v}/" in m.name for v in args.volumes)
            ]  # fmt: skip
            tar.extractall(tmp, members=members, filter="data")
        bulk = sorted(Path(tmp).glob("frus_bulk/*/*.txt"))
        corpus_files = eval_corpus_files()
        files = corpus_files + bulk
        data = args.data_dir or Path(tmp) / "store"
        settings = Settings(_env_file=None, archive_qa_data_dir=data)  # type: ignore[call-arg]
        archive = open_archive(settings)
        figures: dict[str, object] = {"volumes": args.volumes, "files": len(files)}
        started = time.perf_counter()
        added = Counter(r.status for r in tqdm(archive.library.add_files(files), total=len(files)))
        figures["ingest_seconds"] = round(time.perf_counter() - started, 1)
        figures["ingest_statuses"] = dict(added)
        figures["documents"] = len(archive.library.document_ids())
        figures["passages_indexed"] = archive.store.passage_count()

        started = time.perf_counter()
        archive.ask("Who is Filippov?")
        # The ingest brought the word index up to date (before, this first question did).
        figures["first_ask_seconds"] = round(time.perf_counter() - started, 2)
        corpus = [load_document(p).id for p in corpus_files]
        archive.library.add_to_collection(
            EVAL_CORPUS, [*corpus, load_document(bundled_document()).id]
        )
        for label, scope in [("", None), ("eval_corpus_", Scope(collection=EVAL_CORPUS))]:
            for path in args.sets:
                report = evaluate(
                    load_questions(path), partial(archive.ask, scope=scope), archive.text_of
                )
                figures[f"{label}eval_{path.stem}"] = report.summary
                failed = [v.id for v in report.verdicts if not v.correct]
                figures[f"{label}eval_{path.stem}_wrong"] = failed
    write_figures(figures, args.out)


if __name__ == "__main__":
    main()
