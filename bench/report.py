"""What every benchmark ends with: peak memory added, the figures printed and written as JSON."""

from __future__ import annotations

import json
import resource
from pathlib import Path


def write_figures(figures: dict[str, object], out: Path) -> None:
    """Add this process's peak RSS, print `figures` as JSON and write them to `out`."""
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    text = json.dumps(figures, indent=2)
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
