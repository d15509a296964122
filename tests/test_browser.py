"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright.

What a student does: ask, select [1], read the quote highlighted where it stands in its
document. The same inside an iframe on a course site of another origin. Screenshots of both
pages at desktop and phone widths, and of the library, are saved in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, FrameLocator, Locator, Page, expect
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from qa.assembly import Archive, open_archive
from tests.conftest import (
    ROOT,
    free_port,
    make_settings,
    screenshot,
    serving,
    study_pack,
)
from tests.fake_openai import FakeOpenAI
from tests.pdfs import text_pdf
from tests.test_streaming import TRAINING, writes_two_lines
from ui.app import build_app
from ui.guards import Limits
from vectorstore.documents import Document, parse_document

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
QUESTION = "What did Stalin offer?"


@pytest.fixture(scope="module")
def expected_quote(base_url: str) -> str:
    answer = httpx.post(f"{base_url}/api/ask", json={"question": QUESTION}, timeout=60).json()
    quote: str = answer["citations"][0]["quote"]
    return quote


def _open(browser: Browser, url: str, viewport: dict[str, int]) -> tuple[Page, list[str]]:
    """A new page at `url`, and the list of every request it makes beyond 127.0.0.1."""
    page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
    outside: list[str] = []
    local = ("http://127.0.0.1", "data:", "blob:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    page.goto(url, wait_until="load")
    return page, outside


def _ask_and_open_source(where: Page | FrameLocator, question: str) -> None:
    where.get_by_label("Your question").fill(question)
    where.get_by_role("button", name="Ask", exact=True).click()
    link = where.locator("#aqa-chat a.aqa-cite").first
    expect(link).to_be_visible(timeout=60_000)
    link.click()


def _make_study_materials(page: Page) -> Locator:
    """Open the Study tab, choose the first document and make its materials; where they show."""
    page.get_by_role("tab", name="Study").click()
    page.locator("#aqa-study-document input").click()
    page.get_by_role("option").first.click()
    page.locator("#aqa-study-make").click()
    return page.locator("#aqa-study")


@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_selecting_a_citation_highlights_its_quote_in_the_document(
    browser: Browser, base_url: str, expected_quote: str, width: str, viewport: dict[str, int]
) -> None:
    page, outside = _open(browser, base_url + "/", viewport)
    _ask_and_open_source(page, QUESTION)
    mark = page.locator("#aqa-mark")
    expect(mark).to_be_in_viewport()
    assert mark.text_content() == expected_quote
    # Hovering the number shows the quote; the card carries the archival citation.
    link = page.locator("#aqa-chat a.aqa-cite").first
    assert link.get_attribute("title") == "“" + " ".join(expected_quote.split()) + "”"
    expect(page.locator(".aqa-card")).to_contain_text("Fond 45, Opis 1, Delo 331")
    expect(page.locator(".aqa-card")).to_contain_text("July 13, 1950")
    screenshot(page, f"main-{width}")
    assert outside == [], "the page fetched from the network"
    page.close()


def test_the_keyboard_opens_a_source_and_an_abstention_looks_like_one(
    browser: Browser, base_url: str, expected_quote: str
) -> None:
    page, _ = _open(browser, base_url + "/", DESKTOP)
    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_label("Your question").press("Enter")
    link = page.locator("#aqa-chat a.aqa-cite").first
    expect(link).to_be_visible(timeout=60_000)
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#aqa-mark")).to_have_text(expected_quote)
    page.get_by_label("Your question").fill("What is the recipe for borscht?")
    page.get_by_label("Your question").press("Enter")
    refusal = page.locator("#aqa-chat .aqa-abstained")
    expect(refusal).to_contain_text("No answer.", timeout=60_000)
    expect(refusal).to_contain_text("can't answer that from the documents")
    page.close()


def test_a_refusal_shows_related_passages_that_open_in_the_viewer(
    browser: Browser, base_url: str
) -> None:
    page, _ = _open(browser, base_url + "/", DESKTOP)
    page.get_by_label("Your question").fill("Did China decide to deploy nine divisions?")
    page.get_by_label("Your question").press("Enter")
    expect(page.locator("#aqa-chat .aqa-abstained")).to_contain_text("No answer.", timeout=60_000)
    related = page.locator("#aqa-chat .aqa-related")
    expect(related).to_contain_text("Related passages, not an answer")
    link = related.locator("a.aqa-cite").first
    quote = link.get_attribute("title")
    link.click()
    expect(page.locator(".aqa-kicker")).to_have_text("Related passage (1), not an answer")
    assert quote == "“" + " ".join((page.locator("#aqa-mark").text_content() or "").split()) + "”"
    screenshot(page, "related-passages")
    page.close()


def _readme_snippet(name: str, app_url: str) -> str:
    """A copy-paste snippet from the README, pointed at `app_url`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- snippet: {name} -->\s*```html\n(.*?)```", readme, re.S)
    assert found, f"README has no {name} snippet"
    return found.group(1).replace("http://127.0.0.1:7860", app_url)


def _course_page(snippet: str) -> Starlette:
    page = (
        "<!doctype html><html lang='en'><title>HIST 201</title>"
        "<body style='font-family:sans-serif;margin:1em'><h1>HIST 201, week 3</h1>"
        f"<p>Ask the telegram a question; select a number to read the source.</p>{snippet}"
        "</body></html>"
    )
    return Starlette(routes=[Route("/", lambda _: HTMLResponse(page))])


@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_embed_works_inside_an_iframe_on_another_origin(
    browser: Browser, base_url: str, expected_quote: str, width: str, viewport: dict[str, int]
) -> None:
    snippet = _readme_snippet("iframe", base_url).replace("starters=1", "starters=0")
    with serving(_course_page(snippet)) as host_url:
        assert host_url.rsplit(":", 1)[1] != base_url.rsplit(":", 1)[1]  # another origin
        page, outside = _open(browser, host_url + "/", viewport)
        frame = page.frame_locator("iframe")
        expect(frame.get_by_role("heading", name="HIST 201: the Stalin telegram")).to_be_visible(
            timeout=60_000
        )
        expect(frame.get_by_text("Try asking")).to_be_hidden()
        _ask_and_open_source(frame, QUESTION)
        mark = frame.locator("#aqa-mark")
        # The viewer fetches the document (a busy machine takes more than the default 5 s).
        expect(mark).to_have_text(expected_quote, timeout=30_000)
        assert mark.text_content() == expected_quote
        mark.scroll_into_view_if_needed()
        screenshot(page, f"embed-{width}")
        assert outside == [], "the page fetched from the network"
        page.close()


def test_the_web_component_snippet_works_on_an_allowed_site(
    browser: Browser, archive: Archive, expected_quote: str
) -> None:
    host_port = free_port()
    allowed = f"http://127.0.0.1:{host_port}"
    with serving(build_app(archive, Limits(cors_origins=[allowed]))) as app_url:
        course = _course_page(_readme_snippet("web-component", app_url))
        with serving(course, host_port) as host_url:
            page, outside = _open(browser, host_url + "/", DESKTOP)
            _ask_and_open_source(page, QUESTION)
            expect(page.locator("#aqa-mark")).to_have_text(expected_quote)
            assert page.locator("#aqa-mark").text_content() == expected_quote
            assert outside == [], "the page fetched from the network"
            page.close()


def test_an_uploaded_document_becomes_askable(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("uploads")
    memo = folder / "yalu.pdf"
    memo.write_bytes(
        text_pdf(
            ["Memorandum on the Yalu bridges.",
             "The Yalu bridges were bombed on 8 November 1950 by seventy B-29 aircraft."],
            title="Yalu bridges memorandum",
        )
    )  # fmt: skip
    (folder / "scan.pdf").write_bytes(text_pdf([]))
    archive = open_archive(make_settings(folder / "db"))
    with serving(build_app(archive)) as url:
        page, outside = _open(browser, url + "/", DESKTOP)
        page.get_by_role("tab", name="Library").click()
        page.locator("#aqa-upload input[type=file]").set_input_files([memo, folder / "scan.pdf"])
        page.locator("#aqa-into input").fill("HIST 201")
        page.locator("#aqa-into input").press("Enter")
        page.locator("#aqa-add").click()
        report = page.locator("#aqa-report")
        expect(report).to_contain_text(
            "1 of 2 files in the library into “HIST 201”", timeout=60_000
        )
        expect(report).to_contain_text("yalu.pdf: added as “Yalu bridges memorandum” (yalu)")
        expect(report).to_contain_text("scan.pdf has no text layer (a scanned image?)")
        expect(page.locator("#aqa-library")).to_contain_text("Yalu bridges memorandum")
        screenshot(page, "library-desktop")
        page.get_by_role("tab", name="Ask").click()
        _ask_and_open_source(page, "When were the Yalu bridges bombed?")
        expect(page.locator("#aqa-mark")).to_have_text(
            "The Yalu bridges were bombed on 8 November 1950 by seventy B-29 aircraft."
        )
        expect(page.locator(".aqa-card")).to_contain_text("Yalu bridges memorandum")
        # And out again: pick it, remove it, and the library no longer lists it.
        page.get_by_role("tab", name="Library").click()
        page.locator("#aqa-picked input").click()
        page.get_by_role("option", name="Yalu bridges memorandum (yalu)").click()
        page.get_by_role("button", name="Remove from library").click()
        expect(page.locator("#aqa-library-note")).to_contain_text("1 removed from the library.")
        expect(page.locator("#aqa-library")).not_to_contain_text("Yalu bridges memorandum")
        # The starter questions are about the telegram: without it, none are offered.
        expect(page.get_by_text("Try asking")).to_be_attached()
        archive.library.remove(["document-110692"])
        page.reload()
        expect(page.get_by_label("Your question")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Try asking")).to_be_hidden()
        assert outside == [], "the page fetched from the network"
        page.close()


def test_the_study_tab_links_its_items_to_their_quotes(browser: Browser, base_url: str) -> None:
    pack = study_pack(base_url, "document-110692")
    page, outside = _open(browser, base_url + "/", DESKTOP)
    study = _make_study_materials(page)
    expect(study).to_contain_text("Study guide", timeout=120_000)
    for starter in pack["starters"]:
        expect(study).to_contain_text(starter)
    page.locator("#aqa-study .aqa-glossary a.aqa-cite").first.click()
    expect(page.locator("#aqa-mark")).to_have_text(pack["glossary"][0]["source"]["quote"])
    # A student answers the first quiz item: a wrong letter, then the right one.
    item = pack["quiz"][0]
    first = page.locator("#aqa-study .aqa-quiz > li").first
    right = "ABCD"[item["choices"].index(item["answer"])]
    wrong = next(letter for letter in "ABCD" if letter != right)
    first.locator(f"label[for$='-{wrong}']").click()
    expect(first.locator(".aqa-no")).to_be_visible()
    expect(first.locator(".aqa-yes")).to_be_hidden()
    first.locator(f"label[for$='-{right}']").click()
    expect(first.locator(".aqa-yes")).to_be_visible()
    expect(first.locator(".aqa-no")).to_be_hidden()
    screenshot(page, "study-desktop")
    assert outside == [], "the page fetched from the network"
    page.close()


# WCAG 2 contrast ratio of every visible text element against its nearest opaque background.
_LOW_CONTRAST = """
() => {
  const rgb = (s) => s.match(/[\\d.]+/g).map(Number);
  const channel = (c) => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!text || !box.width || !box.height) continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color).slice(0, 3)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${ratio.toFixed(2)} ${el.tagName} "${el.textContent.trim().slice(0, 40)}"`);
  }
  return low;
}
"""


def test_text_on_the_page_has_readable_contrast(browser: Browser, base_url: str) -> None:
    page, _ = _open(browser, base_url + "/", DESKTOP)
    _ask_and_open_source(page, QUESTION)
    expect(page.locator("#aqa-mark")).to_be_visible()
    assert page.evaluate(_LOW_CONTRAST) == []
    for tab in ("Study", "Library"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(500)
        assert page.evaluate(_LOW_CONTRAST) == [], tab
    page.close()


def test_a_source_replaced_after_the_answer_is_not_highlighted_at_stale_offsets(
    browser: Browser, tmp_path: Path, seed: Document
) -> None:
    archive = open_archive(make_settings(tmp_path / "db"))
    with serving(build_app(archive)) as url:
        page, _ = _open(browser, url + "/", DESKTOP)
        page.get_by_label("Your question").fill(QUESTION)
        page.get_by_label("Your question").press("Enter")
        expect(page.locator("#aqa-chat a.aqa-cite").first).to_be_visible(timeout=60_000)
        # The telegram is replaced by an edited copy: the answer's offsets now point elsewhere.
        edited = seed.text.replace("**Contents:**", "**Contents:**\n\nAn editor's preface.", 1)
        archive.store.ingest(parse_document(edited, source=seed.source), replace=True)
        page.locator("#aqa-chat a.aqa-cite").first.click()
        expect(page.locator("#aqa-viewer-body")).to_contain_text(
            "This document has changed since the answer was given"
        )
        expect(page.locator("#aqa-mark")).to_have_count(0)
        page.close()


def test_an_llm_answer_appears_a_checked_sentence_at_a_time(
    browser: Browser, server: FakeOpenAI, llm_archive: Archive
) -> None:
    writing = writes_two_lines(server)
    try:
        with serving(build_app(llm_archive)) as url:
            page, _ = _open(browser, url + "/", DESKTOP)
            page.get_by_label("Your question").fill(QUESTION)
            page.get_by_label("Your question").press("Enter")
            chat = page.locator("#aqa-chat")
            expect(chat).to_contain_text(
                "Stalin was ready to send jet fighter planes.", timeout=60_000
            )
            expect(chat).to_contain_text("Writing the answer")
            expect(chat).not_to_contain_text("He would train pilots.")
            assert server.finished == 0  # the first sentence is shown while the model writes
            screenshot(page, "streaming-desktop")
            writing.set()
            expect(chat).to_contain_text("He would train pilots.", timeout=60_000)
            expect(chat).not_to_contain_text("Writing the answer")
            chat.locator('a.aqa-cite[href^="#aqa/2/"]').first.click()
            expect(page.locator("#aqa-mark")).to_have_text(TRAINING)
            page.close()
    finally:
        writing.set()


def test_the_embed_shows_a_documents_study_materials_in_an_iframe_on_another_origin(
    browser: Browser, base_url: str
) -> None:
    pack = study_pack(base_url, "document-110692")
    snippet = _readme_snippet("iframe-study", base_url)
    with serving(_course_page(snippet)) as host_url:
        page, outside = _open(browser, host_url + "/", DESKTOP)
        frame = page.frame_locator("iframe")
        expect(frame.get_by_role("heading", name="Week 3: the telegram")).to_be_visible(
            timeout=60_000
        )
        study = frame.locator("#aqa-embed-study")
        expect(study).to_contain_text("Study guide", timeout=120_000)
        for kind in ("Sourcing", "Context", "Close reading"):
            expect(study.locator("h4", has_text=kind)).to_be_visible()
        expect(frame.get_by_label("Your question")).to_be_hidden()  # chat=0
        offer = study.locator("details", has_text="What did Stalin offer?")
        offer.locator("summary").click()
        offer.locator("a.aqa-cite").first.click()
        answer = next(q for q in pack["guide"] if q["question"] == "What did Stalin offer?")
        expect(frame.locator("#aqa-mark")).to_have_text(answer["answer"]["citations"][0]["quote"])
        with page.expect_download() as sheet:
            study.get_by_role("link", name="PDF").click()
        assert sheet.value.suggested_filename == "document-110692-sheet.pdf"
        screenshot(page, "embed-study")
        assert outside == [], "the page fetched from the network"
        page.close()


def test_a_teacher_hides_and_adds_questions_and_downloads_the_key_on_the_study_tab(
    browser: Browser, tmp_path: Path
) -> None:
    archive = open_archive(make_settings(tmp_path / "db"))
    with serving(build_app(archive, admin_token="the-teachers-token")) as url:
        page, outside = _open(browser, url + "/", DESKTOP)
        study = _make_study_materials(page)
        expect(study).to_contain_text("What did Stalin offer?", timeout=120_000)
        page.get_by_text("For teachers").click()
        page.locator("#aqa-teacher-hidden").get_by_label("What did Stalin offer?").check()
        page.locator("#aqa-teacher-save").click()
        status = page.locator("#aqa-teacher-status")
        expect(status).to_contain_text("Not saved.")  # no token yet
        page.locator("#aqa-teacher-token input").fill("the-teachers-token")
        page.locator("#aqa-teacher-save").click()
        expect(status).to_contain_text("Saved: 1 hidden")
        expect(study).not_to_contain_text("What did Stalin offer?")
        page.locator("#aqa-teacher-add-question textarea").fill(
            "Who would train the Chinese pilots?"
        )
        page.locator("#aqa-teacher-add").click()
        expect(status).to_contain_text("Added with its cited answer", timeout=60_000)
        expect(study).to_contain_text("Who would train the Chinese pilots?")
        page.locator("#aqa-teacher-key").click()
        expect(status).to_contain_text("The key is ready.", timeout=60_000)
        expect(page.locator("a[href$='/document-110692-key.pdf']")).to_be_visible()
        expect(page.locator("a[href$='/document-110692-key.md']")).to_be_visible()
        screenshot(page, "study-teacher")
        assert outside == [], "the page fetched from the network"
        page.close()
