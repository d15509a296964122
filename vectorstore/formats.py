"""The text of a PDF (its text layer, by pypdf) or a web page (its visible text, by Beautiful
Soup), with the title the file gives itself: what vectorstore.documents parses as a document."""

from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING

from vectorstore.errors import LoadError

if TYPE_CHECKING:
    from bs4 import Tag

# Inline HTML elements run on within a line; every other element starts a paragraph of its own.
_INLINE_TAGS = [
    *("a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark"),
    *("q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr", "font"),
]  # fmt: skip

# Inline styles that hide an element (spaces removed, lowercased): zero size or opacity included.
_HIDING_STYLE = re.compile(
    r"(?:^|;)(?:display:none|visibility:hidden|font-size:0(?![.\d])|opacity:0(?![.\d]))"
)


def pdf_text(raw: bytes, name: str) -> tuple[str, str | None]:
    """The text layer of a PDF, page after page, and its title from the PDF's metadata."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, LimitReachedError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its repairs are not the reader's concern

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(f"{name} is password-protected: save an unprotected copy first.")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except DependencyError as exc:
        raise LoadError(
            f"{name} is encrypted in a way archive-qa cannot open here: save an unencrypted copy "
            "(or install archive-qa[pdf-crypto])."
        ) from exc
    except LimitReachedError as exc:
        raise LoadError(
            f"{name} unpacks to far more data than a document holds (a damaged or hostile file): "
            "export its text to a .txt file instead."
        ) from exc
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise LoadError(f"{name} is not a readable PDF ({exc}): re-export it as PDF.") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise LoadError(
            f"{name} has no text layer (a scanned image?): run OCR on it, then upload it again."
        )
    return text, (title or "").strip() or None


def html_text(raw: bytes, name: str) -> tuple[str, str | None]:
    """The visible text of a web page, a paragraph per block element, and its title."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for hidden in soup(["script", "style", "noscript", "template", "nav", "footer"]):
        hidden.decompose()
    # Text a reader of the page never sees is not the document's (and a place to plant orders).
    for hidden in soup.find_all(_is_hidden):
        hidden.decompose()
    title_tag = soup.find("title") or soup.find("h1")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    if soup.head:
        soup.head.decompose()
    for inline in soup(_INLINE_TAGS):
        inline.unwrap()
    soup.smooth()
    blocks = (" ".join(line.split()) for line in soup.get_text("\n").split("\n"))
    text = "\n\n".join(b for b in blocks if b)
    if not text:
        raise LoadError(f"{name} has no visible text: there is nothing to ask about.")
    return text, title or None


def _is_hidden(tag: Tag) -> bool:
    style = re.sub(r"\s+", "", str(tag.get("style") or "")).lower()
    return (
        tag.has_attr("hidden")
        or str(tag.get("aria-hidden") or "").lower() == "true"
        or str(tag.get("type") or "").lower() == "hidden"
        or _HIDING_STYLE.search(style) is not None
    )
