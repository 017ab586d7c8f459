"""The readers' pages: search with facets and a histogram, and the article page."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from search.documents import get_article
from search.errors import InvalidParameter
from search.periods import in_words
from search.query_text import MAX_QUERY_CHARS
from search.querying import search
from search.request import (
    MATCH_MODES,
    MAX_RESULT_WINDOW,
    SORTS,
    TAG_KIND_OF,
    TAG_NAMES,
    SearchRequest,
)
from search.results import SearchPage
from web import store
from web.feed import feed_args
from web.params import search_params, search_state

bp = Blueprint("pages", __name__)

#: How each metadata facet is headed on the page.
TAG_LABELS = {
    "topic": "Topics",
    "place": "Places",
    "person": "People",
    "org": "Organisations",
    "exchange": "Exchanges",
}
MATCH_LABELS = {"all": "all of them", "any": "any of them"}
SORT_LABELS = {
    "relevance": "most relevant",
    "recent": "relevant and recent",
    "newest": "newest first",
    "oldest": "oldest first",
}


def _link(params: dict[str, Any], **changes: Any) -> str:
    """This search with some parameters changed (None removes one); back to page 1."""
    args = {
        "q": params.get("query") or None,
        "match": params.get("match") if params.get("match") != "all" else None,
        "from": params.get("date_from"),
        "to": params.get("date_to"),
        "section": params.get("section") or None,
        "sort": params.get("sort") if params.get("sort") != "relevance" else None,
        "half_life": params.get("half_life") if params.get("sort") == "recent" else None,
        **{TAG_NAMES[kind]: values for kind, values in params.get("tags", {}).items()},
        "story": params.get("story"),
    }
    # A facet is changed by its kind ("place"); the URL names it as the JSON does.
    args.update({TAG_NAMES.get(k, k): v for k, v in changes.items()})
    # Defaults are left out, and a half-life only goes with the order that uses it.
    if args.get("sort") == "relevance":
        args["sort"] = None
    if args.get("sort") != "recent":
        args["half_life"] = None
    if args.get("match") == "all":
        args["match"] = None
    return url_for("pages.index", **{k: v for k, v in args.items() if v not in (None, "")})


#: Facet values shown at first; the rest (up to PAGE_FACET_SIZE) behind "more…".
FACET_SHOWN = 10
#: How many values of each metadata facet the page asks for.
PAGE_FACET_SIZE = 50


@dataclass(frozen=True)
class FacetValue:
    """One value in a facet's list on the page: chosen or not, and the link that
    toggles it (adds it to the facet's alternatives, or removes it)."""

    value: str
    #: What a reader sees: the code's name where the archive gives one ("acq" is
    #: "Mergers/Acquisitions"); the links keep the code.
    label: str
    count: int
    chosen: bool
    href: str


def _facet_values(
    page: SearchPage, params: dict[str, Any], kind: str
) -> tuple[list[FacetValue], list[FacetValue]]:
    """A facet's values as (shown, behind "more…"): the first FACET_SHOWN and every
    chosen one are shown."""
    chosen = _chosen(page, kind)
    out = []
    for c in page.facets.get(kind, []):
        on = c.value in chosen
        values = tuple(v for v in chosen if v != c.value) if on else (*chosen, c.value)
        href = _link(params, **{kind: values or None})
        out.append(FacetValue(c.value, c.name, c.count, on, href))
    shown = [v for i, v in enumerate(out) if i < FACET_SHOWN or v.chosen]
    return shown, [v for i, v in enumerate(out) if i >= FACET_SHOWN and not v.chosen]


@dataclass(frozen=True)
class Bar:
    """One bar of the histogram: a period, its matches, the link that narrows to it."""

    label: str
    count: int
    href: str
    x: float
    height: float
    #: Whether the period is within the date filter (the others are drawn paler).
    chosen: bool
    #: The label under the bar on the axis ("" for most bars).
    axis: str


#: (key for from/to, first day, last day, axis label) of each bar.
Period = tuple[str, date, date, str]


def _day_periods(lo: date) -> list[Period]:
    out = []
    for d in range(1, calendar.monthrange(lo.year, lo.month)[1] + 1):
        day = date(lo.year, lo.month, d)
        out.append((day.isoformat(), day, day, str(d) if d % 7 == 1 else ""))
    return out


def _month_periods(first: str, span: int) -> list[Period]:
    out = []
    y, m = int(first[:4]), int(first[5:])
    for i in range(span):
        last_day = calendar.monthrange(y, m)[1]
        # Up to a year: each month's initial letters; longer: each year at its January.
        year = str(y) if m == 1 or i == 0 else ""
        label = calendar.month_abbr[m] if span <= 12 else year
        out.append((f"{y:04d}-{m:02d}", date(y, m, 1), date(y, m, last_day), label))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _year_periods(first: int, last: int) -> list[Period]:
    every = max(1, -(-(last - first + 1) // 8))  # at most 8 labels
    return [
        (str(y), date(y, 1, 1), date(y, 12, 31), str(y) if (y - first) % every == 0 else "")
        for y in range(first, last + 1)
    ]


def _histogram(
    page: SearchPage, params: dict[str, Any], width: int = 600, height: int = 80
) -> list[Bar]:
    """Bars of matches over time at the grain the date filter leaves: the days of a
    month when it lies within one, else months when the matches span three years or
    less, else years. Periods outside the filter are drawn too (counted without it, as
    the date facets are), paler, so a reader sees where the chosen period stands."""
    lo, hi = page.date_from, page.date_to
    if lo and hi and (lo.year, lo.month) == (hi.year, hi.month):
        counts = {c.value: c.count for c in page.facets.get("day", [])}
        periods = _day_periods(lo)
    else:
        months = page.facets["month"]
        if not months:
            return []
        first, last = months[0].value, months[-1].value
        span = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
        if span <= 36:
            counts = {c.value: c.count for c in months}
            periods = _month_periods(first, span)
        else:
            years = page.facets["year"]
            counts = {c.value: c.count for c in years}
            periods = _year_periods(int(years[0].value), int(years[-1].value))
    peak = max((counts.get(key, 0) for key, *_ in periods), default=0)
    if not peak:
        return []
    step = width / len(periods)
    return [
        Bar(
            label=in_words(a, b),
            count=counts.get(key, 0),
            href=_link(params, **{"from": key, "to": key}),
            x=i * step,
            height=max(1.0, height * counts.get(key, 0) / peak) if counts.get(key) else 0,
            chosen=(lo is None or b >= lo) and (hi is None or a <= hi),
            axis=axis,
        )
        for i, (key, a, b, axis) in enumerate(periods)
    ]


def _steps(page: SearchPage, params: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Links to the period before and after the date filter, as long as it is
    ({"prev" | "next": (label, href)}), while the archive has matches that far."""
    lo, hi = page.date_from, page.date_to
    if lo is None or hi is None or not page.facets["year"]:
        return {}
    earliest, latest = int(page.facets["year"][0].value), int(page.facets["year"][-1].value)
    whole_months = lo.day == 1 and hi.day == calendar.monthrange(hi.year, hi.month)[1]
    out = {}
    for name, sign in (("prev", -1), ("next", 1)):
        try:
            if whole_months:
                n = (hi.year - lo.year) * 12 + hi.month - lo.month + 1
                a = _add_months(lo, sign * n)
                end = _add_months(date(hi.year, hi.month, 1), sign * n)
                b = date(end.year, end.month, calendar.monthrange(end.year, end.month)[1])
            else:
                shift = timedelta(days=sign * ((hi - lo).days + 1))
                a, b = lo + shift, hi + shift
        except (OverflowError, ValueError):  # before year 1 or after 9999
            continue
        if b.year < earliest or a.year > latest:
            continue
        out[name] = (in_words(a, b), _link(params, **{"from": a.isoformat(), "to": b.isoformat()}))
    return out


def _add_months(d: date, n: int) -> date:
    months = d.year * 12 + d.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


def _chosen(page: SearchPage, kind: str) -> tuple[str, ...]:
    return page.sections if kind == "section" else page.tags.get(kind, ())


def _filter_year(page: SearchPage) -> str | None:
    """The year the date filter lies within, if it lies within one."""
    a, b = page.date_from, page.date_to
    if a and b and a.year == b.year:
        return str(a.year)
    return None


def _month_chosen(page: SearchPage, value: str) -> bool:
    """Whether the month ``YYYY-MM`` lies within the date filter."""
    lo, hi = page.date_from, page.date_to
    if lo is None and hi is None:
        return False
    y, m = int(value[:4]), int(value[5:])
    a, b = date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
    return (lo is None or a >= lo) and (hi is None or b <= hi)


def _month_name(value: str) -> str:
    return f"{calendar.month_abbr[int(value[5:])]} {value[:4]}"


def _pages(page: SearchPage) -> list[int]:
    """Page numbers to offer: the first, the last, and two either side of this one.
    When there are more results than can be paged through, there is no last page to
    offer (the last reachable one is not the last), only the ones around this one."""
    wanted = {1, *range(page.page - 2, page.page + 3)}
    if not page.capped:
        wanted.add(page.pages)
    return sorted(p for p in wanted if 1 <= p <= page.pages)


#: Parameters a rejected value of which is dropped, the search answered without it and
#: the reason said on the page (beside its field when the form has one). A query that
#: cannot be searched (too long, too costly) is the error page instead: there is nothing
#: to answer without it.
MAX_DROPPED = 5


def _search_leniently(
    args: MultiDict[str, str],
) -> tuple[SearchPage, dict[str, Any], dict[str, str]]:
    """The search the page's parameters ask for, dropping each one that is rejected;
    with the parameters used and {name: reason} for the dropped ones."""
    problems: dict[str, str] = {}
    while True:
        try:
            params = search_params(args, current_app.config["PER_PAGE"])
            params["per_page"] = current_app.config["PER_PAGE"]
            params["facet_size"] = PAGE_FACET_SIZE
            params["relax"] = True  # nothing has all the words: show those with some
            return search(SearchRequest.of(**params), index=store(current_app)), params, problems
        except InvalidParameter as e:
            # A facet is named by its field or its kind (places=, place=): either goes.
            kind = TAG_KIND_OF.get(e.name, e.name)
            names = {e.name, kind, TAG_NAMES.get(kind, e.name)}
            given = [n for n in names if n in args]
            if e.name == "q" or not given or len(problems) >= MAX_DROPPED:
                raise
            problems[e.name] = e.reason
            for name in given:
                args.poplist(name)


@bp.get("/")
def index() -> Any:
    """The search page (with no query: the newest articles)."""
    args = request.args.copy()
    page, params, problems = _search_leniently(args)
    year = _filter_year(page)
    return render_template(
        "search.html",
        page=page,
        params=params,
        sorts=SORTS,
        sort_labels=SORT_LABELS,
        match_modes=MATCH_MODES,
        match_labels=MATCH_LABELS,
        tag_labels=TAG_LABELS,
        tag_names=TAG_NAMES,
        link=lambda **kw: _link(params, **kw),
        facet_values=lambda kind: _facet_values(page, params, kind),
        label_of=lambda kind, value: next(
            (c.name for c in page.facets.get(kind, []) if c.value == value), value
        ),
        chosen_count=len(page.sections)
        + sum(map(len, page.tags.values()))
        + (1 if page.date_from or page.date_to else 0),
        without=lambda kind, value: _link(
            params, **{kind: tuple(v for v in _chosen(page, kind) if v != value) or None}
        ),
        page_link=lambda n: url_for("pages.index", **{**args.to_dict(flat=False), "page": n}),
        bars=_histogram(page, params),
        filter_year=year,
        steps=_steps(page, params),
        month_chosen=lambda value: _month_chosen(page, value),
        month_name=_month_name,
        page_numbers=_pages(page),
        result_window=MAX_RESULT_WINDOW,
        feed_url=url_for("feed.feed", **feed_args(args)),
        typed=request.args,
        article_link=lambda article_id: url_for(
            "pages.article", article_id=article_id, **search_state(args)
        ),
        problems=problems,
        period_words=in_words(page.date_from, page.date_to),
    ), (400 if problems else 200)


@bp.get("/favicon.ico")
def favicon() -> Any:
    """Browsers ask for /favicon.ico whatever the page says: the icon is an SVG."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/articles/<article_id>")
def article(article_id: str) -> Any:
    """One article, whole; the query it was found with is marked in it."""
    q = request.args.get("q", "")[:MAX_QUERY_CHARS]
    view = get_article(article_id, q, index=store(current_app))
    state = search_state(request.args)
    return render_template(
        "article.html",
        view=view,
        a=view.article,
        q=q,
        params={"query": q},  # the search box keeps the query
        tag_names=TAG_NAMES,
        back=url_for("pages.index", **state) if state else None,
        matched=[i for i, p in enumerate(view.body_html) if "<mark>" in p],
    )
