"""Formatting: an `Answer` as terminal text or as HTML for the chat page. No logic, only layout."""

from __future__ import annotations

import html
import re
import textwrap
from typing import Any

from qa.answer import Answer, Citation

_WIDTH = 100


def answer_as_text(answer: Answer) -> str:
    """The readable terminal form: the answer, then each numbered quote with its citation."""
    lines = []
    if answer.notice:
        lines.append(f"Note: {answer.notice}")
    lines.append(textwrap.fill(answer.answer, _WIDTH))
    for c in answer.citations:
        quote = " ".join(c.quote.split())
        lines.append(textwrap.fill(f'[{c.n}] "{quote}"', _WIDTH, subsequent_indent="    "))
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
    sources = "".join(_source_html(c) for c in answer.citations)
    return notice + body + (f'<ol class="aqa-sources">{sources}</ol>' if sources else "")


def _linked(escaped: str, answer: Answer) -> str:
    numbers = {c.n for c in answer.citations}

    def link(match: re.Match[str]) -> str:
        n = int(match[1])
        if n not in numbers:
            return match[0]
        return f'<sup><a href="#aqa-source-{n}" title="Source {n}">[{n}]</a></sup>'

    return re.sub(r"\[(\d+)\]", link, escaped)


def _source_html(c: Citation) -> str:
    quote = html.escape(" ".join(c.quote.split()))
    url = (
        f' <a href="{html.escape(c.url)}" target="_blank" rel="noopener">{html.escape(c.url)}</a>'
        if c.url
        else ""
    )
    return (
        f'<li id="aqa-source-{c.n}"><blockquote>“{quote}”</blockquote>'
        f"<small>{html.escape(_reference(c, with_url=False))}{url}</small></li>"
    )


def _reference(c: Citation, *, with_url: bool = True) -> str:
    reference = c.citation or f"{c.title}{', ' + c.date if c.date else ''}"
    if with_url and c.url:
        reference += f"  <{c.url}>"
    return f"{reference} (characters {c.start}-{c.end})"


def message_text(content: Any) -> str:
    """A chat message as plain text, whether Gradio holds it as a string (maybe our HTML) or as a
    list of parts (``[{"type": "text", "text": ...}]``)."""
    if isinstance(content, str):
        parts = [content]
    else:
        parts = [p.get("text", "") if isinstance(p, dict) else str(p) for p in content or []]
    return html.unescape(re.sub(r"<[^>]+>", " ", " ".join(parts))).strip()
