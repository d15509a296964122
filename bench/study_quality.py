"""Score the study materials that can be made without asking anything (the quiz and the glossary)
over a set of records, on what can be counted (issue 23): quiz blanks in the archive's apparatus
or in table rows (target 0), quiz items whose wrong choices are of another kind than the answer
(target 0), items per document and their kinds, and the share of glossary names typed "other"
(target under 15%). Prints a table and writes JSON.

    python bench/study_quality.py eval/corpus --out bench-results/study_quality.json
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.study.glossary import glossary
from qa.study.quiz import quiz
from vectorstore.documents import Document, load_document

BUNDLED = Path(__file__).resolve().parents[1] / "vectorstore" / "data"


def _flat(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Score:
    document: str
    quiz_items: int
    quiz_kinds: dict[str, int]
    blanks_in_apparatus: int
    choices_of_another_kind: int
    names: int
    names_other: int


def score(document: Document) -> Score:
    """The countable figures of one document's quiz and glossary."""
    contents = next((s for s in document.sections if s.name == "Contents"), None)
    apparatus = " ".join(
        _flat(document.text[s.start : s.end]) for s in document.sections if s.name != "Contents"
    )
    items = quiz(document)
    in_apparatus = sum(
        contents is None
        or not contents.start <= i.source.start < contents.end
        or _flat(i.source.quote) in apparatus
        or "|" in i.source.quote
        for i in items
    )
    mixed = 0
    for item in items:
        figures = {any(ch.isdigit() for ch in c) for c in item.choices}
        mixed += (item.kind == "number" and len(figures) > 1) or (
            item.kind != "number" and True in figures
        )
    names = [e for e in glossary(document) if e.kind != "date"]
    return Score(
        document=document.id, quiz_items=len(items),
        quiz_kinds=dict(Counter(i.kind for i in items)), blanks_in_apparatus=in_apparatus,
        choices_of_another_kind=mixed, names=len(names),
        names_other=sum(e.kind == "other" for e in names),
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", type=Path, nargs="+", help="folders of records (.txt, .md)")
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    args = parser.parse_args()
    paths = [BUNDLED, *args.folders]
    documents = [load_document(p) for f in paths for p in sorted(f.rglob("*.txt"))]
    rows = [score(d) for d in documents]
    names = sum(r.names for r in rows)
    items = [r.quiz_items for r in rows]
    summary = {
        "documents": len(rows),
        "quiz_items": sum(items),
        "documents_with_a_quiz": sum(n > 0 for n in items),
        "median_items_per_document": statistics.median(items),
        "quiz_kinds": dict(sum((Counter(r.quiz_kinds) for r in rows), Counter())),
        "blanks_in_apparatus": sum(r.blanks_in_apparatus for r in rows),
        "choices_of_another_kind": sum(r.choices_of_another_kind for r in rows),
        "glossary_names": names,
        "glossary_names_other_share": round(sum(r.names_other for r in rows) / max(names, 1), 3),
    }
    for key, value in summary.items():
        print(f"{key:28s} {value}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        report = {"summary": summary, "documents": [asdict(r) for r in rows]}
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
