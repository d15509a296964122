"""Check a question set against its records before anyone runs it: the schema, every support
passage verbatim (whitespace aside) in a record the question names, every `must` group found in
that record, and the counts of each kind. Prints the problems and exits 1 when there are any.

    python bench/check_questions.py eval/frozen4.jsonl eval/corpus-frozen4 eval/corpus
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

from vectorstore.documents import load_document

KINDS = {"content", "provenance", "field", "named"}
REASONS = {
    "other_party", "other_number", "missing_field", "unstated_role", "absent_fact", "outside",
}  # fmt: skip
BUNDLED = Path(__file__).resolve().parents[1] / "vectorstore" / "data"


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def _records(folders: list[Path]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for folder in [*folders, BUNDLED]:
        for path in sorted(folder.rglob("*.txt")):
            document = load_document(path)
            texts[document.id] = _flat(document.text)
    return texts


def check(path: Path, texts: dict[str, str]) -> tuple[list[str], collections.Counter[str]]:
    """The problems of one question file, and its counts by kind."""
    problems: list[str] = []
    counts: collections.Counter[str] = collections.Counter()
    seen: set[str] = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc})")
            continue
        qid = row.get("id", "?")
        if qid in seen:
            problems.append(f"{where}: id {qid} used twice")
        seen.add(qid)
        problems += [f"{where} {qid}: {p}" for p in _row_problems(row, texts)]
        answerable = row.get("answerable")
        counts["answerable" if answerable else "unanswerable"] += 1
        counts[f"kind:{row.get('kind', '-')}"] += 1
        if not answerable:
            counts[f"why:{row.get('why', '-')}"] += 1
    return problems, counts


def _row_problems(row: dict[str, object], texts: dict[str, str]) -> list[str]:
    problems = []
    missing = {"id", "question", "answerable", "must", "support"} - row.keys()
    if missing:
        return [f"missing keys {sorted(missing)}"]
    documents = row.get("documents") or list(texts)  # the earliest sets name none
    assert isinstance(documents, list)
    unknown = [d for d in documents if d not in texts]
    if unknown:
        return [f"unknown documents {unknown}"]
    if row.get("kind") is not None and row["kind"] not in KINDS:
        problems.append(f"kind {row['kind']!r} is not one of {sorted(KINDS)}")
    text = " ".join(texts[d] for d in documents)
    support, must = row["support"], row["must"]
    assert isinstance(support, list) and isinstance(must, list)
    if row["answerable"]:
        if not support or not must:
            problems.append("an answerable question needs support and must")
        for passage in support:
            if _flat(passage) not in text:
                problems.append(f"support not verbatim in its record: {passage[:60]!r}")
        for group in must:
            if not any(_flat(alt) in text for alt in group):
                problems.append(f"no alternative of must group {group} is in the record")
    else:
        if support or must:
            problems.append("an unanswerable question has no support or must")
        if row.get("why") is not None and row["why"] not in REASONS:
            problems.append(f"why {row['why']!r} is not one of {sorted(REASONS)}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path, nargs="+", help="question files (.jsonl)")
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        required=True,
        help="a folder of the records the questions name (repeat for more)",
    )
    args = parser.parse_args()
    texts = _records(args.corpus)
    failed = False
    for path in args.questions:
        problems, counts = check(path, texts)
        print(
            f"{path}: {sum(counts[k] for k in ('answerable', 'unanswerable'))} questions",
            dict(sorted(counts.items())),
        )
        for problem in problems:
            print("  " + problem)
        failed = failed or bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
