"""Handouts: a document's study materials (a `qa.study.StudyPack`) laid out for print, as a
student sheet or a teacher's key, in Markdown and as a PDF (fpdf2, set in Noto Serif)."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import Literal, NamedTuple

import fontpkg
from fontTools.ttLib import TTFont
from fpdf import FPDF

from qa.answer import Citation
from qa.study import LETTERS, GlossaryEntry, QuizItem, StudyPack, StudyQuestion, TimelineEntry
from ui.format import long_date
from vectorstore.errors import ArchiveQAError

STUDENT_SHEET = "Student sheet"
TEACHERS_KEY = "Teacher's key"
ANSWER = "Answer:"
ESSAY = "Your essay:"

Style = Literal[
    "title", "banner", "meta", "hint", "heading", "subheading", "question", "label", "quote",
    "answer", "write", "letter", "choice", "term", "text",
]  # fmt: skip


@dataclass(frozen=True)
class Block:
    """One paragraph of a handout as both layouts read it: its style and text, a hanging mark
    ("3.", "B.", "[1]"), and where a quote comes from (its archival citation and URL)."""

    style: Style
    text: str
    mark: str = ""
    source: str = ""
    url: str = ""


# -- what a handout says --------------------------------------------------------------------------

_SKILLS = {
    "sourcing": ("Sourcing", "Who wrote the document, to whom, when, and where the original is."),
    "context": ("Context", "What was happening around the document."),
    "close reading": ("Close reading", "What the document says, in its own words."),
    "corroboration": ("Corroboration", "What other documents say of the same people and events."),
}
_SHEET_HINT = "Read the passages, answer in your own words, and say which passage supports it."
_KEY_HINT = "Every answer quotes its sources word for word; [n] marks its citations."
_KINDS = {
    "person": "People", "organisation": "Organisations", "place": "Places", "date": "Dates",
    "other": "Other names",
}  # fmt: skip


def handout_blocks(pack: StudyPack, *, key: bool) -> list[Block]:
    """The handout's paragraphs in reading order: a student sheet, or with `key` the teacher's key
    (the same sheet with every answer and the quiz's letters, each cited)."""
    own = _own_citation(pack)
    front = [Block("title", pack.title), Block("banner", TEACHERS_KEY if key else STUDENT_SHEET)]
    if own is not None:
        front.append(Block("meta", _reference(own), url=own.url or ""))
    front.append(Block("hint", _KEY_HINT if key else _SHEET_HINT))
    return [
        *front,
        *_guide(pack, key=key),
        *_essays(pack, key=key),
        *_quiz(pack.quiz, key=key),
        *_glossary(pack.glossary, pack.document_id),
        *_timeline(pack.timeline, pack.document_id),
    ]


def _guide(pack: StudyPack, *, key: bool) -> list[Block]:
    """The questions grouped by skill, numbered through in the order they are printed."""
    if not pack.guide:
        return []
    blocks = [Block("heading", "Study guide")]
    order = list(_SKILLS)
    skills = sorted(
        dict.fromkeys(q.skill for q in pack.guide),
        key=lambda s: order.index(s) if s in order else len(order),
    )
    n = 0
    for skill in skills:
        heading, hint = _SKILLS.get(skill, (skill.capitalize(), ""))
        blocks += [Block("subheading", heading), Block("hint", hint)]
        for question in (q for q in pack.guide if q.skill == skill):
            n += 1
            blocks += _question(n, question, pack.document_id, key=key)
    return blocks


def _question(n: int, question: StudyQuestion, own: str, *, key: bool) -> list[Block]:
    """A question with its passages to read; on the key, its answer and every citation of it."""
    answer = question.answer
    text = question.question if answer else f"{question.question} (for discussion)"
    blocks = [Block("question", text, mark=f"{n}.")]
    if question.passages:
        label = "In this document:" if question.skill == "corroboration" else "Read:"
        blocks.append(Block("label", label))
        blocks += [_quote(c, own=own) for c in question.passages]
    if not key:
        blocks.append(Block("write", "Your notes:" if answer is None else "Your answer:"))
    elif answer is None:
        blocks.append(Block("label", "A prompt for discussion: the sources give no answer to it."))
    else:
        blocks.append(Block("answer", answer.answer))
        blocks += [_quote(c, mark=f"[{c.n}]") for c in answer.citations]
    return blocks


def _essays(pack: StudyPack, *, key: bool) -> list[Block]:
    """Essay questions; on the key, the passages a strong answer cites."""
    if not pack.essays:
        return []
    blocks = [Block("heading", "Essay questions")]
    for n, essay in enumerate(pack.essays, start=1):
        blocks.append(Block("question", essay.question, mark=f"{n}."))
        if key:
            blocks.append(Block("label", "A strong answer cites:"))
            blocks += [_quote(c, mark=f"[{i}]") for i, c in enumerate(essay.passages, start=1)]
        else:
            blocks.append(Block("write", ESSAY))
    return blocks


def _quiz(items: list[QuizItem], *, key: bool) -> list[Block]:
    """Lettered choices for each item; on the key, the right letter and the cited sentence."""
    if not items:
        return []
    blocks = [Block("heading", "Quiz"), Block("hint", "Fill in the blank: choose one letter.")]
    for n, item in enumerate(items, start=1):
        blocks.append(Block("question", item.prompt, mark=f"{n}."))
        blocks += [
            Block("choice", choice, mark=f"{letter}.")
            for letter, choice in zip(LETTERS, item.choices, strict=False)
        ]
        if key:
            blocks += [Block("answer", f"{item.letter}. {item.answer}"), _quote(item.source)]
        else:
            blocks.append(Block("letter", "Your letter:"))
    return blocks


def _glossary(entries: list[GlossaryEntry], own: str) -> list[Block]:
    """Names grouped by kind, each with the sentence that first mentions it."""
    if not entries:
        return []
    blocks = [Block("heading", "Glossary")]
    for kind in dict.fromkeys([*_KINDS, *(e.kind for e in entries)]):
        group = [e for e in entries if e.kind == kind]
        if group:
            blocks.append(Block("subheading", _KINDS.get(kind, kind.capitalize())))
            blocks += [block for entry in group for block in _entry(entry, own)]
    return blocks


def _entry(entry: GlossaryEntry, own: str) -> list[Block]:
    """A name (with its other forms), its most telling mention, and where the record spells it
    out or the editors say who it is."""
    also = f" (also {', '.join(entry.variants)})" if entry.variants else ""
    blocks = [Block("term", entry.term + also), _quote(entry.source, own=own)]
    if entry.expansion:
        blocks += [Block("label", "Spelled out:"), _quote(entry.expansion, own=own)]
    if entry.identification:
        blocks += [Block("label", "The editors:"), _quote(entry.identification, own=own)]
    return blocks


def _timeline(entries: list[TimelineEntry], own: str) -> list[Block]:
    """Dated events, earliest first: a sentence of a document is quoted, a title is not."""
    if not entries:
        return []
    blocks = [Block("heading", "Timeline")]
    for entry in entries:
        blocks.append(Block("term", long_date(entry.date) or entry.date))
        if entry.label == " ".join(entry.source.quote.split()):
            blocks.append(_quote(entry.source, own=own))
        else:
            mine = entry.source.document_id == own
            blocks.append(
                Block("text", entry.label, source="" if mine else _reference(entry.source))
            )
    return blocks


def _quote(c: Citation, *, mark: str = "", own: str = "") -> Block:
    """A cited passage in quotation marks (its whitespace as single spaces), with its archival
    citation and URL unless it is from `own`, the document cited at the top of the handout."""
    text = "“" + " ".join(c.quote.split()) + "”"
    if c.document_id == own:
        return Block("quote", text, mark=mark)
    return Block("quote", text, mark=mark, source=_reference(c), url=c.url or "")


def _reference(c: Citation) -> str:
    """The archival citation, without the URL an archive may append to it (printed apart)."""
    held = re.sub(r"\s*<[^>]*>\s*$", "", c.citation or "").strip()
    return held or ", ".join(p for p in (c.title, long_date(c.date)) if p)


def _own_citation(pack: StudyPack) -> Citation | None:
    """Any citation of the pack's own document: each carries its archival citation and URL."""
    cited = [
        *(c for q in pack.guide for c in [*q.passages, *(q.answer.citations if q.answer else [])]),
        *(i.source for i in pack.quiz),
        *(e.source for e in pack.glossary),
        *(e.source for e in pack.timeline),
    ]
    return next((c for c in cited if c.document_id == pack.document_id), None)


# -- Markdown -------------------------------------------------------------------------------------

_MARKDOWN: dict[Style, str] = {
    "title": "# {}", "banner": "**{}**", "hint": "*{}*", "label": "*{}*", "heading": "## {}",
    "subheading": "### {}", "answer": f"**{ANSWER}** {{}}", "write": "{} " + "_" * 40,
    "letter": "{} _____", "term": "**{}**",
}  # fmt: skip
# Record text is printed as it is, with only what Markdown would read as markup escaped: a lone
# underscore (not the quiz's blank), a star, a backtick, "<", and a mark opening a line.
_MARKUP = re.compile(r"[\\`*<]|(?<!_)_{1,2}(?!_)|^[#>+-]|(?<=^\d)\.|(?<=^\d\d)\.")


def handout_markdown(pack: StudyPack, *, key: bool) -> str:
    """The handout as Markdown: the student sheet, or with `key` the teacher's key."""
    return "\n\n".join(_markdown(b) for b in handout_blocks(pack, key=key)) + "\n"


def _markdown(block: Block) -> str:
    text = _MARKDOWN.get(block.style, "{}").format(_escaped(block.text))
    if block.mark:
        mark = block.mark.replace("[", "\\[")
        text = f"**{mark}** {text}"
    if block.style == "quote":
        text = "> " + text + (f"  \n> — {_escaped(block.source)}" if block.source else "")
        return text + (f" <{block.url}>" if block.url else "")
    return text + (f"  \n<{block.url}>" if block.url else "")


def _escaped(text: str) -> str:
    return _MARKUP.sub(lambda m: "".join("\\" + ch for ch in m[0]), text)


# -- PDF ------------------------------------------------------------------------------------------

_FONT = "Noto Serif"
_INK, _GREY, _LINK = (20, 20, 20), (95, 95, 95), (25, 60, 140)
_HANG = 8.0
"""The width (mm) of a hanging mark: question numbers, choice letters, citation numbers."""


class _Look(NamedTuple):
    size: float
    italic: bool = False
    bold: bool = False
    indent: float = 0.0
    before: float = 1.5
    grey: bool = False


_LOOKS: dict[Style, _Look] = {
    "title": _Look(17, bold=True, before=0),
    "banner": _Look(12.5, bold=True, before=1),
    "meta": _Look(9, grey=True),
    "hint": _Look(9.5, italic=True, grey=True),
    "heading": _Look(15, bold=True, before=8),
    "subheading": _Look(12, bold=True, before=4),
    "question": _Look(11, before=3.5),
    "label": _Look(9.5, italic=True, indent=_HANG, grey=True),
    "quote": _Look(10.5, italic=True, indent=_HANG),
    "answer": _Look(11, indent=_HANG, before=2),
    "write": _Look(10, indent=_HANG, grey=True, before=2),
    "letter": _Look(10, indent=_HANG, grey=True, before=2),
    "choice": _Look(11, indent=_HANG, before=0.5),
    "term": _Look(10.5, bold=True, before=2.5),
    "text": _Look(10.5, indent=_HANG),
}
# The room (mm) a block needs below it on its page, so that a heading, a question with its
# choices, or a term is not left at the foot of a page apart from what follows it.
_KEEP: dict[Style, float] = {
    "heading": 40, "subheading": 30, "question": 45, "term": 18, "write": 30,
}  # fmt: skip


def handout_pdf(pack: StudyPack, *, key: bool) -> bytes:
    """The handout as a PDF (A4): the student sheet, or with `key` the teacher's key."""
    pdf = _Handout(pack.title, TEACHERS_KEY if key else STUDENT_SHEET)
    pdf.add_page()
    for block in handout_blocks(pack, key=key):
        _draw(pdf, block)
    return bytes(pdf.output())


def key_files(pack: StudyPack) -> list[Path]:
    """The teacher's key as a PDF and a Markdown file, for a download: in this process's folder
    of keys (removed when it exits), one folder for each key's content, so that a key downloaded
    again is the files written the first time and the folder grows only as keys are edited."""
    markdown = handout_markdown(pack, key=True)
    keys = _key_folder()
    folder = keys / hashlib.sha256(f"{pack.document_id}\n{markdown}".encode()).hexdigest()[:16]
    names = f"{pack.document_id}-key.pdf", f"{pack.document_id}-key.md"
    if not folder.is_dir():
        fresh = Path(tempfile.mkdtemp(dir=keys))
        try:
            (fresh / names[0]).write_bytes(handout_pdf(pack, key=True))
            (fresh / names[1]).write_text(markdown, encoding="utf-8")
        except BaseException:
            shutil.rmtree(fresh)
            raise
        try:
            fresh.rename(folder)  # whole, at once: Gradio never copies a half-written key
        except OSError:
            shutil.rmtree(fresh)
            if not folder.is_dir():  # else another download of the same key got there first
                raise
    return [folder / name for name in names]


def _key_folder() -> Path:
    with _MAKING_KEY_FOLDER:  # two first downloads at once must not make two
        return Path(_kept_key_folder().name)


@cache
def _kept_key_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="aqa-keys-")


_MAKING_KEY_FOLDER = threading.Lock()


class _Handout(FPDF):
    """An A4 page in Noto Serif with the document's title and the sheet's name at the top of
    every page and the page number at the bottom."""

    def __init__(self, title: str, sheet: str) -> None:
        super().__init__(format="A4")
        self.handout_title, self.sheet = title, sheet
        regular, italic = _font_files()
        # Each file's default instance is the regular weight: instancing the variable font for a
        # real bold takes seconds, so bold is drawn by stroking the outline (`_set_look`).
        self.add_font(_FONT, "", regular)
        self.add_font(_FONT, "I", italic)
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=18)
        self.set_title(title)
        self.set_creator("archive-qa")

    def header(self) -> None:
        with self.local_context():
            _set_look(self, _Look(8.5, italic=True, grey=True))
            width = self.get_string_width(self.sheet) + 2
            title = _fit(self, _printable(self.handout_title), self.epw - width - 4)
            self.cell(self.epw - width, 5, title)
            _set_look(self, _Look(8.5, bold=True))
            self.cell(width, 5, self.sheet, align="R", new_x="LMARGIN", new_y="NEXT")
            self.set_draw_color(*_GREY)
            self.set_line_width(0.2)
            self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(6)

    def footer(self) -> None:
        with self.local_context():
            self.set_y(-13)
            _set_look(self, _Look(8.5, italic=True, grey=True))
            self.cell(0, 5, f"{self.sheet} · page {self.page_no()} of {{nb}}", align="C")


def _draw(pdf: FPDF, block: Block) -> None:
    look = _LOOKS.get(block.style, _LOOKS["text"])
    left = pdf.l_margin
    pdf.ln(look.before)
    height = look.size * 0.5
    if pdf.will_page_break(_KEEP.get(block.style, 0)):
        pdf.add_page()
    _set_look(pdf, look)
    x = left + look.indent
    if block.mark:
        pdf.set_x(x)
        pdf.cell(_HANG, height, block.mark)
        x += _HANG
    text = _printable(f"{ANSWER} {block.text}" if block.style == "answer" else block.text)
    if block.style == "letter":
        text += " ______"
    pdf.set_left_margin(x)
    pdf.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT")
    if block.source:
        _set_look(pdf, _Look(8.5, grey=True))
        pdf.multi_cell(0, 4.5, _printable(block.source), align="L", new_x="LMARGIN", new_y="NEXT")
    if block.url:
        _set_look(pdf, _Look(8.5))
        pdf.set_text_color(*_LINK)
        url = _printable(block.url)
        pdf.multi_cell(0, 4.5, url, align="L", link=block.url, new_x="LMARGIN", new_y="NEXT")
    if block.style == "write":
        _rule_lines(pdf, 10 if block.text == ESSAY else 3)
    pdf.set_left_margin(left)


def _rule_lines(pdf: FPDF, count: int) -> None:
    """Ruled lines to write an answer on."""
    with pdf.local_context(draw_color=_GREY, line_width=0.15):
        for _ in range(count):
            pdf.ln(8)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def _set_look(pdf: FPDF, look: _Look) -> None:
    pdf.set_font(_FONT, "I" if look.italic else "", look.size)
    colour = _GREY if look.grey else _INK
    pdf.set_text_color(*colour)
    pdf.set_draw_color(*colour)
    pdf.text_mode = "FILL_STROKE" if look.bold else "FILL"
    pdf.set_line_width(look.size * 0.016)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """The text cut with an ellipsis to fit `width` (mm) on one line."""
    while text and pdf.get_string_width(text) > width:
        text = text[:-2].rstrip() + "…"
    return text


@cache
def _font_files() -> tuple[Path, Path]:
    """Noto Serif's regular and italic files, from the fontpkg-noto-serif package."""
    try:
        return Path(fontpkg.path(_FONT)), Path(fontpkg.path(_FONT, style="italic"))
    except fontpkg.FontpkgError as exc:
        raise ArchiveQAError(
            f"the handout font ({_FONT}) is not installed: reinstall archive-qa "
            "(`pip install -e .`), which brings it in the fontpkg-noto-serif package."
        ) from exc


@cache
def _drawable() -> frozenset[int]:
    """The characters both faces of the font can draw."""
    regular, italic = (frozenset(TTFont(f).getBestCmap()) for f in _font_files())
    return regular & italic


# Scripts the font lacks, named as a reader knows them ("[4 CJK characters]").
_SCRIPTS = frozenset(
    {"CJK", "HANGUL", "HIRAGANA", "KATAKANA", "ARABIC", "HEBREW", "DEVANAGARI", "THAI"}
    | {"GEORGIAN", "ARMENIAN", "ETHIOPIC", "BENGALI", "TAMIL", "TIBETAN", "MONGOLIAN"}
)


def _printable(text: str) -> str:
    """The text on one line, with what the font cannot draw replaced so a reader sees what was
    there: its compatibility form ("ﬁ" -> "fi"), a run of a script by name and length ("[4 CJK
    characters]"), any other character by its code point ("[U+1F600]")."""
    drawable = _drawable()
    parts = []
    for ok, chars in groupby(" ".join(text.split()), key=lambda ch: ord(ch) in drawable):
        run = "".join(chars)
        parts.append(run if ok else _stand_in(run, drawable))
    return "".join(parts)


def _stand_in(run: str, drawable: frozenset[int]) -> str:
    # Invisible format characters (zero-width spaces, direction marks) stand for nothing.
    run = "".join(ch for ch in run if unicodedata.category(ch) != "Cf")
    compatible = unicodedata.normalize("NFKC", run)
    if all(ord(ch) in drawable for ch in compatible):
        return compatible
    parts = []
    for script, chars in groupby(run, key=lambda ch: unicodedata.name(ch, "").split(" ")[0]):
        found = list(chars)
        if script in _SCRIPTS:
            name = script if script == "CJK" else script.title()
            parts.append(f"[{len(found)} {name} character{'s' if len(found) > 1 else ''}]")
        else:
            parts += [f"[U+{ord(ch):04X}]" for ch in found]
    return "".join(parts)
