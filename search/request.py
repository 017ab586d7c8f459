"""What a search asks for, as one value checked once: :class:`SearchRequest`.

The page, the JSON API, the feed, the export and the CLI each read their parameters
their own way (query strings, options) and make a SearchRequest of them with
:meth:`SearchRequest.of`; ``search``, ``find_matches`` and ``export`` take that value,
so the checks and their messages are written once, here. A bad parameter raises
:class:`InvalidParameter` naming it (the web answers 400, the CLI one line).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from search.errors import InvalidParameter
from search.periods import UnreadableDate, read_period
from search.query_text import limit_problem
from search.records import TAG_FIELDS

__all__ = [
    "HALF_LIFE_DAYS",
    "MATCH_MODES",
    "MAX_FACET_SIZE",
    "MAX_FILTER_VALUES",
    "MAX_HALF_LIFE_DAYS",
    "MAX_PER_PAGE",
    "MAX_RESULT_WINDOW",
    "MAX_TAG_VALUES",
    "SORTS",
    "TAG_KINDS",
    "TAG_KIND_OF",
    "TAG_NAMES",
    "FilterValues",
    "SearchRequest",
    "filter_values",
]

#: How the bare words of a query combine: every word required (the default), or any of
#: them, ranked by how many and how rare (Elasticsearch's ``operator``, Meilisearch's
#: ``matchingStrategy``). Phrases, ``AND``/``OR`` and fields work in both; in "any" an
#: exclusion (``-word``, ``NOT word``) applies to the whole group it stands in, as a
#: bool query's ``must_not`` does (search.backends.whoosh.parsing).
MATCH_MODES = ("all", "any")
#: "recent" is relevance decayed by age: a slightly less relevant new article can
#: overtake an old one (see ``half_life``).
SORTS = ("relevance", "recent", "newest", "oldest")
#: The default half-life of "recent": an article a year older than the newest in the
#: index counts half as much as an equally relevant new one.
HALF_LIFE_DAYS = 365.0
MAX_HALF_LIFE_DAYS = 100 * 366.0
MAX_PER_PAGE = 100
#: No page may reach past this many results (like Elasticsearch's max_result_window).
MAX_RESULT_WINDOW = 10_000
#: The metadata facets (where the source has them: Reuters-21578 does), as filter names.
TAG_KINDS = tuple(kind for kind, _ in TAG_FIELDS)
#: Each metadata facet by the name of its field in an article ("place" -> "places"): the
#: one name the JSON (facets, filters, articles, exports) and the URLs use. Its kind
#: ("place") is accepted in parameters too.
TAG_NAMES = dict(TAG_FIELDS)
#: A facet's kind by either of its names ("places" or "place" -> "place").
TAG_KIND_OF = {**{kind: kind for kind in TAG_KINDS}, **{name: kind for kind, name in TAG_FIELDS}}
#: Values listed per metadata facet by default (the most frequent among the matches);
#: ``facet_size`` asks for up to MAX_FACET_SIZE.
MAX_TAG_VALUES = 20
MAX_FACET_SIZE = 500
#: A filter (``section`` or a metadata facet) takes at most this many values at once.
MAX_FILTER_VALUES = 50

#: A filter's values as given: one string, or several (any of them matches).
FilterValues = str | Iterable[str] | None

_NO_TAGS: Mapping[str, tuple[str, ...]] = MappingProxyType({})


@dataclass(frozen=True)
class SearchRequest:
    """One search: its query, filters, order, page and options, every one checked.

    Make one with :meth:`of` from parameters as given (strings, one value or several);
    the constructor takes them already read and checks them again.
    """

    #: The query text, in the query language (README); read leniently, never refused
    #: but for its size.
    query: str = ""
    #: How its bare words combine (one of MATCH_MODES).
    match: str = "all"
    #: The date filter: first and last day, either open.
    date_from: date | None = None
    date_to: date | None = None
    #: Sections in force: an article in any of them matches.
    sections: tuple[str, ...] = ()
    #: Metadata filters by kind ({"place": ("iran", "iraq")}): any value of one kind,
    #: and every kind given.
    tags: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _NO_TAGS)
    #: All the versions of one story (not collapsed), or None.
    story: str | None = None
    #: One of SORTS.
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    #: The half-life in days of sort="recent".
    half_life: float = HALF_LIFE_DAYS
    #: How many values of each metadata facet are counted.
    facet_size: int = MAX_TAG_VALUES
    #: When no article has all of several words, find those with any of them.
    relax: bool = False

    def __post_init__(self) -> None:
        _check_sort(self.sort)
        if isinstance(self.page, bool) or not isinstance(self.page, int) or self.page < 1:
            raise InvalidParameter("page", "must be a whole number, 1 or more")
        if (
            isinstance(self.per_page, bool)
            or not isinstance(self.per_page, int)
            or not 1 <= self.per_page <= MAX_PER_PAGE
        ):
            raise InvalidParameter("per_page", f"must be a whole number from 1 to {MAX_PER_PAGE}")
        if (self.page - 1) * self.per_page >= MAX_RESULT_WINDOW:
            raise InvalidParameter(
                "page",
                f"only the first {MAX_RESULT_WINDOW:,} results can be paged through; "
                "narrow the search with dates or more words",
            )
        if (
            isinstance(self.facet_size, bool)
            or not isinstance(self.facet_size, int)
            or not 1 <= self.facet_size <= MAX_FACET_SIZE
        ):
            raise InvalidParameter(
                "facet_size", f"must be a whole number from 1 to {MAX_FACET_SIZE}"
            )
        if self.match not in MATCH_MODES:
            raise InvalidParameter(
                "match", f"must be one of {', '.join(MATCH_MODES)}, not {str(self.match)[:20]!r}"
            )
        _check_half_life(self.half_life)
        object.__setattr__(self, "sections", filter_values("section", self.sections))
        object.__setattr__(self, "tags", MappingProxyType(_tag_values(self.tags)))
        lo, hi = self.date_from, self.date_to
        if lo and hi and lo > hi:
            raise InvalidParameter("from", f"{lo.isoformat()} is after to={hi.isoformat()}")
        problem = limit_problem(self.query)
        if problem:
            raise InvalidParameter("q", problem)

    @classmethod
    def of(
        cls,
        query: str | None = "",
        date_from: date | str | None = None,
        date_to: date | str | None = None,
        section: FilterValues = None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 10,
        *,
        tags: Mapping[str, FilterValues] | None = None,
        story: str | None = None,
        half_life: float | None = None,
        match: str = "all",
        facet_size: int = MAX_TAG_VALUES,
        relax: bool = False,
    ) -> SearchRequest:
        """A request from parameters as given: ``date_from``/``date_to`` a date or any
        period search.periods reads (a period's first day for ``from``, its last for
        ``to``), ``section`` and each of ``tags`` one value or several, ``tags`` keyed
        by a facet's kind or its field's name, ``half_life`` None for the default."""
        # The checks in the order they are reported: the page's, then the filters'.
        cls(sort=sort, page=page, per_page=per_page, facet_size=facet_size, match=match)
        return cls(
            query=query or "",
            match=match,
            half_life=_check_half_life(half_life),
            sections=filter_values("section", section),
            tags=_tag_values(tags),
            date_from=_as_date("from", date_from, end=False),
            date_to=_as_date("to", date_to, end=True),
            story=story or None,
            sort=sort,
            page=page,
            per_page=per_page,
            facet_size=facet_size,
            relax=bool(relax),
        )

    def but(self, **changes: Any) -> SearchRequest:
        """The same request with some of its fields changed (and checked again)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields.update(changes)
        return SearchRequest(**fields)


def _check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise InvalidParameter("sort", f"must be one of {', '.join(SORTS)}, not {sort!r}")


def _check_half_life(half_life: float | None) -> float:
    if half_life is None:
        return HALF_LIFE_DAYS
    if (
        isinstance(half_life, bool)
        or not isinstance(half_life, int | float)
        or not math.isfinite(half_life)
        or not 1 <= half_life <= MAX_HALF_LIFE_DAYS
    ):
        raise InvalidParameter(
            "half_life", f"must be a number of days from 1 to {MAX_HALF_LIFE_DAYS:,.0f}"
        )
    return float(half_life)


def filter_values(name: str, value: FilterValues) -> tuple[str, ...]:
    """A filter's values, each once, in the order given; empty ones dropped."""
    if value is None:
        return ()
    items = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(v, str) for v in items):
        raise InvalidParameter(name, "values must be strings")
    out = tuple(dict.fromkeys(v for v in items if v))
    if len(out) > MAX_FILTER_VALUES:
        raise InvalidParameter(name, f"takes at most {MAX_FILTER_VALUES} values, not {len(out)}")
    return out


def _tag_values(tags: Mapping[str, FilterValues] | None) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for key, value in (tags or {}).items():
        kind = TAG_KIND_OF.get(key)
        if kind is None:
            names = ", ".join(TAG_NAMES.values())
            raise InvalidParameter(key, f"is not a metadata facet ({names})")
        values = filter_values(key, value)
        if values:
            out[kind] = tuple(dict.fromkeys((*out.get(kind, ()), *values)))
    return out


def _as_date(name: str, value: date | str | None, end: bool) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        first, last = read_period(str(value))
    except UnreadableDate as e:
        raise InvalidParameter(name, str(e)) from None
    return last if end else first
