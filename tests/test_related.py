"""A refusal that points: the passages closest to a question the sources do not answer, shown as
"related passages, not an answer", checked like citations and never presented as support."""

from __future__ import annotations

from qa.answer import Answer, abstention, cite
from qa.assembly import Archive
from qa.citations import verify_answer
from ui.format import RELATED_HEADING, answer_as_html, answer_as_text
from vectorstore.documents import Document


def _refusal_pointing_to(seed: Document, *phrases: str) -> Answer:
    related = []
    for n, phrase in enumerate(phrases, start=1):
        start = seed.text.index(phrase)
        related.append(cite(seed, start, start + len(phrase), n=n))
    refusal = abstention("Did China decide to deploy nine divisions?", "extractive")
    return refusal.model_copy(update={"related": related})


def test_a_refusal_keeps_its_related_passages_only_where_they_are_verbatim(seed: Document) -> None:
    refusal = _refusal_pointing_to(seed, "nine Chinese divisions", "124 pieces")
    forged = refusal.related[1].model_copy(update={"quote": "125 pieces"})
    refusal = refusal.model_copy(update={"related": [refusal.related[0], forged]})
    checked = verify_answer(refusal, {seed.id: seed})
    assert checked.abstained
    assert [r.quote for r in checked.related] == ["nine Chinese divisions"]


def test_the_terminal_shows_related_passages_apart_from_any_answer(seed: Document) -> None:
    shown = answer_as_text(_refusal_pointing_to(seed, "nine Chinese divisions"))
    refusal, related = shown.split(RELATED_HEADING)
    assert refusal.startswith("I can't answer that")
    assert '(1) "nine Chinese divisions"' in related and "Fond 45" in related
    assert "[1]" not in shown  # not numbered as a citation


def test_the_page_links_related_passages_to_the_viewer_but_not_as_sources(seed: Document) -> None:
    page = answer_as_html(_refusal_pointing_to(seed, "nine Chinese divisions"))
    assert "<strong>No answer.</strong>" in page
    assert f"{RELATED_HEADING}:" in page and 'class="aqa-related"' in page
    start = seed.text.index("nine Chinese divisions")
    assert f'href="#aqa/r1/{start}/{start + 22}/{seed.id}"' in page
    assert "Related passage 1, not an answer" in page
    assert "Source 1" not in page


def test_an_answer_the_telegram_does_not_give_is_refused_with_what_it_does_say(
    archive: Archive,
) -> None:
    answer = archive.ask("Did China decide to deploy nine divisions?")
    assert answer.abstained and not answer.citations
    assert answer.related, "the refusal points to the nearest passages"
    for passage in answer.related:
        assert archive.text_of(passage.document_id)[passage.start : passage.end] == passage.quote


def test_a_question_about_nothing_in_the_documents_points_to_nothing(archive: Archive) -> None:
    answer = archive.ask("What is the recipe for borscht?")
    assert answer.abstained and answer.related == []
