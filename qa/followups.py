"""Follow-up questions, offline: "And how long would that take?" read as a question that stands
alone.

A question that leans on an earlier one ("that", "they", "And ...") is read together with the
previous question. With a language model configured, the model rewrites a follow-up instead
(qa.llm.ModelCondenser), with this reading as its fallback. Either way retrieval and answering
see one standalone question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answer import Standalone, Turn
from vectorstore.text import terms

_LEADING_LINK = re.compile(r"^\s*(?:and|but|so|then|also|ok(?:ay)?|well)\b[\s,]*", re.I)
_POINTS_BACK = re.compile(
    r"\b(?:it|its|that|this|these|those|they|them|their|he|him|his|she|her|there|then|"
    r"the same)\b|^\s*(?:what|how)\s+about\b",
    re.I,
)
_CAPITALISED = re.compile(r"(?<!^)\b[A-Z]")


class WordCondenser:
    """Offline: a follow-up is read together with the question it follows (itself read so)."""

    def condense(self, question: str, history: Sequence[Turn]) -> Standalone:
        context: Standalone | None = None
        for asked in [t.content for t in history if t.role == "user" and t.content]:
            context = _standalone(asked, context)
        return _standalone(question, context)


def _standalone(question: str, previous: Standalone | None) -> Standalone:
    if previous is None or not _leans_on_context(question):
        return Standalone(question)
    own = _LEADING_LINK.sub("", question).strip()
    return Standalone(f"{own[:1].upper()}{own[1:]}", previous)


def _leans_on_context(question: str) -> bool:
    """Whether a question points back ("that", "And ...") or is too bare to stand ("Why?")."""
    bare = len(terms(question)) <= 1 and not _CAPITALISED.search(question.strip())
    return bare or bool(_LEADING_LINK.match(question) or _POINTS_BACK.search(question))
