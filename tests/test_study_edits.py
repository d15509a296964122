"""A teacher's edits of study materials, over HTTP on a real server: hide, reword, reorder and
add items with the admin token; students (and the printed sheet) see exactly that; the key cites
every answer and is the teacher's alone."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest

from qa.assembly import Archive, open_archive
from tests.conftest import make_settings, serve_process, serving, study_pack
from tests.test_cli import run
from ui.app import build_app
from ui.handout import ANSWER

TOKEN = "a-teachers-token"
TEACHER = {"authorization": f"Bearer {TOKEN}"}
STUDY = "/api/documents/document-110692/study"


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own (edits are kept in its store), with the bundled telegram."""
    archive = open_archive(make_settings(tmp_path_factory.mktemp("edits")))
    with serving(build_app(archive, admin_token=TOKEN)) as url:
        yield url


def _question(pack: dict[str, Any], starts: str) -> dict[str, Any]:
    return next(q for q in pack["guide"] if q["question"].startswith(starts))


def _pdf_text(body: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def test_a_teacher_hides_rewords_reorders_and_adds_and_students_see_exactly_that(
    course: str,
) -> None:
    pack = study_pack(course, "document-110692")
    hidden = _question(pack, "What is said about the Security Council?")
    offer = _question(pack, "What did Stalin offer?")
    quiz_hidden = pack["quiz"][0]
    edits = {
        "hidden": [hidden["key"], quiz_hidden["key"]],
        "wording": {offer["key"]: "What exactly did Stalin offer Mao and Zhou?"},
        "order": [offer["key"]],
    }
    refused = httpx.put(f"{course}{STUDY}/edits", json=edits, timeout=60)
    assert refused.status_code == 403 and "admin token" in refused.json()["error"]
    assert httpx.put(f"{course}{STUDY}/edits", json=edits, headers=TEACHER).status_code == 200
    added = httpx.post(
        f"{course}{STUDY}/questions", headers=TEACHER, timeout=120,
        json={"question": "Who would train the Chinese pilots?", "skill": "close reading"},
    ).json()  # fmt: skip
    assert "with the help of our pilots" in added["answer"]["citations"][0]["quote"]

    seen = study_pack(course, "document-110692")
    asked = [q["question"] for q in seen["guide"]]
    assert hidden["question"] not in asked
    assert quiz_hidden["key"] not in {i["key"] for i in seen["quiz"]}
    reworded = _question(seen, "What exactly did Stalin offer Mao and Zhou?")
    assert reworded["answer"] == offer["answer"]  # the same checked answer
    assert asked[0] == reworded["question"]  # the teacher's order
    assert "Who would train the Chinese pilots?" in asked

    sheet = httpx.get(f"{course}{STUDY}/handout", params={"format": "markdown"}).text
    printed = _pdf_text(httpx.get(f"{course}{STUDY}/handout", timeout=60).content)
    for shown in (sheet, " ".join(printed.split())):
        assert "What exactly did Stalin offer Mao and Zhou?" in shown
        assert "Who would train the Chinese pilots?" in shown
        assert hidden["question"] not in shown and "What did Stalin offer?" not in shown
    assert ANSWER not in sheet  # a student sheet holds no answers


def test_the_key_is_the_teachers_and_cites_every_answer(course: str) -> None:
    handout = f"{course}{STUDY}/handout"
    refused = httpx.get(handout, params={"key": "true", "format": "markdown"}, timeout=60)
    assert refused.status_code == 403
    key = httpx.get(handout, params={"key": "true", "format": "markdown"}, headers=TEACHER)
    assert key.status_code == 200 and "attachment" in key.headers["content-disposition"]
    text = " ".join(key.text.split())
    pack = study_pack(course, "document-110692")
    answered = [q for q in pack["guide"] if q["answer"]]
    assert answered
    for q in answered:
        for c in q["answer"]["citations"]:
            assert " ".join(c["quote"].split())[:60] in text.replace("\\", ""), q["question"]
    for item in pack["quiz"]:
        letter = "ABCD"[item["choices"].index(item["answer"])]
        assert f"{letter}. {item['answer']}" in text
    pdf = httpx.get(handout, params={"key": "true"}, headers=TEACHER, timeout=60)
    assert pdf.headers["content-type"] == "application/pdf"
    assert "Teacher's key" in _pdf_text(pdf.content)


def test_a_teachers_question_is_checked_like_the_others(course: str, tmp_path: Path) -> None:
    judged = httpx.post(
        f"{course}{STUDY}/questions", headers=TEACHER, timeout=120,
        json={"question": "Why did Stalin sign the telegram as Filippov?", "skill": "sourcing"},
    ).json()  # fmt: skip
    assert judged["answer"] is None and judged["passages"]  # a judgement: for discussion
    empty = httpx.post(
        f"{course}{STUDY}/questions", headers=TEACHER, json={"question": "  "}, timeout=60
    )
    assert empty.status_code == 400 and "empty" in empty.json()["error"]
    # An added question cannot be forged through the edits: they only keep or drop them.
    forged = {"key": "question-forged", "question": "Forged?", "passages": []}
    forged["answer"] = {"question": "Forged?", "answer": "Nukes [1].", "abstained": False,
                        "mode": "extractive", "citations": []}  # fmt: skip
    stored = httpx.get(f"{course}{STUDY}/edits", headers=TEACHER).json()
    stored["added"].append(forged)
    kept = httpx.put(f"{course}{STUDY}/edits", json=stored, headers=TEACHER).json()
    assert "question-forged" not in {q["key"] for q in kept["added"]}
    assert "Forged?" not in [q["question"] for q in study_pack(course, "document-110692")["guide"]]


def test_edits_are_kept_in_the_store_for_every_replica(tmp_path: Path) -> None:
    """Another app on the same store (as a replica on a Chroma server would be) sees them."""
    archive: Archive = open_archive(make_settings(tmp_path / "db"))
    document = archive.library.document("document-110692")
    assert document is not None
    pack = archive.study(document)
    edits = archive.study_edits(document.id)
    edits.hidden = [pack.guide[-1].key]
    archive.save_study_edits(document.id, edits, "HIST 201")
    assert archive.study_edits(document.id).hidden == []  # another course: untouched
    again = open_archive(make_settings(tmp_path / "db"), store=archive.store)
    assert again.study_edits(document.id, "HIST 201").hidden == [pack.guide[-1].key]
    shown = again.study_as_edited(document, "HIST 201")
    assert pack.guide[-1].key not in {q.key for q in shown.guide}


def test_archive_qa_token_prints_the_running_servers_token_for_a_teacher(tmp_path: Path) -> None:
    data = tmp_path / "db"
    refused = run(data, "token")
    assert refused.returncode == 1
    assert "no archive-qa server is serving this data folder" in refused.stderr
    with serve_process(data) as (url, _):
        printed = run(data, "token")
        assert printed.returncode == 0
        teacher = {"authorization": f"Bearer {printed.stdout.strip()}"}
        study_pack(url, "document-110692")
        handout = f"{url}{STUDY}/handout"
        key = httpx.get(handout, params={"key": "true"}, headers=teacher, timeout=120)
        assert key.status_code == 200 and key.content.startswith(b"%PDF")
    fixed = run(data, "token", environ={"ARCHIVE_QA_ADMIN_TOKEN": "set-for-the-replicas"})
    assert fixed.stdout.strip() == "set-for-the-replicas"
