"""The fences of our prompts: untrusted text (documents, titles, questions, a conversation) made
safe to put between the tags that set data apart from instructions."""

from __future__ import annotations

import html
import re

# The tags that fence data off from instructions in our prompts, and look-alikes of them.
_FENCE = re.compile(r"<(?=\s*/?\s*(?:passages?|conversation|document|question)\b)", re.IGNORECASE)


def as_data(text: str) -> str:
    """Untrusted text (a document, a title, a question) made safe to put inside our fences: a
    look-alike of a fence tag loses its angle bracket, so planted text cannot close the data and
    speak as instructions."""
    return _FENCE.sub("\u2039", text)  # a single angle quotation mark


def as_attribute(text: str) -> str:
    """Untrusted text made safe as a quoted attribute value inside a fence tag."""
    return html.escape(as_data(text), quote=True)
