"""The web app: a real server on 127.0.0.1, driven over HTTP and by gradio_client."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from gradio_client import Client

from qa.assembly import Archive, open_archive
from tests.conftest import make_settings, serving, study_pack
from tests.pdfs import text_pdf
from ui.app import build_app
from ui.guards import Limits


def test_post_api_ask_returns_the_contract(base_url: str, archive: Archive) -> None:
    response = httpx.post(
        f"{base_url}/api/ask", json={"question": "Who would train the Chinese pilots?"}, timeout=60
    )
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "extractive" and not body["abstained"]
    c = body["citations"][0]
    assert archive.text_of(c["document_id"])[c["start"] : c["end"]] == c["quote"]  # type: ignore[index]


def test_post_api_ask_reads_a_follow_up_with_the_history(base_url: str) -> None:
    history = [
        {"role": "user", "content": "What did Stalin offer?"},
        {"role": "assistant", "content": "A division of jet fighter planes. [1]"},
    ]
    response = httpx.post(
        f"{base_url}/api/ask",
        json={"question": "And how long would that take?", "history": history},
        timeout=60,
    )
    body = response.json()
    assert "two to three months" in body["answer"]
    assert body["notice"] == "Read as a follow-up to “What did Stalin offer?”."


def test_documents_api_lists_documents_and_serves_the_text_citations_index(
    base_url: str,
) -> None:
    listed = httpx.get(f"{base_url}/api/documents", timeout=60).json()
    assert [d["id"] for d in listed] == ["document-110692"]
    assert "text" not in listed[0]
    document = httpx.get(f"{base_url}/api/documents/document-110692", timeout=60).json()
    answer = httpx.post(
        f"{base_url}/api/ask", json={"question": "Who received copies of the telegram?"}, timeout=60
    ).json()
    c = answer["citations"][0]
    assert document["text"][c["start"] : c["end"]] == c["quote"]
    assert document["original_language"] == "Russian"
    missing = httpx.get(f"{base_url}/api/documents/nope", timeout=60)
    assert missing.status_code == 404
    assert missing.json() == {"error": "no document 'nope'; GET /api/documents lists them."}


def test_post_api_ask_rejects_an_empty_question_readably(base_url: str) -> None:
    response = httpx.post(f"{base_url}/api/ask", json={"question": ""}, timeout=60)
    assert response.status_code == 400
    assert response.json() == {"error": "the question is empty: type what you want to know."}


def test_the_api_is_described_at_docs_without_a_cdn(base_url: str) -> None:
    docs = httpx.get(f"{base_url}/docs", timeout=60)
    assert docs.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert assets and all(a.startswith("/") for a in assets), assets
    assert all(httpx.get(base_url + a, timeout=60).status_code == 200 for a in assets)
    schema = httpx.get(f"{base_url}/openapi.json", timeout=60).json()
    assert {"/api/ask", "/api/documents", "/api/documents/{document_id}"} <= set(schema["paths"])


def test_the_chat_page_and_the_embed_page_serve(base_url: str) -> None:
    for path in ("/", "/embed/", "/embed/?title=HIST+201&starters=0"):
        response = httpx.get(base_url + path, timeout=60, follow_redirects=True)
        assert response.status_code == 200, path
        assert "archive-qa" in response.text  # the page config carries the app title


def test_the_document_api_gives_a_chicago_citation(base_url: str) -> None:
    document = httpx.get(f"{base_url}/api/documents/document-110692", timeout=60).json()
    assert document["date_display"] == "July 13, 1950"
    assert document["cite_note"].startswith(
        "“Ciphered telegram, Filippov [Stalin] to Zhou Enlai or Mao Zedong (via Roshchin),” "
        "July 13, 1950, Wilson Center Digital Archive, APRF, Fond 45, Opis 1, Delo 331, List 85;"
    )
    assert document["cite_note"].endswith("/document/110692.")
    assert document["cite_bibliography"].startswith(
        "“Ciphered telegram, Filippov [Stalin] to Zhou Enlai or Mao Zedong (via Roshchin).” "
        "July 13, 1950. Wilson Center Digital Archive, APRF,"
    )


def test_cors_is_closed_by_default(base_url: str) -> None:
    response = httpx.get(
        f"{base_url}/api/documents", headers={"Origin": "https://elsewhere.example"}, timeout=60
    )
    assert "access-control-allow-origin" not in response.headers


def test_cors_lets_in_only_the_allowed_origins(archive: Archive) -> None:
    allowed = "https://course.example.edu"
    with serving(build_app(archive, Limits(cors_origins=[allowed]))) as url:
        preflight = httpx.options(
            f"{url}/api/ask",
            headers={"Origin": allowed, "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"},
            timeout=60,
        )  # fmt: skip
        assert preflight.headers["access-control-allow-origin"] == allowed
        other = httpx.get(
            f"{url}/api/documents", headers={"Origin": "https://evil.example"}, timeout=60
        )
        assert "access-control-allow-origin" not in other.headers


def test_the_cors_allowlist_is_read_from_the_settings(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, archive_qa_cors_origins=" https://a.example, https://b.example "
    )
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert make_settings(tmp_path).cors_origins == []


def test_gradio_client_gets_the_contract_from_the_named_endpoint(base_url: str) -> None:
    client = Client(base_url + "/", verbose=False)
    answer = client.predict("Who is Filippov?", api_name="/ask")
    assert not answer["abstained"]
    assert any("Stalin" in c["quote"] for c in answer["citations"])


def test_every_example_question_on_the_page_is_answered(archive: Archive) -> None:
    from ui.page import EXAMPLES

    for question in EXAMPLES:
        answer = archive.ask(question)
        assert not answer.abstained, question
        assert answer.citations, question


def test_uploads_become_askable_in_their_collection_and_can_be_removed(
    tmp_path: Path,
) -> None:
    archive = open_archive(make_settings(tmp_path / "db"))
    memo = text_pdf(["The Yalu bridges were bombed on 8 November 1950 by seventy B-29 aircraft."])
    with serving(build_app(archive)) as url:
        response = httpx.post(
            f"{url}/api/documents",
            files=[
                ("files", ("yalu.pdf", memo, "application/pdf")),
                ("files", ("notes.docx", b"PK\x03\x04", "application/octet-stream")),
            ],
            data={"collection": "HIST 201"},
            timeout=120,
        )
        assert response.status_code == 200, response.text
        added, refused = response.json()
        assert added["status"] == "added" and added["document_id"] == "yalu"
        assert refused["status"] == "failed"
        assert "unsupported file type '.docx'" in refused["error"]
        collections = httpx.get(f"{url}/api/collections", timeout=60).json()
        assert collections == [{"name": "HIST 201", "documents": ["yalu"]}]
        answer = httpx.post(
            f"{url}/api/ask",
            json={"question": "When were the Yalu bridges bombed?", "collection": "HIST 201"},
            timeout=60,
        ).json()
        assert answer["citations"][0]["document_id"] == "yalu"
        assert "8 November 1950" in answer["citations"][0]["quote"]
        unknown = httpx.post(
            f"{url}/api/ask", json={"question": "Who?", "collection": "HIST 999"}, timeout=60
        )
        assert unknown.status_code == 400
        assert unknown.json() == {"error": "no collection 'HIST 999' (collections: HIST 201)."}
        assert httpx.delete(f"{url}/api/documents/yalu", timeout=60).status_code == 204
        assert httpx.delete(f"{url}/api/documents/yalu", timeout=60).status_code == 404
        gone = httpx.post(
            f"{url}/api/ask", json={"question": "When were the Yalu bridges bombed?"}, timeout=60
        ).json()
        assert all(c["document_id"] != "yalu" for c in gone["citations"])
        assert httpx.get(f"{url}/api/collections", timeout=60).json() == [
            {"name": "HIST 201", "documents": []}
        ]
        assert httpx.delete(f"{url}/api/collections/HIST 201", timeout=60).status_code == 204


def test_a_read_only_server_refuses_library_changes(archive: Archive) -> None:
    with serving(build_app(archive, Limits(read_only=True))) as url:
        upload = httpx.post(
            f"{url}/api/documents", files=[("files", ("a.txt", b"Text.", "text/plain"))], timeout=60
        )
        assert upload.status_code == 403
        assert "read-only (ARCHIVE_QA_READ_ONLY)" in upload.json()["error"]
        assert httpx.delete(f"{url}/api/documents/document-110692", timeout=60).status_code == 403
        change = httpx.put(
            f"{url}/api/collections/x", json={"documents": ["document-110692"]}, timeout=60
        )
        assert change.status_code == 403
        assert httpx.get(f"{url}/api/documents", timeout=60).json()[0]["id"] == "document-110692"


def test_an_upload_over_the_limit_is_refused_by_name(archive: Archive) -> None:
    with serving(build_app(archive, Limits(max_upload_bytes=1000))) as url:
        response = httpx.post(
            f"{url}/api/documents",
            files=[("files", ("long.txt", b"word " * 1000, "text/plain"))],
            timeout=60,
        )
        (result,) = response.json()
        assert result["status"] == "failed"
        assert "long.txt is 0.0 MB, over the 0 MB limit" in result["error"]


def test_the_study_api_gives_cited_materials_or_a_404(base_url: str) -> None:
    pack = study_pack(base_url, "document-110692")
    assert pack["starters"] and pack["guide"] and pack["glossary"] and pack["timeline"]
    assert all(item["source"]["quote"] for item in pack["quiz"])
    missing = httpx.get(f"{base_url}/api/documents/nope/study", timeout=60)
    assert missing.status_code == 404


def test_study_packs_are_made_off_the_request_path(tmp_path: Path) -> None:
    fresh = open_archive(make_settings(tmp_path / "db"))
    with serving(build_app(fresh, study_wait=0.0)) as url:  # answer at once, whatever is ready
        first = httpx.get(f"{url}/api/documents/document-110692/study", timeout=60)
        assert first.status_code == 202 and int(first.headers["retry-after"]) > 0
        again = [httpx.get(f"{url}/api/documents/document-110692/study") for _ in range(5)]
        assert {r.status_code for r in again} <= {200, 202}
        assert study_pack(url, "document-110692")["starters"]


def test_the_chat_callback_answers_and_says_errors_plainly_without_a_browser(
    archive: Archive,
) -> None:
    from ui.page import respond

    earlier = [{"role": "user", "content": "What did Stalin offer?"}]
    searching, *_, answered = respond(archive, "Who would train the pilots?", earlier, None, "")
    assert searching[0] == "" and "Searching" in searching[1][-1]["content"]
    reply = answered[1][-1]["content"]
    assert "with the help of our pilots" in reply and "aqa-cite" in reply
    assert [t["role"] for t in answered[1]] == ["user", "user", "assistant"]
    (_, (*_, refused)) = list(respond(archive, "   ", [], None, ""))[-1]
    assert "the question is empty" in refused["content"]


def _events(stream: str) -> list[tuple[str, dict[str, Any]]]:
    """Server-sent events as (event, data) pairs."""
    found = []
    for block in stream.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        found.append((fields["event"], json.loads(fields["data"])))
    return found


def test_a_streamed_answer_sends_each_checked_sentence_then_the_contract(
    base_url: str, archive: Archive
) -> None:
    question = {"question": "What did Stalin offer?"}
    whole = httpx.post(f"{base_url}/api/ask", json=question, timeout=60).json()
    response = httpx.post(f"{base_url}/api/ask", json=question | {"stream": True}, timeout=60)
    assert response.headers["content-type"].startswith("text/event-stream")
    *sentences, (last, contract) = _events(response.text)
    assert last == "answer" and contract == whole
    assert {name for name, _ in sentences} == {"sentence"} and len(sentences) >= 2
    assert " ".join(s["text"] for _, s in sentences) == whole["answer"]
    for _, sentence in sentences:
        assert sentence["citations"]
        for c in sentence["citations"]:
            assert f"[{c['n']}]" in sentence["text"]
            assert archive.text_of(c["document_id"])[c["start"] : c["end"]] == c["quote"]  # type: ignore[index]
    refused = httpx.post(
        f"{base_url}/api/ask", json={"question": "   ", "stream": True}, timeout=60
    )
    assert refused.status_code == 400 and "question is empty" in refused.json()["error"]
