"""One plain-text request to the configured chat model, for the small jobs beside answering
(rewriting a follow-up, proposing study questions). A failure is logged and returns None, so
each caller falls back to its offline way."""

from __future__ import annotations

import html
import logging
import re
from typing import TYPE_CHECKING

from langchain_core.messages import HumanMessage, SystemMessage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)
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


def ask_model(model: BaseChatModel, instructions: str, content: str, *, job: str) -> str | None:
    """The model's reply to `content` under `instructions`, or None when the call fails."""
    try:
        reply = model.invoke([SystemMessage(instructions), HumanMessage(content)])
    except Exception as exc:
        log.warning("%s failed (%s); doing it offline", job, type(exc).__name__)
        return None
    return str(reply.content)
