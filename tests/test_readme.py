"""The README's map of the code stays true: every module is named, once, in "How it works"."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_how_it_works_names_every_module_once() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How it works", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"`((?:qa|ui|vectorstore)/(?:\w+/)?\w+\.(?:py|json))`", section)
    modules = {
        str(p.relative_to(ROOT))
        for package in ("qa", "ui", "vectorstore")
        for p in (ROOT / package).rglob("*.py")
        if p.name != "__init__.py"
    }
    assert sorted(modules - set(named)) == []  # every module is on the map
    assert (
        sorted(set(named) - modules - {"qa/offline/reader.json"}) == []
    )  # and nothing that is gone
    assert [m for m in set(named) if named.count(m) > 1] == []  # each named once
