"""Dates as news pages write them."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from dateutil import parser as dateparser

__all__ = ["DATE_ORDERS", "DateOrder", "parse_date"]

#: How an ambiguous numeric date such as ``05/04/2023`` is read: day first or month first.
DateOrder = Literal["dmy", "mdy"]
DATE_ORDERS: tuple[str, ...] = ("dmy", "mdy")

_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|"
    "july|august|september|october|november|december"
)
_DATE_WITH_MONTH_NAME = re.compile(
    rf"^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})$",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]*)?$")


def parse_date(text: str) -> date | None:
    """Read a publication date written the ways news sites write them, or ``None``.

    Accepted: ``29 April 2023``, ``April 29, 2023``, ``29 Apr 2023``, ``2023-04-29``
    (optionally with a time), with an optional weekday in front. Numeric forms such as
    ``04/05/2023`` are refused: their day and month cannot be told apart.
    """
    s = text.strip()
    if not s or len(s) > 40:
        return None
    try:
        if _ISO_DATE.match(s):
            return date.fromisoformat(s[:10])
        if _DATE_WITH_MONTH_NAME.match(s):
            return dateparser.parse(s).date()
    except (ValueError, OverflowError):
        pass
    return None
