"""One plain-text request to the configured chat model, for the small jobs beside answering
(rewriting a follow-up, proposing study questions). A failure is logged and returns None, so
each caller falls back to its offline way."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from langchain_core.messages import HumanMessage, SystemMessage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)


def ask_model(model: BaseChatModel, instructions: str, content: str, *, job: str) -> str | None:
    """The model's reply to `content` under `instructions`, or None when the call fails."""
    try:
        reply = model.invoke([SystemMessage(instructions), HumanMessage(content)])
    except Exception as exc:
        log.warning("%s failed (%s); doing it offline", job, type(exc).__name__)
        return None
    return str(reply.content)
