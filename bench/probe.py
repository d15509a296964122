"""Probe the web app as an attacker and a careless client would, and print what each probe got.

    .venv/bin/python bench/probe.py [--out bench-results/probe.json]

Serves the app on 127.0.0.1 over a fresh store with the limits a course site would set (allowed
hosts, a trusted proxy, a rate limit), sends each probe over real HTTP, and prints one line per
probe: what it tried, the status and a word on the reply, and the time it took. The command line's
probes (a server owning its folder, two ingests at once, a damaged store, a closed pipe) are tests
in tests/test_one_writer.py and tests/test_cli.py.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx  # noqa: E402

from bench.report import bench_parser, write_figures  # noqa: E402

JSON = {"content-type": "application/json"}


def probes(url: str) -> list[tuple[str, Callable[[httpx.Client], httpx.Response]]]:
    """Each probe: what it tries, and the request that tries it."""
    from tests.pdfs import bomb_pdf

    def ask(body: object, **headers: str) -> Callable[[httpx.Client], httpx.Response]:
        text = body if isinstance(body, str) else json.dumps(body)
        return lambda http: http.post("/api/ask", content=text, headers=JSON | headers)

    def upload(*files: tuple[str, bytes], **extra: str) -> Callable[[httpx.Client], httpx.Response]:
        parts = [("files", (name, raw, "application/octet-stream")) for name, raw in files]
        headers = {k.replace("_", "-"): v for k, v in extra.items()}
        return lambda http: http.post("/api/documents", files=parts, headers=headers)

    turn = {"role": "user", "content": "What about the pilots? " * 600}
    return [
        ("a question", ask({"question": "What did Stalin offer?"})),
        ("300 KB of history in 20 turns", ask({"question": "And then?", "history": [turn] * 20})),
        ("1.2 MB of history", ask({"question": "And then?", "history": [turn] * 90})),
        (
            "51 history turns",
            ask({"question": "Why?", "history": [{"role": "user", "content": "a"}] * 51}),
        ),
        ("a lone surrogate in the question", ask('{"question": "Who? \\ud800"}')),
        (
            "5,001 document ids",
            ask({"question": "Who?", "documents": [str(i) for i in range(5001)]}),
        ),
        (
            "40,000 document ids",
            ask({"question": "Who?", "documents": [str(i) for i in range(40000)]}),
        ),
        ("since='yesterday'", ask({"question": "Who?", "since": "yesterday"})),
        ("a 2,000-character question", ask({"question": "Why? " * 400})),
        ("a JSON body that is not JSON", ask("{not json")),
        (
            "a cross-site upload (Origin: evil)",
            upload(("csrf.txt", b"Planted."), origin="https://evil.example"),
        ),
        (
            "a same-site upload",
            upload(("notes.txt", b"Grain prices rose in Shanghai."), origin=url),
        ),
        ("another notes.txt, no replace", upload(("notes.txt", b"The convoy left Pusan."))),
        ("document-110692.txt over the telegram", upload(("document-110692.txt", b"Impostor."))),
        (
            "a PDF bomb between two good files",
            upload(("a.txt", b"First file."), ("bomb.pdf", bomb_pdf()), ("b.txt", b"Last file.")),
        ),
        ("101 files in one request", upload(*[(f"f{i}.txt", b"Text.") for i in range(101)])),
        (
            "50 MB to the embed's upload route",
            lambda http: http.post(
                "/embed/gradio_api/upload", files=[("files", ("big.txt", b"x" * 50_000_000))]
            ),
        ),
        (
            "30 MB to the page's upload route",
            lambda http: http.post(
                "/gradio_api/upload", files=[("files", ("big.txt", b"x" * 30_000_000))]
            ),
        ),
        (
            "a request for another host",
            lambda http: http.get("/healthz", headers={"host": "evil.example"}),
        ),
        ("GET /embed without the slash", lambda http: http.get("/embed")),
        ("GET /healthz", lambda http: http.get("/healthz")),
        ("GET /readyz", lambda http: http.get("/readyz")),
        ("file route traversal", lambda http: http.get("/gradio_api/file=/etc/passwd")),
        ("an unknown job", lambda http: http.get("/api/jobs/../../etc/passwd")),
        (
            "study pack of the telegram",
            lambda http: http.get("/api/documents/document-110692/study"),
        ),
    ]


def main() -> None:
    parser = bench_parser(__doc__, "probe")
    parser.parse_args()

    from qa.assembly import open_archive
    from qa.settings import Settings
    from tests.conftest import serving
    from ui.app import build_app
    from ui.guards import Limits

    results = []
    limits = Limits(allowed_hosts=["127.0.0.1"], requests_per_minute=120)
    with tempfile.TemporaryDirectory() as tmp:
        archive = open_archive(Settings(_env_file=None, archive_qa_data_dir=Path(tmp)))  # type: ignore[call-arg]
        with (
            serving(build_app(archive, limits)) as url,
            httpx.Client(base_url=url, timeout=300) as http,
        ):
            for what, probe in probes(url):
                started = time.perf_counter()
                try:
                    response = probe(http)
                    status, reply = response.status_code, response.text[:90]
                except httpx.HTTPError as exc:
                    status, reply = 0, f"{type(exc).__name__}: {exc}"[:90]
                took = round(time.perf_counter() - started, 2)
                results.append({"probe": what, "status": status, "seconds": took, "reply": reply})
                print(f"{status:3}  {took:6.2f}s  {what:40}  {reply}", flush=True)
            burst = [
                http.post("/api/ask", json={"question": "Who?"}).status_code for _ in range(80)
            ]
            results.append(
                {
                    "probe": "80 asks at once from one client",
                    "statuses": sorted(set(burst)),
                    "limited": burst.count(429),
                }
            )
            print(f"80 asks from one client: {burst.count(429)} got 429", flush=True)
    write_figures({"probes": results}, parser.parse_args().out)


if __name__ == "__main__":
    main()
