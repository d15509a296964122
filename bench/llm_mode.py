"""Benchmark LLM mode with a local model: a question set asked through the real chain, streamed,
next to the offline answerer on the same questions in the same eval corpus.

    .venv/bin/python bench/llm_mode.py --model smollm2 [--questions eval/frozen2.jsonl]
        [--add DIR] [--limit N] [--passages 8] [--max-tokens 400]
        [--out bench-results/llm_mode.json]

`--model` is what ARCHIVE_QA_LOCAL_MODEL takes: a GGUF file, or `smollm2`. Reported: right
answers (as `archive-qa eval` judges them) in both modes, refusals, how often the model's reply
fell back to the offline answer, the model's claims kept by exact quote matching and by snapping
(qa/quotes.py), time to the first verified sentence and to the whole answer. Every quote that
needed snapping is listed with the source words it was snapped to, for checking by hand.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.outputs import LLMResult  # noqa: E402

from bench.report import UNTOUCHED_SET, bench_parser, eval_corpus_files, write_figures  # noqa: E402


class _Replies(BaseCallbackHandler):
    """The raw text of every model reply in a run (LangChain passes callbacks down the chain)."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def on_llm_end(self, response: LLMResult, **_: Any) -> None:
        self.texts.append(response.generations[0][0].text)


def _quotes(reply: str, passages: list[Any]) -> list[dict[str, Any]]:
    """Each quote of each claim in `reply`: where exact matching finds it, the best snap, and
    whether the claim's verified quotes bear it out (qa.citations.supports)."""
    from qa.citations import find_quote, locate_quote, snap_quote, supports
    from qa.llm.answerer import named_passage
    from qa.llm.replies import read_line

    found = []
    for n, line in enumerate(reply.splitlines()):
        claim = read_line(line)
        if claim is None:
            continue
        verified = []
        for label, quote in claim.quotes:
            named = named_passage(label, passages)
            exact = named is not None and locate_quote(quote, named.text) is not None
            elsewhere = any(locate_quote(quote, p.text) for p in passages)
            snap = snap_quote(quote, named.text) if named and not elsewhere else None
            if (kept := find_quote(quote, named, passages)) is not None:
                verified.append(kept[0].text[kept[1] : kept[2]])
            found.append({
                "claim": n, "text": claim.text, "label": label, "quote": quote,
                "exact_in_named": exact, "exact_anywhere": elsewhere,
                "snap_score": round(snap.score, 1) if snap else None,
                "snapped_to": named.text[snap.start : snap.end] if named and snap else None,
            })  # fmt: skip
        for row in found:
            if row["claim"] == n:
                row["claim_supported"] = bool(verified) and supports(claim.text, verified)
    return found


def _claims_kept(quotes: list[dict[str, Any]], threshold: float | None) -> int:
    """Claims with at least one quote found exactly (or, with `threshold`, snapped at it)."""
    kept = {
        q["claim"]
        for q in quotes
        if q["exact_anywhere"] or (threshold is not None and (q["snap_score"] or 0.0) >= threshold)
    }
    return len(kept)


def main() -> None:
    parser = bench_parser(__doc__, "llm_mode")
    parser.add_argument("--model", required=True, help="a GGUF file, or smollm2")
    parser.add_argument("--questions", type=Path, default=UNTOUCHED_SET)
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument(
        "--add", type=Path, action="append", default=[],
        help="a folder of documents to add to the eval corpus (eval/corpus-frozen3 for frozen3)",
    )  # fmt: skip
    parser.add_argument("--passages", type=int, default=8, help="ARCHIVE_QA_LLM_PASSAGES")
    parser.add_argument("--max-tokens", type=int, default=400, help="ARCHIVE_QA_LLM_MAX_TOKENS")
    parser.add_argument(
        "--from", dest="saved", type=Path, help="recompute the figures of a saved run's JSON"
    )
    args = parser.parse_args()
    if args.saved:
        import json

        from qa.citations import SNAP_SCORE as threshold

        saved = json.loads(args.saved.read_text())
        args.model, args.questions = saved["model"], ROOT / saved["questions"]
        args.passages, args.max_tokens = saved["passages"], saved["max_tokens"]
        figures = _figures(args, saved["per_question"], saved["model_start_seconds"], threshold)
        figures["peak_rss_mb"] = saved["peak_rss_mb"]  # the run's, not this process's
        args.out.write_text(json.dumps(figures, indent=2))
        return

    from qa.answer import Answer, Ask
    from qa.assembly import open_archive, open_store
    from qa.citations import SNAP_SCORE
    from qa.evaluation import judge, load_questions
    from qa.settings import Settings
    from vectorstore.documents import load_document

    questions = load_questions(args.questions)[: args.limit]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings(_env_file=None, archive_qa_data_dir=Path(tmp))  # type: ignore[call-arg]
        store = open_store(base)
        offline = open_archive(base, store=store)
        for path in [*eval_corpus_files(), *(p for d in args.add for p in sorted(d.glob("*.txt")))]:
            store.ingest(load_document(path))
        llm_settings = base.model_copy(
            update={
                "archive_qa_local_model": args.model, "archive_qa_llm_passages": args.passages,
                "archive_qa_llm_max_tokens": args.max_tokens, "archive_qa_llm_timeout": 600.0,
            }
        )  # fmt: skip
        started = time.perf_counter()
        llm = open_archive(llm_settings, store=store)
        llm.ask("warm-up: who wrote the telegram?")  # starts the model server
        load_seconds = time.perf_counter() - started
        for i, q in enumerate(questions, start=1):
            replies = _Replies()
            began, first = time.perf_counter(), None
            for part in llm.chain.stream(Ask(question=q.question), {"callbacks": [replies]}):
                first = first if first is not None else time.perf_counter() - began
                answer = part
            total = time.perf_counter() - began
            assert isinstance(answer, Answer)
            verdict = judge(q, answer, llm.text_of, total)
            offline_answer = offline.ask(q.question)
            passages = llm.retrieve(q.question)[: args.passages]
            reply = replies.texts[-1] if replies.texts else ""
            rows.append({
                "id": q.id, "answerable": q.answerable, "correct": verdict.correct,
                "abstained": answer.abstained, "mode": answer.mode, "notice": answer.notice,
                "verbatim": verdict.verbatim,
                "offline_correct": judge(q, offline_answer, offline.text_of, 0.0).correct,
                "first_sentence_seconds": round(first or total, 2),
                "total_seconds": round(total, 2), "reply": reply,
                "answer": answer.answer, "quotes": _quotes(reply, passages),
            })  # fmt: skip
            print(f"{i}/{len(questions)} {q.id} {answer.mode} right={verdict.correct} "
                  f"first={first or total:.1f}s total={total:.1f}s", flush=True)  # fmt: skip
    write_figures(_figures(args, rows, load_seconds, SNAP_SCORE), args.out)


def _figures(
    args: Any, rows: list[dict[str, Any]], load_seconds: float, threshold: float
) -> dict[str, Any]:
    asked_model = [r for r in rows if r["reply"]]
    quotes = [q for r in rows for q in r["quotes"]]
    claims = sum(len({q["claim"] for q in r["quotes"]}) for r in rows)
    # Over the questions the model was asked (sourcing questions are answered from the record).
    first = [r["first_sentence_seconds"] for r in asked_model]
    total = [r["total_seconds"] for r in asked_model]
    answerable = [r for r in rows if r["answerable"]]
    return {
        "model": args.model,
        "questions": str(args.questions.resolve().relative_to(ROOT)),
        "asked": len(rows),
        "passages": args.passages,
        "max_tokens": args.max_tokens,
        "model_start_seconds": round(load_seconds, 1),
        "llm_correct": sum(r["correct"] for r in rows),
        "llm_answerable_correct": sum(r["correct"] for r in answerable),
        "llm_refused_correctly": sum(r["correct"] for r in rows if not r["answerable"]),
        "offline_correct": sum(r["offline_correct"] for r in rows),
        "offline_answerable_correct": sum(r["offline_correct"] for r in answerable),
        "offline_refused_correctly": sum(r["offline_correct"] for r in rows if not r["answerable"]),
        "answered_from_record_fields": sum(not r["reply"] for r in rows),
        "answered_by_model": sum(r["mode"] == "llm" for r in rows),
        "fell_back_to_offline": sum(r["mode"] == "extractive" and bool(r["reply"]) for r in rows),
        "verbatim_rate": sum(r["verbatim"] for r in rows) / len(rows) if rows else 0.0,
        "replies": len(asked_model),
        "replies_citing_passages": sum(bool(r["quotes"]) for r in asked_model),
        "replies_not_answerable": sum("NOT ANSWERABLE" in r["reply"].upper() for r in asked_model),
        "claims": claims,
        "claims_kept_exact": sum(_claims_kept(r["quotes"], None) for r in rows),
        "claims_kept_with_snapping": sum(_claims_kept(r["quotes"], threshold) for r in rows),
        "snap_threshold": threshold,
        "claims_kept_and_borne_out": len(
            {(r["id"], q["claim"]) for r in rows for q in r["quotes"] if q.get("claim_supported")}
        ),
        "claims_kept_by_threshold": {
            t: sum(_claims_kept(r["quotes"], t) for r in rows) for t in (80, 85, 90, 95)
        },
        "quotes": len(quotes),
        "first_sentence_seconds_median": statistics.median(first) if first else None,
        "first_sentence_seconds_max": max(first) if first else None,
        "total_seconds_median": statistics.median(total) if total else None,
        "total_seconds_sum": round(sum(total), 1),
        "snaps_to_check": [
            {
                "id": r["id"],
                "quote": q["quote"],
                "snapped_to": q["snapped_to"],
                "score": q["snap_score"],
            }
            for r in rows
            for q in r["quotes"]
            if not q["exact_anywhere"] and (q["snap_score"] or 0) >= 80
        ],
        "per_question": rows,
    }


if __name__ == "__main__":
    main()
