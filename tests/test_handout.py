"""Handouts (ui.handout): what a student and a teacher see on the printed sheet and key, in
Markdown and in the PDF's own text."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdf
import pytest

from qa.answer import Answer, Citation, cite
from qa.study import GlossaryEntry, QuizItem, StudyPack, StudyQuestion, TimelineEntry
from ui.handout import handout_markdown, handout_pdf, key_files
from vectorstore.documents import Document, load_document, parse_document

TELEGRAM = Path("vectorstore/data/000_75e4e0694aac02d8.txt")
REPLY = """Telegram, Roshchin to Filippov [Stalin]

Zhou Enlai said that the Chinese “volunteers” — nine divisions — stood ready on the Yalu.
"""


def _cite(document: Document, text: str, n: int = 1) -> Citation:
    start = document.text.index(text)
    return cite(document, start, start + len(text), n=n)


def _answer(question: str, text: str, *citations: Citation) -> Answer:
    return Answer(
        question=question, answer=text, abstained=False, mode="extractive",
        citations=list(citations),
    )  # fmt: skip


@pytest.fixture(scope="module")
def telegram() -> Document:
    return load_document(TELEGRAM)


@pytest.fixture(scope="module")
def pack(telegram: Document) -> StudyPack:
    reply = parse_document(REPLY, source="roshchin.txt")
    signature = _cite(telegram, "FILIPPOV [Stalin]")
    jets = _cite(telegram, "then we are ready to send you a division of jet fighter planes—124")
    demand = _cite(telegram, "We consider such a demand by the English to be impertinent")
    appeal = _cite(telegram, "The English ask the Soviet government to express its opinion.")
    divisions = _cite(telegram, "It is not known to us whether you have decided to deploy nine")
    volunteers = _cite(reply, "Zhou Enlai said that the Chinese “volunteers” — nine divisions")
    sentence = _cite(telegram, "Transmit to ZHOU ENLAI or MAO ZEDONG the following:")
    guide = [
        StudyQuestion(
            question="Who wrote the telegram, and under what name?", skill="sourcing",
            answer=_answer("Who wrote it?", "Stalin, signing as Filippov [1].", signature),
        ),
        StudyQuestion(
            question="What did Stalin offer to send?", skill="close reading",
            answer=_answer("What?", "Jet fighters [1], after the English appeal [2].", jets,
                           appeal.model_copy(update={"n": 2})),
        ),
        StudyQuestion(
            question="Why does Stalin call the English demand impertinent?",
            skill="close reading", passages=[demand, appeal],
        ),
        StudyQuestion(
            question="What do other documents say of the nine Chinese divisions?",
            skill="corroboration", passages=[divisions],
            answer=_answer("Other documents?", "Zhou said they stood ready [1].", volunteers),
        ),
    ]  # fmt: skip
    quiz = [
        QuizItem(
            prompt="Transmit to _____ or MAO ZEDONG the following:",
            choices=["MOLOTOV", "ROSHCHIN", "ZHOU ENLAI", "FILIPPOV"], answer="ZHOU ENLAI",
            kind="person", source=sentence,
        ),
        QuizItem(
            prompt="If you have made such a decision, then we are ready to send you a division of "
            "jet fighter planes—_____ pieces for covering these troops.",
            choices=["62", "124", "248", "12"], answer="124", kind="number", source=jets,
        ),
    ]  # fmt: skip
    return StudyPack(
        document_id=telegram.id, title=telegram.title, starters=[guide[0].question],
        guide=guide, quiz=quiz,
        glossary=[GlossaryEntry(term="Zhou Enlai", kind="person", source=sentence)],
        timeline=[TimelineEntry(date="1950-07-13", label=telegram.title, source=signature)],
    )  # fmt: skip


def _flat(text: str) -> str:
    return " ".join(text.split())


def _quoted(c: Citation) -> str:
    return f"“{_flat(c.quote)}”"


def _pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return _flat(" ".join(page.extract_text() for page in reader.pages))


def _answers(pack: StudyPack) -> list[Answer]:
    return [q.answer for q in pack.guide if q.answer is not None]


def test_student_sheet_has_every_question_passage_and_choice_and_no_answer(
    pack: StudyPack, telegram: Document
) -> None:
    sheet = _flat(handout_markdown(pack, key=False))
    assert sheet.startswith(f"# {telegram.title}")
    assert "Student sheet" in sheet and "Teacher's key" not in sheet
    assert "APRF, Fond 45, Opis 1, Delo 331" in sheet and (telegram.url or "") in sheet
    for question in pack.guide:
        assert question.question in sheet
        for passage in question.passages:
            assert _quoted(passage) in sheet
    for item in pack.quiz:
        assert item.prompt in sheet
        for letter, choice in zip("ABCD", item.choices, strict=True):
            assert f"**{letter}.** {choice}" in sheet
    for answer in _answers(pack):
        assert answer.answer not in sheet
        for c in answer.citations:
            assert (_span(c) in _read(pack)) == (_quoted(c) in sheet)
    assert "Answer:" not in sheet


def _span(c: Citation) -> tuple[str, int, int]:
    return c.document_id, c.start, c.end


def _read(pack: StudyPack) -> set[tuple[str, int, int]]:
    """What the sheet itself gives to read: passages and the glossary's sentences."""
    cited = [*(c for q in pack.guide for c in q.passages), *(e.source for e in pack.glossary)]
    return {_span(c) for c in cited}


def _cited(c: Citation) -> str:
    """A quote as the key prints it: in quotation marks, then its archival citation and URL."""
    url = f" <{c.url}>" if c.url else ""
    return _flat(f"{_quoted(c)}  \n> — {c.citation or c.title}{url}")


def test_teachers_key_cites_every_answer_and_quiz_item(pack: StudyPack) -> None:
    key = _flat(handout_markdown(pack, key=True))
    assert "Teacher's key" in key and "Student sheet" not in key
    for answer in _answers(pack):
        assert f"**Answer:** {answer.answer}" in key
        for c in answer.citations:
            assert f"> **\\[{c.n}]** {_cited(c)}" in key
    other = pack.guide[3].answer.citations[0] if pack.guide[3].answer else None
    assert other is not None and other.citation is None and f"— {other.title}" in key
    for item, letter in zip(pack.quiz, "CB", strict=True):
        assert f"**Answer:** {letter}. {item.answer} > {_cited(item.source)}" in key


def test_a_prompt_has_passages_and_never_an_answer(pack: StudyPack) -> None:
    key = handout_markdown(pack, key=True)
    prompt = key[key.index(pack.guide[2].question) : key.index(pack.guide[3].question)]
    assert "(for discussion)" in prompt and "Answer:" not in prompt
    assert _quoted(pack.guide[2].passages[0]) in _flat(prompt)


def test_markdown_keeps_the_quiz_blank_and_escapes_markup(pack: StudyPack) -> None:
    starred = pack.model_copy(update={"title": "*Secret* telegram <draft> no_1"})
    sheet = handout_markdown(starred, key=False)
    assert sheet.startswith("# \\*Secret\\* telegram \\<draft> no\\_1\n")
    assert "Transmit to _____ or MAO ZEDONG" in sheet


def test_student_pdf_holds_the_questions_and_passages_with_their_punctuation(
    pack: StudyPack,
) -> None:
    pdf = handout_pdf(pack, key=False)
    assert pdf.startswith(b"%PDF-")
    text = _pdf_text(pdf)
    assert "Ciphered telegram, Filippov [Stalin] to Zhou Enlai" in text
    assert "Student sheet" in text and "Teacher's key" not in text
    for question in pack.guide:
        assert question.question in text
    assert "“We consider such a demand by the English to be impertinent”" in text
    assert "division of jet fighter planes—_____ pieces" in text
    assert "Stalin, signing as Filippov" not in text
    assert "page 1 of" in text


def test_key_pdf_holds_every_answer_quote_and_letter(pack: StudyPack) -> None:
    text = _pdf_text(handout_pdf(pack, key=True))
    assert "Teacher's key" in text and "Student sheet" not in text
    for answer in _answers(pack):
        assert f"Answer: {answer.answer}" in text
        for c in answer.citations:
            assert _quoted(c) in text
    assert "“Zhou Enlai said that the Chinese “volunteers” — nine divisions”" in text
    for item, letter in zip(pack.quiz, "CB", strict=True):
        source = item.source
        cited = f"{_quoted(source)} {_flat(source.citation or '')} {source.url}"
        assert f"Answer: {letter}. {item.answer} {cited}" in text


def test_pdf_draws_cyrillic_and_names_what_its_font_cannot_draw(pack: StudyPack) -> None:
    title = "Шифртелеграмма Филиппова, 周恩来 — Pʻyŏngyang, Mao Zedong 🙂"
    text = _pdf_text(handout_pdf(pack.model_copy(update={"title": title}), key=False))
    assert "Шифртелеграмма Филиппова, [3 CJK characters] — Pʻyŏngyang, Mao Zedong [U+1F642]" in text


def test_pdf_wraps_a_long_url_onto_the_page(pack: StudyPack) -> None:
    url = "https://example.org/document/" + "x" * 400
    answer = _answers(pack)[0]
    long = answer.model_copy(
        update={"citations": [answer.citations[0].model_copy(update={"url": url})]}
    )
    guide = [pack.guide[0].model_copy(update={"answer": long}), *pack.guide[1:]]
    pdf = handout_pdf(pack.model_copy(update={"guide": guide}), key=True)
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    assert "xxxxxxxx" in page.extract_text()
    assert url in [a.get_object()["/A"]["/URI"] for a in page.get("/Annots", [])]


def test_a_key_downloaded_again_is_the_files_written_the_first_time(pack: StudyPack) -> None:
    first = key_files(pack)
    assert [f.name for f in first] == ["document-110692-key.pdf", "document-110692-key.md"]
    assert first[1].read_text(encoding="utf-8") == handout_markdown(pack, key=True)
    assert "Jet fighters [1]" in _pdf_text(first[0].read_bytes())
    written = [(f.stat().st_ino, f.stat().st_mtime_ns) for f in first]
    assert key_files(pack) == first
    assert [(f.stat().st_ino, f.stat().st_mtime_ns) for f in first] == written
    edited = key_files(pack.model_copy(update={"guide": pack.guide[1:]}))
    assert edited[0].parent != first[0].parent and first[0].exists()


def test_downloads_of_one_new_key_at_once_get_whole_files_and_leave_one_folder(
    pack: StudyPack,
) -> None:
    new = pack.model_copy(update={"title": "A key nobody has downloaded yet"})
    start = threading.Barrier(8)

    def download() -> list[Path]:
        start.wait()
        return key_files(new)

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: download(), range(8)))
    assert all(files == got[0] for files in got)
    assert got[0][1].read_text(encoding="utf-8") == handout_markdown(new, key=True)
    assert "A key nobody has downloaded yet" in _pdf_text(got[0][0].read_bytes())
    keys = got[0][0].parent.parent
    assert [f for f in keys.iterdir() if f.name.startswith("tmp")] == []  # no copy left behind
