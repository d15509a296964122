"""What every benchmark ends with: peak memory added, the figures printed and written as JSON."""

from __future__ import annotations

import argparse
import json
import resource
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRUS_1951 = ROOT / "eval/corpus/frus1951v07p2"
# Records from the bulk FRUS volumes that the frozen question set asks about (eval/README.md).
FRUS_BULK_PICKS = ROOT / "eval/corpus/frus_bulk"


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
