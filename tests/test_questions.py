"""Reading a question: names (with their synonyms) and the kind of answer wanted."""

from __future__ import annotations

import pytest

from qa.questions import Expectation, read_question


@pytest.mark.parametrize(
    ("question", "expects"),
    [
        ("How many jet fighters were offered?", Expectation.NUMBER),
        ("How old was Dr. Wallace?", Expectation.NUMBER),
        ("How much money did the USSR lend China in 1950?", Expectation.MONEY),
        ("How long would the training take?", Expectation.DURATION),
        ("When was the telegram sent?", Expectation.TIME),
        ("In what year did the war end?", Expectation.TIME),
        ("Who would train the Chinese pilots?", None),
    ],
)
def test_the_wording_says_what_kind_of_fact_is_wanted(
    question: str, expects: Expectation | None
) -> None:
    assert read_question(question).expects is expects


def test_a_number_already_in_the_question_or_a_list_number_does_not_answer_it() -> None:
    question = read_question("How many divisions were there in 1950?")
    assert not question.is_answered_by_kind("4. The divisions arrived in 1950.")
    assert question.is_answered_by_kind("Nine divisions arrived in 1950.")
    assert question.is_answered_by_kind("There were 124 divisions.")


def test_a_sum_of_money_needs_a_currency() -> None:
    question = read_question("How much money did the USSR lend China?")
    assert not question.is_answered_by_kind("One third of China's imports come from the USSR.")
    assert question.is_answered_by_kind("The USSR lent China $300 million.")


def test_names_are_found_by_any_word_or_synonym() -> None:
    (union,) = read_question("What did the Soviet Union plan?").names
    assert union.text == "Soviet Union"
    assert union.found_in({"ussr", "moscow"})
    assert not union.found_in({"china"})
    # "United" stems to "unit", kin of "troops" among the record type's words; a name is not
    # found by those.
    (states,) = read_question("What did the United States ambassador tell Stalin?").names[:1]
    assert states.text == "United States"
    assert not states.found_in({"troop", "divis"})


def test_a_nationality_alone_is_not_a_name_the_documents_must_contain() -> None:
    question = read_question("What did the Soviets think of the American material?")
    assert question.names == ()


def test_a_count_of_one_thing_is_not_a_count_of_another() -> None:
    question = read_question("How many tanks did the Soviet Union send?")
    assert not question.is_answered_by_kind("We are ready to send 124 jet fighter planes.")
    assert question.is_answered_by_kind("They sent 300 tanks.")


def test_the_number_must_count_what_is_asked_about() -> None:
    question = read_question("How many Soviet pilots flew over Korea?")
    assert not question.is_answered_by_kind("We train Chinese pilots in two to three months.")
    assert question.is_answered_by_kind("About 300 Soviet pilots flew there.")


def test_how_long_is_answered_by_a_length_with_or_without_a_number() -> None:
    question = read_question("How long should the Seventh Fleet mission continue?")
    assert question.is_answered_by_kind("It will take two to three months.")
    assert question.is_answered_by_kind("It should continue for an indefinite period of time.")
    assert not question.is_answered_by_kind("The mission should continue.")


def test_where_wants_a_place_the_question_does_not_already_name() -> None:
    question = read_question("Where did the English make their appeal?")
    assert question.expects is Expectation.PLACE
    assert question.is_answered_by_kind("They appealed through their ambassador in Moscow.")
    assert question.is_answered_by_kind("He died in prison.")
    assert not question.is_answered_by_kind("We consider the demand by the English unacceptable.")
    assert not question.is_answered_by_kind("It arrived in February.")
    visited = read_question("Where did the commander of the Seventh Fleet go on 22 February?")
    assert visited.is_answered_by_kind("On 22 Feb Com 7th Flt visited Chinese Naval base Tsoying.")
    assert not visited.is_answered_by_kind("Com 7th Flt visited briefly and left.")


def test_why_wants_a_reason() -> None:
    why = read_question("Why did the Soviets not reply to the Indian ambassador?")
    assert why.is_answered_by_kind("We decided not to answer him, since it was his own opinion.")
    assert not why.is_answered_by_kind("The Indian ambassador made a statement.")


def test_a_footnote_marker_is_not_a_figure() -> None:
    old = read_question("How old was Dr. Wallace?")
    assert not old.is_answered_by_kind("getting the Chinese Communists to release Dr. Wallace,[2]")
    assert old.is_answered_by_kind("He was only 42 years old.")


def test_a_hyphenated_name_stays_one_name() -> None:
    question = read_question("How did Chou En-lai reply to Nehru's message?")
    assert [n.text for n in question.names] == ["Chou En-lai", "Nehru"]


def test_a_year_is_something_the_documents_must_mention() -> None:
    (year,) = read_question("How much money did the USSR lend China in 1950?").names
    assert year.text == "1950"
    assert year.found_in({"juli", "13", "1950"})
    assert not year.found_in({"1901", "tariff"})


def test_since_gives_a_reason_before_a_clause_and_a_time_before_a_noun() -> None:
    why = read_question("Why did they want no publicity?")
    assert why.is_answered_by_kind("We decided not to answer him, since they made it clear.")
    assert not why.is_answered_by_kind("The first such case since current hate campaign began.")
