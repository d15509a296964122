"""The page's callbacks as plain functions, on the hashing encoder: no browser, no model."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.assembly import Archive
from tests.fake_encoder import quick_archive
from ui.library_tab import EVERYTHING, add_files, change, holdings
from ui.page import respond
from ui.study_tab import collection_timeline, study_choices, study_materials

TELEGRAM = "document-110692"
NOTES = "Notes on the Yalu bridges.\n\nThe bridges over the Yalu were bombed in November 1950.\n"


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return quick_archive(tmp_path / "db")


def _file(folder: Path, name: str, text: str = NOTES) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_adding_files_reports_each_and_files_them_in_the_collection(
    archive: Archive, tmp_path: Path
) -> None:
    told, taken = add_files(
        archive.library, [_file(tmp_path, "yalu.txt")], "HIST 201", False, max_bytes=10_000
    )
    assert taken
    assert "1 of 1 files in the library into “HIST 201”" in told
    assert "yalu.txt: added as “yalu” (yalu)" in told
    now = holdings(archive.library)
    assert ["yalu", "", "HIST 201", "yalu"] in now.rows
    assert now.ask_in == [("All documents", EVERYTHING), ("HIST 201 (1 document)", "HIST 201")]


def test_adding_nothing_or_too_much_says_why(archive: Archive, tmp_path: Path) -> None:
    told, taken = add_files(archive.library, [], None, False, max_bytes=10_000)
    assert (told, taken) == (
        "<p class='aqa-error' role='alert'>Choose one or more files first.</p>",
        False,
    )
    big = _file(tmp_path, "<big>.txt", "word " * 1_000)
    told, _ = add_files(archive.library, [big], None, False, max_bytes=1_000)
    assert "0 of 1 files in the library" in told
    assert "&lt;big&gt;.txt" in told and "<big>" not in told
    assert [r.id for r in holdings(archive.library).documents] == [TELEGRAM]


def test_an_unknown_collection_name_is_refused_before_any_file_goes_in(
    archive: Archive, tmp_path: Path
) -> None:
    told, taken = add_files(
        archive.library, [_file(tmp_path, "yalu.txt")], " " * 3, False, max_bytes=10_000
    )
    assert not taken and "aqa-error" in told
    assert [r.id for r in holdings(archive.library).documents] == [TELEGRAM]


def test_grouping_and_removing_say_what_was_done(archive: Archive, tmp_path: Path) -> None:
    add_files(archive.library, [_file(tmp_path, "yalu.txt")], None, False, max_bytes=10_000)
    assert "Choose one or more documents first." in change(archive.library, "put", [], "HIST")
    assert "Choose a collection, or type a new name." in change(
        archive.library, "put", ["yalu"], None
    )
    put = change(archive.library, "put", ["yalu", TELEGRAM], "HIST 201")
    assert put == "<p role='status'>Collection “HIST 201” now holds 2 documents.</p>"
    assert "now holds 1 document." in change(archive.library, "take", ["yalu"], "HIST 201")
    assert archive.library.members("HIST 201") == [TELEGRAM]
    assert "1 removed from the library." in change(archive.library, "drop", ["yalu"], None)
    assert [r.id for r in holdings(archive.library).documents] == [TELEGRAM]
    assert "0 removed" in change(archive.library, "drop", ["yalu"], None)


def test_the_study_tab_offers_every_document_and_collection(
    archive: Archive, tmp_path: Path
) -> None:
    add_files(archive.library, [_file(tmp_path, "yalu.txt")], "HIST 201", False, max_bytes=10_000)
    documents, collections = study_choices(archive.library)
    assert {i for _, i in documents} == {TELEGRAM, "yalu"}
    assert collections == [("All documents", EVERYTHING), ("HIST 201", "HIST 201")]
    assert "Choose a document first." in study_materials(archive, archive.library, None)
    assert "Choose a document first." in study_materials(
        archive, archive.library, "no-such-document"
    )
    assert "July 13, 1950" in collection_timeline(archive.library, None)
    # The collection holds only the undated notes: not the telegram's date.
    assert "No full dates found." in collection_timeline(archive.library, "HIST 201")


def test_the_chat_shows_searching_then_each_checked_sentence_then_the_answer(
    archive: Archive,
) -> None:
    before = [
        {"role": "user", "content": "Who would train the Chinese pilots?"},
        {"role": "assistant", "content": [{"type": "text", "text": "Our pilots [1]."}]},
    ]
    steps = list(respond(archive, "And how long would that take?", before, None, EVERYTHING))
    (box, searching), *writing, (cleared, answered) = steps
    assert box == cleared == ""
    assert writing and all("Writing the answer" in w[-1]["content"] for _, w in writing)
    assert "Writing" not in answered[-1]["content"]
    assert searching[:3] == [*before, {"role": "user", "content": "And how long would that take?"}]
    assert "Searching the documents" in searching[-1]["content"]
    reply = answered[-1]["content"]
    assert answered[:3] == searching[:3] and "Read as a follow-up" in reply
    assert "two to three months" in reply and 'class="aqa-cite"' in reply


def test_the_chat_says_what_is_wrong_with_a_question_plainly(archive: Archive) -> None:
    *_, (_, answered) = respond(archive, "   ", [], None, EVERYTHING)
    assert answered[-1]["content"] == (
        '<p class="aqa-abstained">the question is empty: type what you want to know.</p>'
    )
    *_, (_, scoped) = respond(archive, "Who?", [], None, "HIST 999")
    assert "no collection &#x27;HIST 999&#x27;" in scoped[-1]["content"]
