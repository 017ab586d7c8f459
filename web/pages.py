"""The readers' pages: search with facets and a histogram, and the article page."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from search.documents import get_article
from search.errors import InvalidParameter
from search.periods import in_words
from search.query_text import MAX_QUERY_CHARS
from search.querying import MATCH_MODES, MAX_RESULT_WINDOW, SORTS, SearchPage, search
from web import store
from web.feed import feed_args
from web.params import search_params

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
        **params.get("tags", {}),
        "story": params.get("story"),
    }
    args.update(changes)
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
        out.append(FacetValue(c.value, c.count, on, _link(params, **{kind: values or None})))
    shown = [v for i, v in enumerate(out) if i < FACET_SHOWN or v.chosen]
    return shown, [v for i, v in enumerate(out) if i >= FACET_SHOWN and not v.chosen]


@dataclass
class Bar:
    label: str
    count: int
    href: str
    x: float
    height: float


def _histogram(
    page: SearchPage, params: dict[str, Any], width: int = 600, height: int = 80
) -> list[Bar]:
    """Bars of matches over time: by month when they span three years or less, else by year."""
    months = page.facets["month"]
    if not months:
        return []
    first, last = months[0].value, months[-1].value
    span = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    if span <= 36:
        counts = {c.value: c.count for c in months}
        y, m = int(first[:4]), int(first[5:])
        keys = []
        for _ in range(span):
            keys.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    else:
        counts = {c.value: c.count for c in page.facets["year"]}
        keys = [str(y) for y in range(int(first[:4]), int(last[:4]) + 1)]
    peak = max(counts.values())
    step = width / len(keys)
    return [
        Bar(
            label=k,
            count=counts.get(k, 0),
            href=_link(params, **{"from": k, "to": k}),
            x=i * step,
            height=max(1.0, height * counts.get(k, 0) / peak) if counts.get(k) else 0,
        )
        for i, k in enumerate(keys)
    ]


def _chosen(page: SearchPage, kind: str) -> tuple[str, ...]:
    return page.sections if kind == "section" else page.tags.get(kind, ())


def _active_year(page: SearchPage) -> str | None:
    """The year the date filter covers exactly, if it is one year."""
    a, b = page.date_from, page.date_to
    if a and b and a == date(a.year, 1, 1) and b == date(a.year, 12, 31):
        return str(a.year)
    return None


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
            return search(**params, index=store(current_app)), params, problems
        except InvalidParameter as e:
            if e.name == "q" or e.name not in args or len(problems) >= MAX_DROPPED:
                raise
            problems[e.name] = e.reason
            args.poplist(e.name)


@bp.get("/")
def index() -> Any:
    """The search page (with no query: the newest articles)."""
    args = request.args.copy()
    page, params, problems = _search_leniently(args)
    year = _active_year(page)
    return render_template(
        "search.html",
        page=page,
        params=params,
        sorts=SORTS,
        sort_labels=SORT_LABELS,
        match_modes=MATCH_MODES,
        match_labels=MATCH_LABELS,
        tag_labels=TAG_LABELS,
        link=lambda **kw: _link(params, **kw),
        facet_values=lambda kind: _facet_values(page, params, kind),
        chosen_count=len(page.sections)
        + sum(map(len, page.tags.values()))
        + (1 if page.date_from or page.date_to else 0),
        without=lambda kind, value: _link(
            params, **{kind: tuple(v for v in _chosen(page, kind) if v != value) or None}
        ),
        page_link=lambda n: url_for("pages.index", **{**args.to_dict(flat=False), "page": n}),
        bars=_histogram(page, params),
        active_year=year,
        month_name=_month_name,
        page_numbers=_pages(page),
        result_window=MAX_RESULT_WINDOW,
        feed_url=url_for("feed.feed", **feed_args(args)),
        typed=request.args,
        problems=problems,
        period_words=in_words(page.date_from, page.date_to),
    ), (400 if problems else 200)


@bp.get("/articles/<article_id>")
def article(article_id: str) -> Any:
    """One article, whole; the query it was found with is marked in it."""
    q = request.args.get("q", "")[:MAX_QUERY_CHARS]
    view = get_article(article_id, q, index=store(current_app))
    return render_template("article.html", view=view, a=view.article, q=q)
