"""The limits a course site needs: every request has a bounded cost, writes come from the site
itself, and one client cannot crowd out the rest. Probed over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from qa.answer import Standalone, Turn
from qa.assembly import Archive, open_archive
from qa.followups import WordCondenser
from tests.conftest import FRUS, make_settings, serving
from tests.pdfs import bomb_pdf, text_pdf
from ui.app import build_app
from ui.guards import Limits


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """An archive of its own, for tests that add documents."""
    return open_archive(make_settings(tmp_path_factory.mktemp("limits")))


@pytest.fixture(scope="module")
def url(library: Archive) -> Iterator[str]:
    with serving(build_app(library)) as base:
        yield base


def test_a_write_from_another_site_is_refused_and_one_from_the_page_is_not(url: str) -> None:
    memo = ("files", ("csrf.txt", b"The convoy left Pusan.", "text/plain"))
    forged = httpx.post(
        f"{url}/api/documents", files=[memo], headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403 and "cross-site" in forged.json()["error"]
    own = httpx.post(f"{url}/api/documents", files=[memo], headers={"Origin": url})
    assert own.status_code == 200 and own.json()[0]["status"] == "added"


def test_bodies_over_the_limit_are_refused_before_they_are_read(url: str) -> None:
    huge = json.dumps(
        {"question": "Who?", "history": [{"role": "user", "content": "x" * 2_000_000}]}
    )
    response = httpx.post(
        f"{url}/api/ask", content=huge, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and "limit" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ('{"question": "Who signed it? \\ud800"}', 400),
        (json.dumps({"question": "Who?", "documents": [f"d{i}" for i in range(5001)]}), 422),
        (json.dumps({"question": "Who?", "since": "yesterday"}), 422),
        (json.dumps({"question": "Who?", "history": [{"role": "user", "content": "a"}] * 51}), 422),
    ],
)
def test_malformed_asks_get_a_clear_client_error_not_a_500(
    url: str, body: str, status: int
) -> None:
    response = httpx.post(
        f"{url}/api/ask", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text


class _Recording(WordCondenser):
    def __init__(self) -> None:
        self.seen: list[Sequence[Turn]] = []

    def condense(self, question: str, history: Sequence[Turn]) -> Standalone:
        self.seen.append(history)
        return super().condense(question, history)


def test_only_the_end_of_a_long_conversation_is_read(archive: Archive) -> None:
    recording = _Recording()
    listening = Archive(archive.store, archive.retriever, archive.answerer, condenser=recording)
    history = [Turn(role="user", content="What about the pilots? " * 5_000)] * 1_000
    answer = listening.ask("Who would train the Chinese pilots?", history=history)
    assert "with the help of our pilots" in answer.answer
    (seen,) = recording.seen
    assert len(seen) <= 6 and all(len(t.content) <= 2_000 for t in seen)


def test_a_client_over_the_rate_limit_is_told_when_to_come_back(archive: Archive) -> None:
    limits = Limits(requests_per_minute=6, trusted_proxies=["127.0.0.1"])
    with serving(build_app(archive, limits)) as base:
        ask = {"question": "Who is Filippov?"}
        codes = [httpx.post(f"{base}/api/ask", json=ask, timeout=60) for _ in range(5)]
        assert [r.status_code for r in codes[:3]] == [200, 200, 200]
        assert codes[-1].status_code == 429 and int(codes[-1].headers["retry-after"]) >= 1
        # Behind the configured proxy, each student is their own client...
        other = {"x-forwarded-for": "203.0.113.9"}
        assert httpx.post(f"{base}/api/ask", json=ask, headers=other, timeout=60).status_code == 200
        # ...and reading the page costs nothing.
        assert httpx.get(f"{base}/api/documents", timeout=60).status_code == 200
    untrusted = Limits(requests_per_minute=2)
    with serving(build_app(archive, untrusted)) as base:
        spoofed = [
            httpx.post(
                f"{base}/api/ask", json={"question": "Who?"}, timeout=60,
                headers={"x-forwarded-for": f"198.51.100.{i}"},
            ).status_code
            for i in range(3)
        ]  # fmt: skip
        assert spoofed[-1] == 429  # a forwarded address from no trusted proxy is not believed


def test_the_operator_is_not_rate_limited_like_a_visitor(archive: Archive) -> None:
    """The command line goes through a running server with its admin token: a folder of files
    or a file of questions must not stop at the web's allowance (issue 24, item 2)."""
    with serving(build_app(archive, Limits(requests_per_minute=2), admin_token="op")) as base:
        ask = {"question": "Who is Filippov?"}
        operator = {"authorization": "Bearer op"}
        codes = [
            httpx.post(f"{base}/api/ask", json=ask, headers=operator, timeout=60).status_code
            for _ in range(6)
        ]
        assert codes == [200] * 6
        wrong = {"authorization": "Bearer not-the-token"}
        visitor = [
            httpx.post(f"{base}/api/ask", json=ask, headers=wrong, timeout=60).status_code
            for _ in range(3)
        ]
        assert visitor[-1] == 429


def test_hosts_headers_health_and_the_embed_address(archive: Archive) -> None:
    limits = Limits(allowed_hosts=["127.0.0.1"], frame_ancestors=["https://course.example.edu"])
    with serving(build_app(archive, limits)) as base:
        wrong = httpx.get(f"{base}/healthz", headers={"host": "evil.example"})
        assert wrong.status_code == 400
        page = httpx.get(f"{base}/", timeout=60)
        assert page.headers["x-content-type-options"] == "nosniff"
        framing = "frame-ancestors 'self' https://course.example.edu"
        assert page.headers["content-security-policy"] == framing
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
        embed = httpx.get(f"{base}/embed?collection=x", follow_redirects=True, timeout=60)
        assert embed.status_code == 200 and str(embed.url).endswith("/embed/?collection=x")
    with serving(build_app(archive)) as base:
        # By default the chat-only embed may be framed by any course site; the full page not.
        assert (
            "frame-ancestors *"
            in httpx.get(f"{base}/embed/", timeout=60).headers["content-security-policy"]
        )
        assert httpx.get(f"{base}/", timeout=60).headers["content-security-policy"] == (
            "frame-ancestors 'self'"
        )


def test_uploads_are_not_taken_where_none_belong(archive: Archive) -> None:
    upload = [("files", ("big.txt", b"x" * 50_000, "text/plain"))]
    with serving(build_app(archive, Limits(read_only=True))) as base:
        for route in ("/embed/gradio_api/upload", "/gradio_api/upload"):
            assert httpx.post(base + route, files=upload, timeout=60).status_code == 403


def test_a_crashing_pdf_is_skipped_and_the_rest_of_the_batch_goes_in(url: str) -> None:
    batch = [
        ("files", ("before.txt", b"The convoy left Inchon on Tuesday.", "text/plain")),
        ("files", ("bomb.pdf", bomb_pdf(), "application/pdf")),
        ("files", ("after.pdf", text_pdf(["The bridges were bombed."]), "application/pdf")),
    ]
    response = httpx.post(f"{url}/api/documents", files=batch, timeout=120)
    assert response.status_code == 200
    assert [r["status"] for r in response.json()] == ["added", "failed", "added"]
    assert "unpacks to far more data" in response.json()[1]["error"]


def test_uploads_at_the_same_time_all_go_in_without_an_error(url: str) -> None:
    def upload(path: Path) -> int:
        files = [("files", (path.name, path.read_bytes(), "text/plain"))]
        return httpx.post(f"{url}/api/documents", files=files, timeout=300).status_code

    paths = sorted(FRUS.glob("*.txt"))[20:28]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(upload, paths)) == [200] * 8
    listed = {d["id"] for d in httpx.get(f"{url}/api/documents").json()}
    assert {f"frus1951v07p2-d{int(p.stem)}" for p in paths} <= listed


def test_an_upload_with_a_taken_id_is_refused_unless_replacing_is_asked(url: str) -> None:
    first = [("files", ("notes.txt", b"Grain prices rose in Shanghai.", "text/plain"))]
    second = [("files", ("notes.txt", b"The convoy left Pusan on Monday.", "text/plain"))]
    assert httpx.post(f"{url}/api/documents", files=first).json()[0]["status"] == "added"
    (refused,) = httpx.post(f"{url}/api/documents", files=second).json()
    assert refused["status"] == "failed" and "already stored as 'notes'" in refused["error"]
    replaced = httpx.post(f"{url}/api/documents", files=second, data={"replace": "true"})
    assert replaced.json()[0]["status"] == "updated"
    assert "Pusan" in httpx.get(f"{url}/api/documents/notes").json()["text"]


def test_a_document_on_one_long_line_is_quoted_in_readable_pieces(library: Archive) -> None:
    from vectorstore.documents import document_from_bytes

    line = " ".join(
        f"Shipment {i} of rice reached the port of Tientsin on schedule" for i in range(400)
    )
    library.store.ingest(document_from_bytes(line.encode(), "ledger.txt"))
    answer = library.ask("Which port did the shipments of rice reach?", scope=None)
    assert answer.citations and "Tientsin" in answer.citations[0].quote
    assert all(len(c.quote) <= 1000 for c in answer.citations)
    assert len(answer.answer) < 5000


def test_a_large_upload_runs_as_a_job_whose_progress_can_be_followed(url: str) -> None:
    import time

    paragraphs = "\n\n".join(
        f"Report {i}: the shipment of rice reached the port of Chefoo on schedule."
        for i in range(600)
    )
    files = [
        ("files", ("shipments.txt", paragraphs.encode(), "text/plain")),
        ("files", ("empty.txt", b"  ", "text/plain")),
    ]
    started = httpx.post(f"{url}/api/documents", files=files, data={"background": "true"})
    assert started.status_code == 202
    job_url = url + started.headers["location"]
    seen = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = httpx.get(job_url).json()
        seen.append(job["progress"])
        if job["state"] in {"done", "failed"}:
            break
        time.sleep(0.2)
    assert job["state"] == "done" and job["progress"] == 1.0
    assert [r["status"] for r in job["results"]] == ["added", "failed"]
    assert seen == sorted(seen)
    assert httpx.get(f"{url}/api/jobs/nope").status_code == 404


def test_a_body_that_stalls_is_dropped_and_the_server_answers_others(archive: Archive) -> None:
    import socket

    with serving(build_app(archive, Limits(body_stall_seconds=1))) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=20) as slow:
            slow.sendall(
                b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                b'content-length: 500\r\n\r\n{"question": "Who'
            )
            assert httpx.get(f"{base}/healthz").status_code == 200
            reply = slow.recv(4096)  # the server gives up on the body and ends the request
        assert reply == b"" or not reply.startswith(b"HTTP/1.1 200")


def test_an_upload_whose_sender_goes_away_stops_before_the_next_file(library: Archive) -> None:
    import socket
    import time

    # Eight files of about a second each (75 passages): had the upload gone on, it would have
    # taken several seconds after the sender left.
    entries = "\n\n".join(
        f"Entry {i}: the barge of coal reached Hankow at dawn." for i in range(300)
    )
    files = [
        ("files", (f"gone-{n}.txt", f"# {n}\n\n{entries}".encode(), "text/plain"))
        for n in range(1, 9)
    ]
    request = httpx.Request("POST", "http://127.0.0.1/api/documents", files=files)
    body = request.read()
    with serving(build_app(library)) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sender:
            head = (
                "POST /api/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"content-type: {request.headers['content-type']}\r\n"
                f"content-length: {len(body)}\r\n\r\n"
            )
            sender.sendall(head.encode() + body)
            time.sleep(1.0)  # the first file is going in; then the sender goes away
        count, still_since = library.store.passage_count(), time.monotonic()
        while time.monotonic() - still_since < 4:  # until nothing has gone in for 4 s
            time.sleep(0.25)
            if library.store.passage_count() != count:
                count, still_since = library.store.passage_count(), time.monotonic()
    gone = sorted(i for i in library.store.document_ids() if i.startswith("gone-"))
    assert gone and "gone-8" not in gone, gone
