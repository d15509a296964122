"""Formatting: chat messages read back as plain text, whatever shape Gradio stored them in."""

from __future__ import annotations

from ui.format import message_text


def test_a_gradio_message_of_parts_reads_as_its_text() -> None:
    parts = [{"type": "text", "text": "What did Stalin offer?"}]
    assert message_text(parts) == "What did Stalin offer?"


def test_an_html_answer_reads_as_text_without_tags() -> None:
    reply = '<p>“We are ready” <sup><a href="#s1">[1]</a></sup> &amp; more</p>'
    assert message_text(reply) == "“We are ready”   [1]   & more"
