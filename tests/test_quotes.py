"""Quote checking: only text that is really in the source is found, at its real offsets."""

from __future__ import annotations

from qa.quotes import locate_quote

SOURCE = "We consider such a demand by the English\n  to be “impertinent” and unacceptable."


def test_a_quote_copied_with_other_whitespace_and_quote_marks_is_found() -> None:
    found = locate_quote('"such a demand by the English to be "impertinent" and"', SOURCE)
    assert found is not None
    assert SOURCE[found[0] : found[1]] == "such a demand by the English\n  to be “impertinent” and"


def test_ellipses_at_the_ends_are_ignored() -> None:
    found = locate_quote("...and unacceptable.", SOURCE)
    assert found is not None
    assert SOURCE[found[0] : found[1]] == "and unacceptable"


def test_a_fabricated_quote_is_not_found() -> None:
    assert locate_quote("We consider such a demand to be reasonable", SOURCE) is None


def test_a_quote_too_short_to_verify_anything_is_refused() -> None:
    assert locate_quote("the", SOURCE) is None
