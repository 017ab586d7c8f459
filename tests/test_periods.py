"""Dates as people type them, and periods said back in words."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search.periods import UnreadableDate, in_words, read_period

D = date


@pytest.mark.parametrize(
    ("typed", "first", "last"),
    [
        ("1987", D(1987, 1, 1), D(1987, 12, 31)),
        ("1987-03", D(1987, 3, 1), D(1987, 3, 31)),
        ("1987-2", D(1987, 2, 1), D(1987, 2, 28)),
        ("1988-02", D(1988, 2, 1), D(1988, 2, 29)),
        ("1987-03-04", D(1987, 3, 4), D(1987, 3, 4)),
        ("March 1987", D(1987, 3, 1), D(1987, 3, 31)),
        ("march 1987", D(1987, 3, 1), D(1987, 3, 31)),
        ("  Mar   1987 ", D(1987, 3, 1), D(1987, 3, 31)),
        ("1987 March", D(1987, 3, 1), D(1987, 3, 31)),
        ("Sept 1987", D(1987, 9, 1), D(1987, 9, 30)),
        ("February 1988", D(1988, 2, 1), D(1988, 2, 29)),
        ("3 March 1987", D(1987, 3, 3), D(1987, 3, 3)),
        ("March 3, 1987", D(1987, 3, 3), D(1987, 3, 3)),
        ("3rd of March 1987", D(1987, 3, 3), D(1987, 3, 3)),
        ("1987/03/04", D(1987, 3, 4), D(1987, 3, 4)),
        ("25/12/1987", D(1987, 12, 25), D(1987, 12, 25)),
        ("12/25/1987", D(1987, 12, 25), D(1987, 12, 25)),
        ("4.4.1987", D(1987, 4, 4), D(1987, 4, 4)),
    ],
)
def test_a_date_names_the_period_it_gives(typed: str, first: date, last: date) -> None:
    assert read_period(typed) == (first, last)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("someday", "'someday' is not a date: try 1987, March 1987, 3 March 1987 or 1987-03-03"),
        ("March", "'March' has no year: try 1987, March 1987, 3 March 1987 or 1987-03-03"),
        ("Monday", "'Monday' has no year: try 1987, March 1987, 3 March 1987 or 1987-03-03"),
        ("12", "'12' has no year: try 1987, March 1987, 3 March 1987 or 1987-03-03"),
        ("3/4/1987", "'3/4/1987' could be 3 April or March 4: write 4 Mar 1987 or Apr 3 1987"),
        ("1987-13", "1987-13 is not a month"),
        ("1987-02-30", "'1987-02-30' is not a date (day is out of range for month)"),
        ("30 February 1987", "'30 February 1987' is not a date: try 1987, March 1987, 3 March 1987 or 1987-03-03"),
        ("1987 oil", "'1987 oil' is not a date: try 1987, March 1987, 3 March 1987 or 1987-03-03"),
        ("", "is empty"),
        ("9" * 70, "is not a date: try 1987, March 1987, 3 March 1987 or 1987-03-03"),
    ],
)  # fmt: skip
def test_what_is_not_a_date_says_why(typed: str, message: str) -> None:
    with pytest.raises(UnreadableDate) as e:
        read_period(typed)
    assert str(e.value) == message


@given(st.text(max_size=80))
def test_any_text_is_a_period_or_a_one_line_reason(text: str) -> None:
    try:
        first, last = read_period(text)
    except UnreadableDate as e:
        assert str(e) and "\n" not in str(e)
    else:
        assert first <= last


@given(st.dates(min_value=date(1000, 1, 1)))  # dateutil reads "0099" as 1999
def test_a_day_written_out_reads_back_as_itself(day: date) -> None:
    assert read_period(in_words(day, day)) == (day, day)
    assert read_period(day.isoformat()) == (day, day)


@pytest.mark.parametrize(
    ("lo", "hi", "words"),
    [
        (D(1987, 1, 1), D(1987, 12, 31), "1987"),
        (D(1986, 1, 1), D(1987, 12, 31), "1986 – 1987"),
        (D(1987, 4, 1), D(1987, 4, 30), "April 1987"),
        (D(1987, 3, 1), D(1987, 4, 30), "March – April 1987"),
        (D(1986, 12, 1), D(1987, 1, 31), "December 1986 – January 1987"),
        (D(1987, 3, 3), D(1987, 3, 17), "3–17 March 1987"),
        (D(1987, 3, 3), D(1987, 3, 3), "3 March 1987"),
        (D(1987, 3, 3), D(1987, 4, 17), "3 March – 17 April 1987"),
        (D(1986, 3, 3), D(1987, 4, 17), "3 March 1986 – 17 April 1987"),
        (D(1987, 3, 1), None, "from March 1987"),
        (D(1987, 1, 1), None, "from 1987"),
        (D(1987, 3, 3), None, "from 3 March 1987"),
        (None, D(1987, 12, 31), "until 1987"),
        (None, D(1987, 2, 28), "until February 1987"),
        (None, D(1987, 2, 3), "until 3 February 1987"),
        (None, None, ""),
    ],
)
def test_a_period_in_words(lo: date | None, hi: date | None, words: str) -> None:
    assert in_words(lo, hi) == words
