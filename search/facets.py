"""Filters and facet counts over the columns: years, months, days, sections, metadata.

Every filter (a date range, sections, metadata values) narrows the matching document
numbers with the snapshot's columns, and every facet is counted with one
:func:`numpy.bincount` over a column indexed by the matches, however many there are
(a per-value intersection of Python sets cost the same work once per month, section
and topic). A facet with values chosen counts the matches of every other filter: its
values are alternatives, so the counts say what choosing one more would add.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from search.backends.whoosh.store import Snapshot
from search.docsets import EMPTY, Ids
from search.layout import day_date, day_number
from search.periods import in_words
from search.request import MAX_TAG_VALUES, TAG_KINDS
from search.results import FacetCount

__all__ = ["Selection", "count", "filters", "in_period", "mask_of", "narrowed"]

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Selection:
    """What a search's facets count."""

    #: Every match of the query and all its filters.
    ids: Ids
    #: For each filter in force, the matches of all the others.
    facet_ids: Mapping[str, Ids] = field(default_factory=dict)
    #: The matches of every filter but the dates.
    undated: Ids = field(default_factory=lambda: EMPTY)
    #: The chosen values of each filter ("section", "topic", ...).
    chosen: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None


def mask_of(ids: Ids, snap: Snapshot) -> Mask:
    """A true/false array over every document number: true at ``ids``."""
    out = np.zeros(snap.doc_count_all, dtype=bool)
    out[ids] = True
    return out


# --------------------------------------------------------------------- filtering


def in_period(ids: Ids, snap: Snapshot, lo: date | None, hi: date | None) -> Ids:
    """The documents of ``ids`` published from ``lo`` to ``hi`` (either may be open)."""
    if lo is None and hi is None:
        return ids
    days = snap.day[ids]
    keep = np.ones(len(ids), dtype=bool)
    if lo is not None:
        keep &= days >= day_number(lo)
    if hi is not None:
        keep &= days <= day_number(hi)
    return ids[keep]


def filters(
    snap: Snapshot, sections: tuple[str, ...], tags: Mapping[str, tuple[str, ...]]
) -> dict[str, Mask]:
    """Each filter in force as the documents it lets through (any of its values)."""
    out: dict[str, Mask] = {}
    if sections:
        names = snap.section_names
        wanted = [names.index(s) for s in sections if s in names]
        out["section"] = np.isin(snap.section, wanted)
    for kind, values in tags.items():
        allowed = np.zeros(snap.doc_count_all, dtype=bool)
        tag = snap.tags.get(kind)
        if tag is not None:
            for value in values:
                allowed[tag.members(value, None)] = True
        out[kind] = allowed
    return out


def narrowed(ids: Ids, chosen: Mapping[str, Mask], leave_out: str = "") -> Ids:
    """``ids`` within every chosen filter but ``leave_out``."""
    for kind, allowed in chosen.items():
        if kind != leave_out and len(ids):
            ids = ids[allowed[ids]]
    return ids


# ------------------------------------------------------------------------ counts


def _value_counts(values: npt.NDArray[np.int32]) -> dict[int, int]:
    """How many times each value occurs (values that occur only)."""
    if not len(values):
        return {}
    low = int(values.min())
    counts = np.bincount(values - low)
    nonzero = np.flatnonzero(counts)
    return dict(zip((nonzero + low).tolist(), counts[nonzero].tolist(), strict=True))


def count(
    snap: Snapshot, sel: Selection, facet_size: int = MAX_TAG_VALUES
) -> dict[str, list[FacetCount]]:
    """The counts of every facet. With a date filter the years count every year, the
    months every month of the years it touches, and when it lies within one month, the
    days of that month are counted too."""
    ids, lo, hi = sel.ids, sel.date_from, sel.date_to
    undated = sel.undated if (lo or hi) else ids
    months = snap.ym[undated]
    by_ym = _value_counts(months)
    by_year: dict[int, int] = {}
    for ym, n in by_ym.items():
        by_year[ym // 100] = by_year.get(ym // 100, 0) + n
    if lo or hi:
        first, last = (lo.year if lo else 0) * 100, (hi.year if hi else 9999) * 100 + 99
        by_ym = {ym: n for ym, n in by_ym.items() if first <= ym <= last}
    days: list[FacetCount] = []
    if lo and hi and (lo.year, lo.month) == (hi.year, hi.month):
        in_month = undated[months == lo.year * 100 + lo.month]
        for d, n in sorted(_value_counts(snap.day[in_month]).items()):
            when = day_date(d)
            days.append(FacetCount(when.isoformat(), n, in_words(when, when)))
    names = snap.section_names
    section_ids = sel.facet_ids.get("section", ids)
    if len(names) == 1:
        by_section = {0: len(section_ids)}  # one value for all (often "": none)
    else:
        by_section = _value_counts(snap.section[section_ids])
    sections = sorted(
        ((names[s], n) for s, n in by_section.items() if names[s]), key=lambda x: (-x[1], x[0])
    )
    out = {
        "year": [FacetCount(str(y), n) for y, n in sorted(by_year.items())],
        "month": [
            FacetCount(f"{ym // 100:04d}-{ym % 100:02d}", n, _month_words(ym))
            for ym, n in sorted(by_ym.items())
        ],
        "day": days,
        "section": _with_chosen(
            [FacetCount(s, n) for s, n in sections], sel.chosen.get("section", ()), {}
        ),
    }
    labels = snap.labels
    masks: dict[int, Mask] = {}  # one per set counted (most kinds count the matches)
    for kind in TAG_KINDS:
        named = labels.get(kind, {})
        counted = sel.facet_ids.get(kind, ids)
        if id(counted) not in masks:
            masks[id(counted)] = mask_of(counted, snap)
        counts = _tag_counts(snap, kind, counted, masks[id(counted)])
        listed = _with_chosen(
            [FacetCount(v, n) for v, n in _top(counts, facet_size)],
            sel.chosen.get(kind, ()),
            counts,
        )
        out[kind] = [FacetCount(c.value, c.count, named.get(c.value, "")) for c in listed]
    return out


def _tag_counts(snap: Snapshot, kind: str, ids: Ids, chosen: Mask) -> dict[str, int]:
    """How many of ``ids`` (``chosen``, as a mask) have each value of one metadata kind
    (values with any)."""
    tag = snap.tags.get(kind)
    if tag is None or not len(ids) or not len(tag.values):
        return {}
    counts = tag.counts(chosen)
    nonzero = np.flatnonzero(counts)
    return {
        tag.values[i]: n for i, n in zip(nonzero.tolist(), counts[nonzero].tolist(), strict=True)
    }


def _top(counts: dict[str, int], limit: int) -> list[tuple[str, int]]:
    """The ``limit`` most frequent values, largest first (ties: by value)."""
    return sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:limit]


def _with_chosen(
    counts: list[FacetCount], chosen: tuple[str, ...], all_counts: Mapping[str, int]
) -> list[FacetCount]:
    """``counts`` with every chosen value in it (after the others, if it was not)."""
    listed = {c.value for c in counts}
    return counts + [FacetCount(v, all_counts.get(v, 0)) for v in chosen if v not in listed]


def _month_words(ym: int) -> str:
    return f"{calendar.month_name[ym % 100]} {ym // 100:04d}"
