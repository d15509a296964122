"""Score the study materials that can be made without asking anything (the quiz and the glossary)
over a set of records, on what can be counted (issue 23): quiz blanks in the archive's apparatus
or in table rows (target 0), quiz items whose wrong choices are of another kind than the answer
(target 0), items per document and their kinds, the share of glossary names typed "other"
(target under 15%), and glossary names that are fragments of a sentence rather than names
(target 0). With `--guides`, the documents are also put in a store of their own and each one's
study guide is made: the historical-thinking kinds of question per document (all four where the
collection allows), questions answered and prompts, and a seeded sample of answered items to
check by hand (does the quote support the question?). Prints a table and writes JSON.

    python bench/study_quality.py eval/corpus --guides --sample 30 \
        --out bench-results/study_quality.json
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qa.assembly import open_archive
from qa.settings import Settings
from qa.study import SKILLS
from qa.study.glossary import glossary
from qa.study.quiz import quiz
from vectorstore.documents import Document, load_document

BUNDLED = Path(__file__).resolve().parents[1] / "vectorstore" / "data"


def _flat(text: str) -> str:
    return " ".join(text.split())


_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# What a fragment looks like, judged apart from how the glossary finds names: a possessive, a
# clause's opening word or a telegram's routing word before the name, a connective or a month
# after it, telegraphese ("Depinstr").
_FRAGMENT = re.compile(
    r"['’]s$|^(?:Sent|Unless|Although|Therefore|Please|Re|Ref|Recommend|Referring|Even|If|When|"  # noqa: RUF001
    r"While|Since|After|Before|Because|Following|Subject)\b|\b(?:of|for|the|and)$|"
    rf"\s(?:{_MONTHS})\b|\sfor\s+[A-Z]{{2,}}$|^(?:Dep|Emb|Ur|My|Re)(?:tel|instr|des|off)s?$"
)


def fragments(names: list[str]) -> list[str]:
    """The glossary names that are pieces of a sentence, not names ("Sent Department",
    "Formosa for FY", "Defense's", "Depinstr")."""
    return [name for name in names if _FRAGMENT.search(name)]


@dataclass(frozen=True)
class Score:
    document: str
    quiz_items: int
    quiz_kinds: dict[str, int]
    blanks_in_apparatus: int
    choices_of_another_kind: int
    names: int
    names_other: int
    fragments: list[str]


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
        fragments=fragments([e.term for e in names]),
    )  # fmt: skip


def score_guides(documents: list[Document], sample: int) -> dict[str, Any]:
    """Each document's study guide, made in a store of these documents alone: the kinds of
    question it asks, and a seeded sample of its answered items with their first quotes."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(_env_file=None, archive_qa_data_dir=Path(folder))  # type: ignore[call-arg]
        archive = open_archive(settings)
        for document in documents:
            archive.store.ingest(document)
        guides = {d.id: archive.study(d).guide for d in documents}
    kinds = {i: Counter(q.skill for q in guide) for i, guide in guides.items()}
    answered = [q for guide in guides.values() for q in guide if q.answer is not None]
    picked = random.Random(23).sample(answered, min(sample, len(answered)))
    return {
        "summary": {
            "guide_questions": sum(len(g) for g in guides.values()),
            "guide_prompts": sum(q.answer is None for g in guides.values() for q in g),
            "guide_kinds": dict(sum(kinds.values(), Counter())),
            "documents_with_all_four_kinds": sum(len(k) == 4 for k in kinds.values()),
            "documents_without": {
                skill: sum(skill not in k for k in kinds.values()) for skill in SKILLS
            },
        },
        "guides": {i: dict(k) for i, k in kinds.items()},
        "sample": [
            {
                "skill": q.skill,
                "question": q.question,
                "quote": " ".join(q.answer.citations[0].quote.split()),
            }
            for q in picked
            if q.answer is not None
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", type=Path, nargs="+", help="folders of records (.txt, .md)")
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    parser.add_argument("--guides", action="store_true", help="make each study guide too")
    parser.add_argument("--sample", type=int, default=30, help="answered items to check by hand")
    args = parser.parse_args()
    paths = [BUNDLED, *args.folders]
    documents = [load_document(p) for f in paths for p in sorted(f.rglob("*.txt"))]
    rows = [score(d) for d in documents]
    guides = score_guides(documents, args.sample) if args.guides else {}
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
        "glossary_fragments": sum(len(r.fragments) for r in rows),
        **guides.get("summary", {}),
    }
    for key, value in summary.items():
        print(f"{key:28s} {value}")
    for item in guides.get("sample", []):
        print(f"\n[{item['skill']}] {item['question']}\n    {item['quote'][:300]}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        report = {"summary": summary, "documents": [asdict(r) for r in rows], **guides}
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
