"""The source viewer in a real browser: a record's labels read as labels, the parts its editors or
the archive wrote stand apart from the document's own words, footnote markers lead to their
notes and back, and the highlighted quote is still the stored text[start:end], character for
character. Screenshots go to test-artifacts/screenshots/ (viewer-*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from qa.assembly import open_archive
from tests import test_browser
from tests.conftest import FRUS, make_settings, screenshot, serving
from tests.test_browser import DESKTOP, PHONE, QUESTION, _ask_and_open_source, _open
from ui.app import build_app
from vectorstore.documents import load_document

MEMO = "frus1951v07p2-d34"  # McConaughy's telegram, with the editors' two footnotes
COMMENDED = "What did McConaughy commend to the Department?"

# The telegram's expected quote, as the page's own browser tests have it (the browser is
# conftest's).
expected_quote = test_browser.expected_quote


@pytest.fixture(scope="module")
def frus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over an archive holding one FRUS record with footnotes."""
    archive = open_archive(make_settings(tmp_path_factory.mktemp("frus") / "db"))
    archive.store.ingest(load_document(FRUS / "0034.txt"))
    with serving(build_app(archive)) as url:
        yield url


def _quote(url: str, question: str) -> dict[str, Any]:
    answer = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=60).json()
    citation: dict[str, Any] = answer["citations"][0]
    return citation


def _open_span(page: Page, document_id: str, start: int, end: int) -> None:
    """Open text[start:end] of a document in the Ask tab's viewer, as a citation link would."""
    page.evaluate(
        """([id, start, end]) => {
          const link = document.createElement("a");
          link.className = "aqa-cite";
          link.href = `#aqa/1/${start}/${end}/${id}`;
          link.textContent = "[1]";
          document.querySelector("#aqa-chat").append(link);
          link.click();
        }""",
        [document_id, start, end],
    )


def test_the_documents_api_says_who_speaks_in_each_section(frus_url: str) -> None:
    document = httpx.get(f"{frus_url}/api/documents/{MEMO}").json()
    parts = {s["name"]: (s["part"], s["speaker"]) for s in document["sections"]}
    assert parts["Contents"] == ("document", "the document")
    assert parts["Footnotes"] == ("editors", "the editors' notes")
    assert parts["Citation"] == ("apparatus", "the archive's description")
    notes = next(s for s in document["sections"] if s["name"] == "Footnotes")
    assert document["text"][notes["start"] :].startswith("[1] Ralph N. Clough")


def test_the_viewer_shows_a_records_labels_as_labels_without_markup(
    browser: Browser, base_url: str, expected_quote: str
) -> None:
    page, outside = _open(browser, base_url + "/", DESKTOP)
    _ask_and_open_source(page, QUESTION)
    expect(page.locator("#aqa-mark")).to_have_text(expected_quote)
    assert page.locator("#aqa-mark").text_content() == expected_quote
    text = page.locator(".aqa-doc-text")
    labels = text.locator(".aqa-label")
    expect(labels).to_have_text(["Citation", "Summary", "Original Language", "Contents"])
    title = text.locator('[data-section="Title"]')
    expect(title).to_have_text(
        "Ciphered telegram, Filippov [Stalin] to Zhou Enlai or Mao Zedong (via Roshchin)"
    )
    assert "**" not in text.inner_text()
    # The archive's summary is set apart from the telegram's own words.
    summary = text.get_by_role("complementary", name="The archive's summary")
    expect(summary).to_contain_text("not the document's own words")
    expect(summary).to_contain_text("Telegram from Stalin to Mao and Zhou Enlai")
    expect(summary.locator("#aqa-mark")).to_have_count(0)
    text.evaluate("el => { el.scrollTop = 0; }")
    screenshot(page, "viewer-labels")
    assert outside == [], "the page fetched from the network"
    page.close()


def test_a_footnote_marker_leads_to_the_editors_note_and_back(
    browser: Browser, frus_url: str
) -> None:
    cited = _quote(frus_url, COMMENDED)
    assert "Clough,[1]" in cited["quote"]
    page, outside = _open(browser, frus_url + "/", DESKTOP)
    _ask_and_open_source(page, COMMENDED)
    mark = page.locator("#aqa-mark")
    expect(mark).to_have_text(cited["quote"])
    assert mark.text_content() == cited["quote"]
    marker = mark.get_by_role("link", name="Editors' footnote 1")
    expect(marker).to_have_text("[1]")
    marker.click()
    notes = page.get_by_role("complementary", name="The editors' notes")
    expect(notes).to_contain_text("The editors' notes: not the document's own words")
    expect(notes.locator(".aqa-label")).to_have_text("Footnotes")
    note = notes.locator(".aqa-note-shown")
    expect(note).to_have_text("[1] Ralph N. Clough, Consul at Hong Kong.")
    expect(note).to_be_focused()
    expect(note).to_be_in_viewport()
    assert page.evaluate(test_browser._LOW_CONTRAST) == []
    screenshot(page, "viewer-footnotes")
    note.get_by_role("link", name="Back to footnote 1 in the text").click()
    expect(marker).to_be_focused()
    expect(marker).to_be_in_viewport()
    expect(page.locator(".aqa-note-shown")).to_have_count(0)
    # The page itself never scrolled sideways or down to the note: the text box did.
    assert page.evaluate("window.scrollX") == 0
    assert outside == [], "the page fetched from the network"
    page.close()


def test_a_quoted_footnote_is_highlighted_among_the_editors_notes(
    browser: Browser, frus_url: str
) -> None:
    cited = _quote(frus_url, "Who was Ralph Clough?")
    assert cited["quote"].startswith("[1] Ralph N. Clough")
    page, _ = _open(browser, frus_url + "/", DESKTOP)
    _ask_and_open_source(page, "Who was Ralph Clough?")
    notes = page.get_by_role("complementary", name="The editors' notes")
    expect(notes.locator("#aqa-mark")).to_have_text(cited["quote"])
    assert notes.locator("#aqa-mark").text_content() == cited["quote"]
    page.close()


def test_a_quote_that_runs_across_the_records_markup_shows_it_as_stored(
    browser: Browser, frus_url: str
) -> None:
    text = httpx.get(f"{frus_url}/api/documents/{MEMO}").json()["text"]
    start = text.index("(McConaughy)")
    end = text.index("Foreign Relations")
    assert "**Citation:**" in text[start:end]
    page, _ = _open(browser, frus_url + "/", DESKTOP)
    expect(page.get_by_label("Your question")).to_be_visible(timeout=60_000)
    _open_span(page, MEMO, start, end)
    mark = page.locator("#aqa-mark")
    expect(mark).to_contain_text("**Citation:**")
    assert mark.text_content() == text[start:end]
    # Outside the quote the markup is still hidden.
    viewer = page.locator(".aqa-doc-text")
    expect(viewer.locator(".aqa-label", has_text="Source Note")).to_be_visible()
    assert viewer.inner_text().count("**") == text[start:end].count("**")
    page.close()


@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_long_archive_addresses_wrap_inside_the_viewer(
    browser: Browser, frus_url: str, width: str, viewport: dict[str, int]
) -> None:
    page, _ = _open(browser, frus_url + "/", viewport)
    _ask_and_open_source(page, COMMENDED)
    expect(page.locator("#aqa-mark")).to_be_visible()
    page.get_by_text("Cite this (Chicago)").click()
    expect(page.locator(".aqa-chicago")).to_contain_text("history.state.gov/historicaldocuments")
    for box in (".aqa-card", ".aqa-doc-text"):
        wide = page.locator(box).evaluate("el => el.scrollWidth - el.clientWidth")
        assert wide <= 0, f"{box} is {wide}px wider than the viewer"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator(".aqa-doc-text").evaluate("el => { el.scrollTop = 0; }")
    page.locator(".aqa-card").scroll_into_view_if_needed()
    screenshot(page, f"viewer-wrapping-{width}")
    page.close()
