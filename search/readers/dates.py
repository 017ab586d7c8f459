"""Dates as news pages write them, and the label a page may put before one.

A page writes its dates in whatever form its template had that year: ``29 April 2023``,
``Sat, Apr. 29th, 2023 10:32 AM IST``, ``Published on 2023-04-29``, ``29/04/2023``. The
reader strips what is not the date (a label, a weekday, a time of day) and then reads
what is left by its shape, never by guessing:

* year first (``2023-04-29``, ``2023/04/29``, ``2023.04.29``) is always year-month-day;
* a month written as a word fixes the order whatever its position;
* an all-numeric day-month pair (``05/04/2023``) is read in the :data:`DateOrder` the
  caller gives (``dmy`` by default). A date that has only one valid reading
  (``04/29/2023``) is read that way; nothing else on the page overrides the setting.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

__all__ = ["DATE_ORDERS", "DateOrder", "parse_date", "read_labelled_date"]

#: How an ambiguous numeric date such as ``05/04/2023`` is read: day first or month first.
DateOrder = Literal["dmy", "mdy"]
DATE_ORDERS: tuple[str, ...] = ("dmy", "mdy")

_MONTH_NUMBERS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11,
    "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = "(?P<month>" + "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4}|'?\d{2})"
_SEP = r"[\s,./\-]*"

#: The labels a template puts before the publication date; ``updated`` is a different
#: date, recognised so that it is never taken for the headline nor for publication.
_LABEL = re.compile(
    r"^(?P<label>(?:first\s+|originally\s+)?published(?:\s+(?:on|at))?|posted(?:\s+on)?|"
    r"(?:last\s+)?updated(?:\s+on)?|modified|publication\s+date|pub(?:lished)?\.?\s+date|"
    r"date(?:d)?|on)\b\s*[:\-|]?\s*",
    re.IGNORECASE,
)
_WEEKDAY = re.compile(
    r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|rsday|urday)?\b\.?,?\s*",
    re.IGNORECASE,
)
_TIME = r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?\s?m\.?)?"
_ZONE = (
    r"(?:\s*\(?(?:[a-z]{1,5}|utc|gmt)(?:\s*[+-]\s*\d{1,2}(?::?\d{2})?)?\)?|\s*[+-]\d{2}:?\d{2}|z)?"
)
_TRAILING_TIME = re.compile(
    rf"(?:\s*(?:,|\bat\b|@|-|\||·|•)\s*|\s+|T){_TIME}{_ZONE}\s*$", re.IGNORECASE
)
_LEADING_TIME = re.compile(rf"^{_TIME}{_ZONE}\s*(?:,|\||·|•|-|\bon\b)?\s*", re.IGNORECASE)
_TRAILING_WEEKDAY = re.compile(
    r"[\s,(]+(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)"
    r"(?:day|nesday|sday|rsday|urday)?\.?\)?\s*$",
    re.IGNORECASE,
)

_FORMS = [
    re.compile(rf"^{_DAY}(?:\s+of)?{_SEP}{_MONTH}{_SEP}{_YEAR}$", re.IGNORECASE),
    re.compile(rf"^{_MONTH}{_SEP}{_DAY}[\s,./\-]+{_YEAR}$", re.IGNORECASE),
    re.compile(rf"^(?P<year>\d{{4}}){_SEP}{_MONTH}{_SEP}{_DAY}$", re.IGNORECASE),
]
_YMD = re.compile(r"^(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})$")
_COMPACT_YMD = re.compile(r"^(?P<year>(?:19|20)\d{2})(?P<month>[01]\d)(?P<day>[0-3]\d)$")
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})$")


def _year(text: str) -> int:
    y = int(text.lstrip("'"))
    if len(text.lstrip("'")) == 2:  # POSIX's pivot for two-digit years
        y += 2000 if y < 69 else 1900
    return y


def _make(year: int, month: int, day: int) -> date | None:
    if not 1000 <= year <= 9999:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _core(text: str) -> str:
    """The date itself: a weekday and a time of day, before or after it, removed."""
    s = text.strip().strip("()[]")
    for _ in range(2):  # "Sat, 10:32 AM, 29 April 2023" and similar orders
        s = _LEADING_TIME.sub("", s, count=1)
        s = _WEEKDAY.sub("", s, count=1)
    s = _TRAILING_TIME.sub("", s, count=1)
    s = _TRAILING_WEEKDAY.sub("", s, count=1)
    s = _TRAILING_TIME.sub("", s, count=1)
    return s.strip(" ,.-|·•")


def parse_date(text: str, order: DateOrder = "dmy") -> date | None:
    """Read one date (a whole string, with an optional weekday and time of day), or ``None``.

    >>> parse_date("Saturday, 29th April 2023 10:32 AM IST")
    datetime.date(2023, 4, 29)
    >>> parse_date("05/04/2023"), parse_date("05/04/2023", "mdy")
    (datetime.date(2023, 4, 5), datetime.date(2023, 5, 4))
    """
    s = text.strip()
    if not s or len(s) > 60 or not any(c.isdigit() for c in s):
        return None
    s = _core(s.replace("\u00a0", " "))
    for form in _FORMS:
        m = form.match(s)
        if m:
            month = _MONTH_NUMBERS[m.group("month").lower()]
            return _make(_year(m.group("year")), month, int(m.group("day")))
    m = _YMD.match(s) or _COMPACT_YMD.match(s)
    if m:
        return _make(int(m.group("year")), int(m.group("month")), int(m.group("day")))
    m = _NUMERIC.match(s)
    if m:
        a, b, year = int(m.group("a")), int(m.group("b")), _year(m.group("year"))
        day, month = (a, b) if order == "dmy" else (b, a)
        # The setting decides; a date with a single valid reading is read that way.
        return _make(year, month, day) or _make(year, day, month)
    return None


def read_labelled_date(text: str, order: DateOrder = "dmy") -> tuple[str, date] | None:
    """A line that is a date, with the label before it if any (lower case, ``""`` if none).

    >>> read_labelled_date("Published on: April 29, 2023")
    ('published on', datetime.date(2023, 4, 29))
    """
    s = text.strip()
    label = ""
    m = _LABEL.match(s)
    if m and m.end() < len(s):
        label = " ".join(m.group("label").lower().split())
        s = s[m.end() :]
    d = parse_date(s, order)
    if d is None:
        return None
    return label, d
