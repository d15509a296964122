"""Compare the embedding models end to end: MiniLM (the default) and multilingual-e5-small.

    .venv/bin/python bench/embeddings.py [--models minilm e5] [--sets eval/frozen1.jsonl ...]
                                         [--out bench-results/embeddings.json]

For each model, builds the eval corpus (the telegram and eval/corpus) in a temporary store and
measures: ingest time and passages per second; for each question set, answers right, retrieval
recall@k (a support passage among the retrieved passages) and the median time per question, with
the answerer archive-qa ships (whose reader always scores sentences with MiniLM). Prints a table
and writes the figures as JSON.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import FITTED_SETS, bench_parser, eval_corpus_files, write_figures  # noqa: E402


def main() -> None:
    parser = bench_parser(__doc__, "embeddings")
    parser.add_argument("--models", nargs="+", default=["minilm", "e5"])
    parser.add_argument("--sets", nargs="+", type=Path, default=FITTED_SETS)
    args = parser.parse_args()

    from qa.assembly import open_archive
    from qa.evaluation import evaluate, load_questions
    from qa.settings import Settings
    from vectorstore.documents import load_document

    documents = [load_document(path) for path in eval_corpus_files()]
    figures: dict[str, object] = {"documents": len(documents) + 1}
    for model in args.models:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None, archive_qa_data_dir=Path(tmp), archive_qa_embedding_model=model
            )
            started = time.perf_counter()
            archive = open_archive(settings)
            for document in documents:
                archive.store.ingest(document)
            seconds = time.perf_counter() - started
            passages = archive.store.passage_count()
            row: dict[str, object] = {
                "ingest_seconds": round(seconds, 1),
                "passages": passages,
                "passages_per_second": round(passages / seconds, 1),
            }
            archive.ask("Who is Filippov?")  # the word index and the models are loaded

            for path in args.sets:
                report = evaluate(
                    load_questions(path), archive.ask, archive.text_of, archive.retrieve
                )
                summary = report.summary
                row[path.stem] = {
                    "right": summary["correct"],
                    "of": summary["questions"],
                    "recall_at_k": summary["retrieval_recall_at_k"],
                    "median_seconds": statistics.median(v.seconds for v in report.verdicts),
                }
            figures[model] = row
    for model in args.models:
        row = figures[model]
        assert isinstance(row, dict)
        print(f"{model}: ingest {row['ingest_seconds']} s ({row['passages_per_second']}/s)")
        for path in args.sets:
            s = row[path.stem]
            print(
                f"  {path.stem:22} {s['right']:3}/{s['of']:<3} recall@k {s['recall_at_k']}"
                f"  median {s['median_seconds']:.2f} s"
            )
    write_figures(figures, args.out)


if __name__ == "__main__":
    main()
