"""Periods of time as people write them: dates typed into From and To, and a filter's
period said back in words ("April 1987", "3–17 March 1987").

A date names a period as long as what it gives: ``1987`` is a year, ``March 1987`` or
``1987-03`` a month, ``3 March 1987`` a day. From takes the period's first day and To its
last, so ``from=March 1987&to=March 1987`` is the whole month. Anything python-dateutil
reads is accepted (``Mar 1987``, ``March 3, 1987``, ``1987/03/03``, ``25/12/1987``), with
three refusals a reader would want: no year (``March``, ``Monday``: which one?), a day
without a month, and a numeric date whose day and month could be either way round
(``3/4/1987``: 3 April or March 4?).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

from dateutil import parser as dateutil_parser

__all__ = ["UnreadableDate", "in_words", "read_period"]

_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
#: Longer text is not a date (and dateutil's time is not spent on it).
MAX_DATE_CHARS = 60
EXAMPLES = "1987, March 1987, 3 March 1987 or 1987-03-03"


class UnreadableDate(ValueError):
    """What was typed is not a date; the message says why, for the reader."""


def read_period(value: str) -> tuple[date, date]:
    """The first and last day of the period ``value`` names (see the module's doc)."""
    text = " ".join(value.split())
    if not text:
        raise UnreadableDate("is empty")
    if len(text) > MAX_DATE_CHARS:
        raise UnreadableDate(f"is not a date: try {EXAMPLES}")
    iso = _ISO.match(text)
    if iso:
        return _iso_period(text, iso)
    numeric = _NUMERIC.match(text)
    if numeric:
        a, b = int(numeric.group(1)), int(numeric.group(2))
        if a != b and a <= 12 and b <= 12:
            year = numeric.group(3)
            raise UnreadableDate(
                f"{text!r} could be {a} {calendar.month_name[b]} or {calendar.month_name[a]} "
                f"{b}: write {b} {calendar.month_abbr[a]} {year} or {calendar.month_abbr[b]} "
                f"{a} {year}"
            )
    try:
        # What the text leaves out is filled from the default: parsed against two
        # defaults that differ in every part, a part that comes out the same was given.
        one = dateutil_parser.parse(text, default=datetime(2000, 1, 1))
        two = dateutil_parser.parse(text, default=datetime(2001, 2, 2))
    except (ValueError, OverflowError):
        raise UnreadableDate(f"{text!r} is not a date: try {EXAMPLES}") from None
    if one.year != two.year:
        raise UnreadableDate(f"{text!r} has no year: try {EXAMPLES}")
    day_given, month_given = one.day == two.day, one.month == two.month
    if not month_given:
        if day_given:
            raise UnreadableDate(f"{text!r} has a day but no month: try {EXAMPLES}")
        return date(one.year, 1, 1), date(one.year, 12, 31)
    if not day_given:
        return _month(one.year, one.month)
    return one.date(), one.date()


def _iso_period(text: str, m: re.Match[str]) -> tuple[date, date]:
    year = int(m.group(1))
    try:
        if m.group(2) is None:
            return date(year, 1, 1), date(year, 12, 31)
        month = int(m.group(2))
        if m.group(3) is None:
            return _month(year, month)
        day = date(year, month, int(m.group(3)))
    except UnreadableDate:
        raise
    except ValueError as e:
        raise UnreadableDate(f"{text!r} is not a date ({e})") from None
    return day, day


def _month(year: int, month: int) -> tuple[date, date]:
    if not 1 <= month <= 12:
        raise UnreadableDate(f"{year:04d}-{month:02d} is not a month")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _is_year_start(d: date) -> bool:
    return d.month == 1 and d.day == 1


def _is_year_end(d: date) -> bool:
    return d.month == 12 and d.day == 31


def _is_month_end(d: date) -> bool:
    return d.day == calendar.monthrange(d.year, d.month)[1]


def _year(d: date) -> str:
    return f"{d.year:04d}"  # "0099", not "99": a two-digit year reads as 1999


def _day(d: date, year: bool = True) -> str:
    text = f"{d.day} {calendar.month_name[d.month]}"
    return f"{text} {_year(d)}" if year else text


def in_words(lo: date | None, hi: date | None) -> str:
    """A period in words, as shown on a filter's chip: ``1987``, ``April 1987``,
    ``3–17 March 1987``, ``March – April 1987``, ``from March 1987``."""
    if lo is None and hi is None:
        return ""
    if hi is None:
        assert lo is not None
        return f"from {_start(lo)}"
    if lo is None:
        return f"until {_end(hi)}"
    if lo > hi:
        lo, hi = hi, lo
    whole_months = lo.day == 1 and _is_month_end(hi)
    if _is_year_start(lo) and _is_year_end(hi):
        return _year(lo) if lo.year == hi.year else f"{_year(lo)} – {_year(hi)}"
    if whole_months:
        if (lo.year, lo.month) == (hi.year, hi.month):
            return f"{calendar.month_name[lo.month]} {lo.year}"
        if lo.year == hi.year:
            return f"{calendar.month_name[lo.month]} – {calendar.month_name[hi.month]} {lo.year}"
        return (
            f"{calendar.month_name[lo.month]} {lo.year} – {calendar.month_name[hi.month]} {hi.year}"
        )
    if lo == hi:
        return _day(lo)
    if (lo.year, lo.month) == (hi.year, hi.month):
        return f"{lo.day}–{_day(hi)}"
    if lo.year == hi.year:
        return f"{_day(lo, year=False)} – {_day(hi)}"
    return f"{_day(lo)} – {_day(hi)}"


def _month_words(d: date) -> str:
    return f"{calendar.month_name[d.month]} {_year(d)}"


def _start(d: date) -> str:
    if _is_year_start(d):
        return _year(d)
    return _month_words(d) if d.day == 1 else _day(d)


def _end(d: date) -> str:
    if _is_year_end(d):
        return _year(d)
    return _month_words(d) if _is_month_end(d) else _day(d)
