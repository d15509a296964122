"""Benchmark the web app as a student and an instructor meet it: page load, question to
highlighted source in Chromium, the JSON API, study materials, and uploading a collection.

    .venv/bin/python bench/web.py [--corpus DIR] [--out bench-results/web.json]

Serves the app on 127.0.0.1 over a fresh store and drives it with Debian's chromium (Playwright).
Prints the figures and writes them as JSON. Numbers, not asserts.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.report import FRUS_1951, bench_parser, write_figures  # noqa: E402
from bench.speed import TELEGRAM_QUESTIONS as QUESTIONS  # noqa: E402

EVAL_CORPUS_QUESTION = "What did the Joint Chiefs of Staff say about the importance of Formosa?"


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = bench_parser(__doc__, "web")
    parser.add_argument("--corpus", type=Path, default=FRUS_1951)
    args = parser.parse_args()

    import httpx
    from playwright.sync_api import sync_playwright

    from qa.assembly import open_archive
    from qa.settings import Settings
    from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, serving, study_pack
    from ui.app import build_app

    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        archive = open_archive(Settings(_env_file=None, archive_qa_data_dir=Path(tmp)))  # type: ignore[call-arg]
        with serving(build_app(archive)) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            figures["page_load_to_question_box_seconds"] = _seconds(
                lambda: (page.goto(url + "/"), page.get_by_label("Your question").wait_for())
            )
            to_highlight = []
            for question in QUESTIONS[:4]:

                def ask_and_open(question: str = question) -> None:
                    page.get_by_label("Your question").fill(question)
                    page.get_by_role("button", name="Ask", exact=True).click()
                    link = page.locator("#aqa-chat a.aqa-cite").last
                    link.wait_for()
                    link.click()
                    page.locator("#aqa-mark").wait_for()

                page.get_by_role("button", name="Start over").click()
                to_highlight.append(_seconds(ask_and_open))
            figures["question_to_highlighted_source_seconds_median"] = statistics.median(
                to_highlight
            )
            browser.close()

            api = []
            for question in QUESTIONS * 2:
                api.append(
                    _seconds(
                        lambda q=question: httpx.post(
                            f"{url}/api/ask", json={"question": q}, timeout=120
                        ).raise_for_status()
                    )
                )
            figures["api_ask_seconds_median"] = statistics.median(api)
            figures["api_ask_seconds_max"] = max(api)
            figures["study_materials_seconds"] = _seconds(
                lambda: study_pack(url, "document-110692")
            )
            files = sorted(args.corpus.glob("*.txt"))
            uploads = [("files", (p.name, p.read_bytes(), "text/plain")) for p in files]
            figures["upload_files"] = len(files)
            figures["upload_seconds"] = _seconds(
                lambda: httpx.post(
                    f"{url}/api/documents", files=uploads, data={"collection": "FRUS 1951"},
                    timeout=1800,
                ).raise_for_status()
            )  # fmt: skip
            figures["api_ask_in_a_collection_seconds"] = _seconds(
                lambda: httpx.post(
                    f"{url}/api/ask",
                    json={"question": EVAL_CORPUS_QUESTION, "collection": "FRUS 1951"},
                    timeout=120,
                ).raise_for_status()
            )
    write_figures(figures, args.out)


if __name__ == "__main__":
    main()
