"""What every benchmark ends with: peak memory added, the figures printed and written as JSON."""

from __future__ import annotations

import argparse
import json
import resource
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "eval"
FRUS_1951 = EVAL / "corpus/frus1951v07p2"
# Records from the bulk FRUS volumes that the frozen question sets ask about (eval/README.md).
FRUS_BULK_PICKS = EVAL / "corpus/frus_bulk"
# The question sets the reader is fitted on (eval/README.md), and the one nothing is fitted on.
FITTED_SETS = [
    EVAL / f"{name}.jsonl"
    for name in (
        "dev_questions", "telegram_paraphrases", "frus1951", "frus1951_heldout",
        "frus1951_heldout2", "telegram_heldout", "frozen1",
    )
]  # fmt: skip
UNTOUCHED_SET = EVAL / "frozen2.jsonl"
# The training questions (written for fitting, over records of their own, eval/corpus-train).
TRAINING_SETS = sorted((EVAL / "train").glob("*.jsonl"))
TRAINING_CORPUS = EVAL / "corpus-train"


def eval_corpus_files() -> list[Path]:
    """The documents of the eval corpus beside the bundled telegram: those of eval/corpus."""
    return [*sorted(FRUS_1951.glob("*.txt")), *sorted(FRUS_BULK_PICKS.glob("*.txt"))]


def bench_parser(doc: str | None, name: str) -> argparse.ArgumentParser:
    """A benchmark's command line: its docstring as help, ``--out`` bench-results/NAME.json."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / f"bench-results/{name}.json")
    return parser


def write_figures(figures: dict[str, object], out: Path) -> None:
    """Add this process's peak RSS, print `figures` as JSON and write them to `out`."""
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    text = json.dumps(figures, indent=2)
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
