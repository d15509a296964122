"""Quote checking: only text that is really in the source is found, at its real offsets."""

from __future__ import annotations

from qa.citations import SNAP_SCORE, locate_quote, snap_quote

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


TELEGRAM = (
    "If you have made such a decision, then we are ready to send you a division of jet fighter "
    "planes—124 pieces for covering these troops. We intend to train Chinese pilots in two to "
    "three months with the help of our pilots."
)


def test_a_quote_with_a_changed_word_snaps_to_the_sources_own_words() -> None:
    snap = snap_quote("we are ready to send you a division of jet fighters", TELEGRAM)
    assert snap is not None and snap.score >= SNAP_SCORE
    assert TELEGRAM[snap.start : snap.end] == ("we are ready to send you a division of jet fighter")


def test_a_quote_about_something_else_is_not_close_enough_to_snap() -> None:
    snap = snap_quote("the Soviet Union will send five hundred tanks to Korea at once", TELEGRAM)
    assert snap is None or snap.score < SNAP_SCORE


def test_a_short_quote_is_never_snapped() -> None:
    assert snap_quote("a division of jet fighters", TELEGRAM) is None
