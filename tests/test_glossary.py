"""The glossary and the timeline as a student reads them: names typed and identified by the
record itself, one entry a name, no fragments, every quote verbatim, dated events once each."""

from __future__ import annotations

import re
from pathlib import Path

from qa.answer import Citation
from qa.study.glossary import GlossaryEntry, glossary, timeline
from tests.conftest import FRUS
from vectorstore.documents import Document, load_document, parse_document

TELEGRAM = Path(__file__).resolve().parents[1] / "vectorstore" / "data" / "000_75e4e0694aac02d8.txt"
CORPUS = sorted(FRUS.parent.rglob("*.txt"))


def _entry(entries: list[GlossaryEntry], term: str) -> GlossaryEntry:
    return next(e for e in entries if e.term == term or term in e.variants)


def _verbatim(document: Document, citation: Citation) -> bool:
    return document.text[citation.start : citation.end] == citation.quote


def test_a_consul_is_a_person_identified_by_the_editors_footnote() -> None:
    record = load_document(FRUS / "0034.txt")
    clough = _entry(glossary(record), "Ralph Clough")
    assert clough.kind == "person"
    assert clough.identification is not None
    assert clough.identification.quote == "Ralph N. Clough, Consul at Hong Kong."
    assert _verbatim(record, clough.identification)
    footnotes = next(s for s in record.sections if s.name == "Footnotes")
    assert footnotes.start <= clough.identification.start < footnotes.end


def test_the_forms_of_a_name_are_one_entry_under_its_fullest() -> None:
    entries = glossary(load_document(FRUS / "0008.txt"))
    koo = [e for e in entries if "Koo" in e.term or any("Koo" in v for v in e.variants)]
    assert len(koo) == 1
    assert koo[0].term.endswith("Wellington Koo") and koo[0].kind == "person"
    assert {"Koo", "Ambassador Koo"} <= set(koo[0].variants)


def test_the_telegrams_glossary_has_the_people_its_title_names() -> None:
    entries = glossary(load_document(TELEGRAM))
    kinds = {e.term: e.kind for e in entries}
    assert kinds["Zhou Enlai"] == kinds["Mao Zedong"] == "person"
    assert kinds["Roshchin"] == kinds["Stalin"] == "person"
    # The pseudonym is the man behind it: one entry, "FILIPPOV [Stalin]" quoted.
    stalin = _entry(entries, "Stalin")
    assert stalin.variants == ["Filippov"] and stalin.source.quote == "FILIPPOV [Stalin]"
    assert "Filippov" not in kinds


def test_an_abbreviation_is_expanded_by_the_records_own_words() -> None:
    record = load_document(FRUS / "0005.txt")
    cincfe = _entry(glossary(record), "CINCFE")
    assert cincfe.expansion is not None and _verbatim(record, cincfe.expansion)
    assert cincfe.expansion.quote == "Commander in Chief Far East"
    telegram = load_document(FRUS / "0046.txt")
    fonoff = _entry(glossary(telegram), "FonOff")
    assert fonoff.kind == "organisation"
    assert fonoff.expansion is not None and fonoff.expansion.quote == "Foreign Office"


# A piece of a sentence taken for a name: a possessive, an opening or routing word before it, a
# connective or a month after it, telegraphese.
_FRAGMENT = re.compile(
    r"['’]s$|^(?:Sent|Unless|Re|Ref|Recommend|Referring|Even|Although|Therefore|Please)\b|"
    r"\b(?:of|for|the|and)$|\s(?:January|February|March|April|June|July|August|September|"
    r"October|November|December)\b|\sfor\s+[A-Z]{2,}$|^(?:Dep|Emb|Ur|My)(?:tel|instr|off)s?$"
)


def test_no_glossary_name_across_the_corpus_is_a_fragment_of_a_sentence() -> None:
    names = [e.term for path in CORPUS for e in glossary(load_document(path)) if e.kind != "date"]
    assert len(names) > 1000
    assert [n for n in names if _FRAGMENT.search(n)] == []
    for fragment in ("Sent Department", "Unless the British", "Formosa for FY", "Depinstr"):
        assert fragment not in names


def test_most_names_across_the_corpus_are_typed() -> None:
    kinds = [e.kind for path in CORPUS for e in glossary(load_document(path)) if e.kind != "date"]
    # Untyped names: 38% before the record's footnotes, titles and datelines were read.
    assert kinds.count("other") / len(kinds) < 0.15


def test_every_glossary_quote_is_verbatim_and_short() -> None:
    for path in [TELEGRAM, *CORPUS[:30]]:
        record = load_document(path)
        for entry in glossary(record):
            quotes = [entry.source, entry.identification, entry.expansion]
            for citation in (c for c in quotes if c is not None):
                assert _verbatim(record, citation), (path.name, entry.term)
            assert len(entry.source.quote.split()) <= 40, (path.name, entry.term)


def test_a_timeline_has_the_dates_of_the_text_and_of_the_editors_footnotes() -> None:
    record = load_document(FRUS / "0001.txt")
    entries = timeline([record])
    dates = [e.date for e in entries]
    assert dates == sorted(dates)
    invaded = next(e for e in entries if e.date == "1950-06-25")
    assert not invaded.editors and "25 June 1950" in invaded.source.quote
    jessup = next(e for e in entries if e.date == "1950-06-26")
    assert jessup.editors and "Jessup" in jessup.source.quote
    footnotes = next(s for s in record.sections if s.name == "Footnotes")
    assert footnotes.start <= jessup.source.start < footnotes.end
    for entry in entries:
        assert _verbatim(record, entry.source)
        assert entry.editors == (entry.source.start >= footnotes.start)


def test_a_timeline_shows_each_record_on_its_own_date_once() -> None:
    records = [load_document(TELEGRAM), load_document(FRUS / "0001.txt")]
    entries = timeline(records + records)
    keys = [(e.date, e.source.document_id, e.source.start) for e in entries]
    assert len(keys) == len(set(keys))
    telegram = [e for e in entries if e.source.document_id == records[0].id]
    assert [e.date for e in telegram] == ["1950-07-13"]  # its title, not again at "13.7.50"
    assert [e.date for e in entries].count("1951-01-02") == 1  # not again at its dateline


def test_a_yearless_date_takes_the_year_of_its_record() -> None:
    record = load_document(FRUS / "0008.txt")  # January 18, 1951: "since June 27" is 1950
    june = next(e for e in timeline([record]) if "since June 27" in e.source.quote)
    assert june.date == "1950-06-27" and june.inferred_year


def test_a_telegrams_day_month_year_date_is_read() -> None:
    note = parse_document("The order of 14.7.50 was cancelled on 16 July.\n", source="note.txt")
    entries = timeline([note])
    assert [e.date for e in entries] == ["1950-07-14"]  # no year to give "16 July": left out
    assert entries[0].source.quote == "The order of 14.7.50 was cancelled on 16 July."


def test_a_countrys_adjective_is_no_name_of_its_own() -> None:
    kinds = {e.term: e.kind for e in glossary(load_document(FRUS / "0007.txt"))}
    assert "Thai" not in kinds  # "Consult with Thai authorities"
    assert kinds["Thailand"] == "place"
