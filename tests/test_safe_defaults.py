"""Safe defaults on a shared server: a page elsewhere cannot point its own name at the server, an
IPv6 host cannot take endless allowances, and a name cannot be made to read backwards."""

from __future__ import annotations

import httpx

from qa.answer import Answer, cite
from qa.assembly import Archive
from tests.conftest import serving
from ui.app import build_app
from ui.format import answer_as_html
from ui.guards import Limits
from vectorstore.documents import document_from_bytes

RLO = "\u202e"


def test_a_page_elsewhere_cannot_point_its_name_at_the_server(archive: Archive) -> None:
    with serving(build_app(archive)) as url:
        port = url.rsplit(":", 1)[1]

        def status(host: str) -> int:
            return httpx.get(f"{url}/healthz", headers={"host": host}).status_code

        # DNS rebinding: a page at rebind.example whose name now points here.
        files = [("files", ("planted.txt", b"Planted.", "text/plain"))]
        rebound = {"host": f"rebind.example:{port}", "origin": f"http://rebind.example:{port}"}
        refused = httpx.post(f"{url}/api/documents", files=files, headers=rebound)
        assert refused.status_code == 400
        assert refused.json()["error"] == (
            "this server does not answer for the host 'rebind.example': its administrator can "
            "add it to ARCHIVE_QA_ALLOWED_HOSTS."
        )
        assert archive.library.document("planted") is None
        # Its addresses and localhost need no telling.
        assert [status(h) for h in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}")] == [
            200
        ] * 3
    with serving(build_app(archive, Limits(allowed_hosts=["qa.example.edu"]))) as url:
        assert httpx.get(f"{url}/healthz", headers={"host": "qa.example.edu"}).status_code == 200


def test_an_ipv6_host_counts_as_one_client_across_its_64(archive: Archive) -> None:
    limits = Limits(requests_per_minute=2, trusted_proxies=["127.0.0.1"])
    with serving(build_app(archive, limits)) as url:

        def ask_from(address: str) -> int:
            # A malformed ask: refused cheaply, but only after the rate limit has counted it.
            headers = {"x-forwarded-for": address}
            return httpx.post(f"{url}/api/ask", json={}, headers=headers).status_code

        assert ask_from("2001:db8:1:1::1") == 422
        assert ask_from("2001:db8:1:1::2") == 429  # the same /64: the same allowance
        assert ask_from("2001:db8:1:2::1") == 422  # another /64 has its own


def test_names_that_would_read_backwards_lose_their_direction_marks() -> None:
    document = document_from_bytes(b"A note of 1950.", f"report{RLO}gnp.exe.txt")
    assert RLO not in document.source + document.title + document.id
    record = document_from_bytes(
        f"**1950-07-13**\n\n**Title{RLO}gnp.exe**\n\n**Contents:**\n\nA note.".encode(), "r.txt"
    )
    assert RLO not in record.title
    # In the page a title is isolated, so a title in a right-to-left script keeps to itself.
    cited = cite(record, 0, 5)
    shown = answer_as_html(
        Answer(
            question="q",
            answer="A note. [1]",
            abstained=False,
            mode="extractive",
            citations=[cited],
        )
    )
    assert f"<bdi>{record.title}</bdi>" in shown
