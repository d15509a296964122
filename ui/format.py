"""Formatting: an `Answer` as terminal text or as HTML for the chat page. No logic, only layout."""

from __future__ import annotations

import html
import re
import textwrap
from datetime import date
from typing import Any, NamedTuple
from urllib.parse import quote as quote_url

from qa.answer import Answer, Citation, Sentence, as_claim
from qa.library import Document
from qa.study import (
    LETTERS,
    GlossaryEntry,
    QuizItem,
    StudyPack,
    StudyQuestion,
    TimelineEntry,
)

_WIDTH = 100
RELATED_HEADING = "Related passages, not an answer"


def counted(count: int, noun: str = "document") -> str:
    """ "1 document", "2 documents": a count as a reader says it."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def answer_as_text(answer: Answer) -> str:
    """The readable terminal form: the answer, then each numbered quote with its citation (for a
    refusal, the related passages, said not to answer it)."""
    parts = [
        notice_as_text(answer),
        textwrap.fill(answer.answer, _WIDTH),
        sources_as_text(answer),
        related_as_text(answer),
    ]
    return "\n".join(part for part in parts if part)


def notice_as_text(answer: Answer) -> str:
    """The answer's notice as the terminal shows it ("" when it has none)."""
    return f"Note: {answer.notice}" if answer.notice else ""


def sentence_as_text(sentence: Sentence) -> str:
    """One sentence of an answer as the terminal shows it while the answer is written."""
    return textwrap.fill(sentence.text, _WIDTH)


def sources_as_text(answer: Answer) -> str:
    """Each numbered quote of the answer with its citation, as the terminal shows them."""
    return _quotes_as_text(answer.citations, "[{}]")


def related_as_text(answer: Answer) -> str:
    """A refusal's related passages as the terminal shows them ("" when there are none)."""
    if not answer.related:
        return ""
    return f"{RELATED_HEADING}:\n{_quotes_as_text(answer.related, '({})')}"


def _quotes_as_text(citations: list[Citation], label: str) -> str:
    lines = []
    for c in citations:
        quote = " ".join(c.quote.split())
        lines.append(
            textwrap.fill(f'{label.format(c.n)} "{quote}"', _WIDTH, subsequent_indent="    ")
        )
        lines.append(
            textwrap.fill(_reference(c), _WIDTH, initial_indent="    ", subsequent_indent="    ")
        )
    return "\n".join(lines)


def answer_as_html(answer: Answer) -> str:
    """The chat form: superscript citation links and, under the answer, the quoted sources."""
    if answer.abstained:
        body = (
            f'<p class="aqa-abstained"><strong>No answer.</strong> {html.escape(answer.answer)}</p>'
        )
    else:
        body = "<p>" + _linked(html.escape(answer.answer), answer) + "</p>"
    notice = f'<p class="aqa-notice">{html.escape(answer.notice)}</p>' if answer.notice else ""
    sources = "".join(
        _source_html(c, quoted=as_claim(c.quote) in answer.answer) for c in answer.citations
    )
    related = "".join(_source_html(c, quoted=False, related=True) for c in answer.related)
    if related:
        related = (
            f'<div class="aqa-related"><p>{RELATED_HEADING}:</p>'
            f'<ol class="aqa-sources">{related}</ol></div>'
        )
    return notice + body + (f'<ol class="aqa-sources">{sources}</ol>' if sources else "") + related


def sentences_as_html(question: str, sentences: list[Sentence]) -> str:
    """The chat form of an answer still being written: its checked sentences so far."""
    citations = list({c.n: c for s in sentences for c in s.citations}.values())
    text = " ".join(s.text for s in sentences)
    so_far = Answer(
        question=question, answer=text, abstained=False, mode="llm", citations=citations
    )
    return answer_as_html(so_far)


def _linked(escaped: str, answer: Answer) -> str:
    by_number = {c.n: c for c in answer.citations}

    def link(match: re.Match[str]) -> str:
        c = by_number.get(int(match[1]))
        if c is None:
            return match[0]
        return f"<sup>{_show_link(c, f'[{c.n}]')}</sup>"

    return re.sub(r"\[(\d+)\]", link, escaped)


def source_link(c: Citation, *, related: bool = False) -> str:
    """Where a citation's link points: the page script opens the document with the quote
    highlighted (``#aqa/<n>/<start>/<end>/<document id>``; ``r<n>`` for a related passage)."""
    n = f"r{c.n}" if related else str(c.n)
    return f"#aqa/{n}/{c.start}/{c.end}/{quote_url(c.document_id, safe='')}"


def _show_link(c: Citation, label: str, *, related: bool = False) -> str:
    quote = html.escape(" ".join(c.quote.split()))
    what = f"Related passage {c.n}, not an answer" if related else f"Source {c.n}"
    return (
        f'<a class="aqa-cite" href="{html.escape(source_link(c, related=related))}" '
        f'title="“{quote}”" aria-label="{what}: show “{quote}” in its document">'
        f"{html.escape(label)}</a>"
    )


def _source_html(c: Citation, *, quoted: bool, related: bool = False) -> str:
    """A source under the answer: its quote (unless the answer already quotes it whole), where it
    comes from, and the link that shows it in its document."""
    quote = "" if quoted else f"<blockquote>{html.escape(as_claim(c.quote))}</blockquote>"
    where = title_html(c.title) + html.escape(f", {long_date(c.date)}" if c.date else "")
    anchor = f"aqa-related-{c.n}" if related else f"aqa-source-{c.n}"
    added = (
        f'<small class="aqa-added">· added to this library by {html.escape(c.added_by)}</small> '
        if c.added_by
        else ""
    )
    return (
        f'<li id="{anchor}">{quote}<small>{where}</small> {added}'
        f"{_show_link(c, 'Show in document', related=related)}</li>"
    )


def title_html(title: str) -> str:
    """A document's title in a page, isolated (`<bdi>`) so that a title in a right-to-left
    script cannot reorder the words around it."""
    return f"<bdi>{html.escape(title)}</bdi>"


def _added(c: Citation) -> str:
    """Who put a quoted document in the library, where known: an upload speaks for its sender."""
    return f"Added to this library by {c.added_by}."


def _reference(c: Citation, *, with_url: bool = True) -> str:
    reference = c.citation or f"{c.title}{', ' + c.date if c.date else ''}"
    if with_url and c.url:
        reference += f"  <{c.url}>"
    added = f" {_added(c)}" if c.added_by else ""
    return f"{reference} (characters {c.start}-{c.end}){added}"


def message_text(content: Any) -> str:
    """A chat message as plain text, whether Gradio holds it as a string (maybe our HTML) or as a
    list of parts (``[{"type": "text", "text": ...}]``)."""
    if isinstance(content, str):
        parts = [content]
    else:
        parts = [p.get("text", "") if isinstance(p, dict) else str(p) for p in content or []]
    return html.unescape(re.sub(r"<[^>]+>", " ", " ".join(parts))).strip()


class Chicago(NamedTuple):
    """A document cited in Chicago notes-bibliography style, for an essay."""

    note: str
    bibliography: str


def chicago(document: Document) -> Chicago:
    """The document's archival citation in Chicago style: title in quotation marks, date, where the
    document is held (archive, fond, opis, delo, list as the archive gives them), and its URL."""
    when = long_date(document.date)
    held = _holdings(document.citation or "", document.title, when)
    note = [f"“{document.title},”", *(f"{part}," for part in (when, held) if part)]
    bibliography = [f"“{document.title}.”", *(f"{part}." for part in (when, held) if part)]
    if document.url:
        note.append(f"{document.url},")
        bibliography.append(f"{document.url}.")
    return Chicago(" ".join(note).removesuffix(",") + ".", " ".join(bibliography))


def long_date(iso: str | None) -> str:
    """ "1950-07-13" -> "July 13, 1950"; a year or year-month stays as short as it is."""
    if not iso:
        return ""
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 3:
        day = date(*parts)
        return f"{day:%B} {day.day}, {day.year}"
    if len(parts) == 2:
        return f"{date(parts[0], parts[1], 1):%B %Y}"
    return str(parts[0])


def _holdings(citation: str, title: str, when: str) -> str:
    """What an archive's citation line says after its title and date: the repository and the
    document's place in it ("Wilson Center Digital Archive, APRF, Fond 45, ...")."""
    rest = re.sub(r"\s*<[^>]*>\s*$", "", citation.strip())
    for known in (f'"{title}"', f"“{title}”", when):
        if known and rest.startswith(known):
            rest = rest[len(known) :].lstrip(" ,")
    return rest.rstrip(" .")


_SKILLS = {
    "sourcing": "Sourcing: whose voice it is, for whom, when, why, and where the original is",
    "context": "Context: what was happening around it",
    "close reading": "Close reading: what it says, and how",
    "corroboration": "Corroboration: what other documents say",
}
_PROMPT = (
    "<p class='aqa-prompt'><strong>For discussion.</strong> archive-qa does not answer this "
    "for you: read these passages and make your case.</p>"
)


def study_as_html(pack: StudyPack) -> str:
    """A document's study materials; every item links to its quote in the source viewer."""
    starters = "".join(f"<li>{html.escape(q)}</li>" for q in pack.starters)
    guide = "".join(
        f"<h4>{heading}</h4>" + "".join(_guide_item_html(q) for q in pack.guide if q.skill == skill)
        for skill, heading in _SKILLS.items()
        if any(q.skill == skill for q in pack.guide)
    )
    quiz = "".join(
        _quiz_item_html(i, item, pack.document_id) for i, item in enumerate(pack.quiz, start=1)
    )
    essays = "".join(_essay_html(q) for q in pack.essays)
    parts = [
        f"<h2>{title_html(pack.title)}</h2>",
        "<h3>Starter questions</h3><p class='aqa-hint'>archive-qa answered each of these from "
        f"the document before suggesting it; ask them in the Ask tab.</p><ul>{starters}</ul>",
        "<h3>Study guide</h3><p class='aqa-hint'>Try to answer, then open a question to check; "
        f"a question marked for discussion has passages to read, not an answer.</p>{guide}",
        "<h3>Essay questions</h3><p class='aqa-hint'>Write at length; open one for the passages "
        f"a strong answer cites.</p>{essays}"
        if essays
        else "",
        f"<h3>Quiz</h3><p class='aqa-hint'>Fill in the blank: pick a letter.</p>"
        f"<ol class='aqa-quiz'>{quiz}</ol>"
        if quiz
        else "",
        f"<h3>Glossary</h3>{glossary_as_html(pack.glossary)}",
        f"<h3>Timeline</h3>{timeline_as_html(pack.timeline)}",
    ]
    return "<div class='aqa-study'>" + "".join(parts) + "</div>"


def _essay_html(q: StudyQuestion) -> str:
    """An essay question, closed until opened: the passages a strong answer cites (its key)."""
    return (
        f"<details class='aqa-guide-item'><summary>{html.escape(q.question)}</summary>"
        f"<p class='aqa-side'>A strong answer cites:</p>{_passages_html(q.passages)}</details>"
    )


def _passages_html(passages: list[Citation]) -> str:
    """Passages to read, numbered, each linked to its place in its document."""
    items = "".join(
        _source_html(c.model_copy(update={"n": n}), quoted=False)
        for n, c in enumerate(passages, start=1)
    )
    return f"<ol class='aqa-sources'>{items}</ol>" if items else ""


def _guide_item_html(q: StudyQuestion) -> str:
    """A guide question, closed until the student opens it: its cited answer; for a prompt, the
    passages to discuss; for corroboration, this document's passage beside the others' answer."""
    passages = _passages_html(q.passages)
    if q.answer is None:
        body, tag = _PROMPT + passages, " <span class='aqa-tag'>discussion</span>"
    elif passages:
        body = (
            f"<p class='aqa-side'>This document:</p>{passages}"
            f"<p class='aqa-side'>Other documents:</p>{answer_as_html(q.answer)}"
        )
        tag = ""
    else:
        body, tag = answer_as_html(q.answer), ""
    return (
        f"<details class='aqa-guide-item'><summary>{html.escape(q.question)}{tag}</summary>"
        f"{body}</details>"
    )


_KEY = " class='aqa-key'"
"""Marks the right choice's radio button (the page's CSS shows the feedback for it)."""


def _quiz_item_html(i: int, item: QuizItem, document_id: str) -> str:
    """A quiz item a student can answer on the page: lettered choices (radio buttons, so no
    script), feedback on the one picked, and the key citing the sentence."""
    group = "aqa-q-" + re.sub(r"[^\w-]", "-", document_id) + f"-{i}"
    choices = "".join(
        f"<input type='radio' name='{group}' id='{group}-{letter}'"
        f"{_KEY if choice == item.answer else ''}>"
        f"<label for='{group}-{letter}'><b>{letter}.</b> {html.escape(choice)}</label>"
        for letter, choice in zip(LETTERS, item.choices, strict=False)
    )
    source = _show_link(item.source, "see the passage")
    return (
        f"<li><p>{html.escape(item.prompt)}</p><div class='aqa-choices'>{choices}"
        f"<p class='aqa-yes'>Right: {item.letter}, {html.escape(item.answer)}. {source}</p>"
        f"<p class='aqa-no'>Not this one: read the passage again. {source}</p></div>"
        f"<details><summary>Answer {i}</summary><p><strong>{item.letter}. "
        f"{html.escape(item.answer)}</strong>, as the source says: {source}</p></details></li>"
    )


_GLOSSARY_GROUPS = {
    "person": "People", "organisation": "Organisations", "place": "Places", "date": "Dates",
    "other": "Other names",
}  # fmt: skip


def glossary_as_html(entries: list[GlossaryEntry]) -> str:
    """Names grouped by kind, each with the sentence that first mentions it."""
    if not entries:
        return "<p class='aqa-hint'>No names found.</p>"
    groups = []
    for kind, heading in _GLOSSARY_GROUPS.items():
        rows = "".join(_glossary_entry_html(e) for e in entries if e.kind == kind)
        if rows:
            groups.append(f"<h4>{heading}</h4><dl class='aqa-glossary'>{rows}</dl>")
    return "".join(groups)


def _glossary_entry_html(e: GlossaryEntry) -> str:
    """A name, the other forms it takes, and its most telling mention; the editors' note on who
    it is and where the record spells out an abbreviation, each marked as such."""
    also = f" <small>(also {html.escape(', '.join(e.variants))})</small>" if e.variants else ""
    notes = [_show_link(e.source, as_claim(e.source.quote))]
    if e.expansion:
        notes.append(f"<small>Spelled out:</small> {_show_link(e.expansion, e.expansion.quote)}")
    if e.identification:
        said = as_claim(e.identification.quote)
        notes.append(
            f"<small class='aqa-editors'>The editors:</small> {_show_link(e.identification, said)}"
        )
    return f"<dt>{html.escape(e.term)}{also}</dt>" + "".join(f"<dd>{n}</dd>" for n in notes)


def timeline_as_html(entries: list[TimelineEntry]) -> str:
    """Dated entries, earliest first, each linked to its source."""
    if not entries:
        return "<p class='aqa-hint'>No full dates found.</p>"
    rows = "".join(
        f"<li><time datetime='{e.date}'>{html.escape(long_date(e.date))}"
        f"{'' if not e.inferred_year else ' <small>(year from the document)</small>'}</time> "
        f"{_show_link(e.source, e.label)}<small> ({title_html(e.source.title)}"
        f"{', the editors' if e.editors else ''})</small></li>"
        for e in entries
    )
    return f"<ol class='aqa-timeline'>{rows}</ol>"


def viewer_html(element_id: str) -> str:
    """The source viewer, empty until a citation is selected (the page script fills it)."""
    return (
        f'<section id="{element_id}" class="aqa-viewer-body" aria-live="polite" '
        'aria-label="Source viewer"><p class="aqa-viewer-empty">Select a source number such as '
        "[1] in an answer to read the quote where it stands in its document, with its archival "
        "citation.</p></section>"
    )


def header_html(title: str, documents: list[Document], *, embed: bool) -> str:
    """The page's heading; on the full page, what to do and which documents it holds."""
    heading = f"<h1>{html.escape(title)}</h1>"
    if embed:
        return f'<header class="aqa-header">{heading}</header>'
    names = ", ".join(title_html(d.title) for d in documents[:3])
    more = f" and {len(documents) - 3} more" if len(documents) > 3 else ""
    listed = f"<p><strong>Documents:</strong> {names}{more}</p>" if documents else ""
    return (
        f'<header class="aqa-header">{heading}<p>Ask a question about the documents. Every answer '
        f"quotes its sources verbatim; select a number like [1] to see the quote in its document."
        f"</p>{listed}</header>"
    )
