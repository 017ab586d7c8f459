"""What a search answers, whichever backend found it: a :class:`SearchPage` of
:class:`Hit` values with :class:`FacetCount` lists. ``to_dict`` is the JSON of
``/api/search`` and ``query --json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup

from search.request import MAX_RESULT_WINDOW, TAG_KINDS, TAG_NAMES

__all__ = ["FacetCount", "Hit", "SearchPage"]


@dataclass(frozen=True)
class Hit:
    """One article in a page of results."""

    id: str
    title: str
    published: date
    section: str
    source: str
    score: float | None
    snippet: Markup
    #: The story (near-duplicate cluster) this article belongs to, if it has copies.
    story: str | None = None
    #: How many other matching articles are copies of this one (shown as one hit).
    versions: int = 0
    #: The article's original address (http/https) where its source gave one, else "".
    original_url: str = ""

    @property
    def url(self) -> str:
        """The article's page here (``original_url`` is where it was first published)."""
        return f"/articles/{self.id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "published": self.published.isoformat(),
            "section": self.section,
            "source": self.source,
            "url": self.url,
            "original_url": self.original_url or None,
            "score": None if self.score is None else round(self.score, 4),
            "snippet": str(self.snippet),
            "story": self.story,
            "versions": self.versions,
        }


@dataclass(frozen=True)
class FacetCount:
    """How many matches have one facet value, and the value's name for a reader (the
    value itself when it has none; "March 1987" for 1987-03)."""

    value: str
    count: int
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.value

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.name, "count": self.count}


@dataclass(frozen=True)
class SearchPage:
    """One page of results, with the counts over every match."""

    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit]
    #: "year" and "month" in date order; "section" by count, largest first.
    facets: dict[str, list[FacetCount]]
    suggestion: str | None = None
    notes: list[str] = field(default_factory=list)
    sort: str = "relevance"
    date_from: date | None = None
    date_to: date | None = None
    #: The sections in force (an article in any of them matches).
    sections: tuple[str, ...] = ()
    #: The half-life in days of sort="recent" (None for the other sorts).
    half_life: float | None = None
    #: Metadata filters in force ({"place": ("iran", "iraq")}): any value of one facet,
    #: and every facet given.
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Matching articles shown as versions of another hit (copies of one story).
    collapsed: int = 0
    #: The story filter in force (all versions of one story, not collapsed).
    story: str | None = None
    #: How the query's bare words combined (one of MATCH_MODES).
    match: str = "all"
    #: Whether ``match`` is "any" because no article had all the words (``relax``).
    relaxed: bool = False

    @property
    def stories(self) -> int:
        """How many results there are to page through: an article, or a story's copies
        shown as one hit. ``total`` counts every matching article."""
        return self.total - self.collapsed

    @property
    def capped(self) -> bool:
        """Whether there are more results than any page may reach (MAX_RESULT_WINDOW)."""
        return self.stories > MAX_RESULT_WINDOW

    @property
    def pages(self) -> int:
        """The pages that can be asked for (all of them, unless :attr:`capped`)."""
        reachable = min(self.stories, MAX_RESULT_WINDOW)
        return max(1, -(-reachable // self.per_page))

    def to_dict(self) -> dict[str, Any]:
        """The JSON served by ``/api/search`` and printed by ``query --json``."""
        return {
            "query": self.query,
            "total": self.total,
            "stories": self.stories,
            "pages": self.pages,
            "page": self.page,
            "per_page": self.per_page,
            "took_ms": round(self.took_ms, 2),
            "collapsed": self.collapsed,
            "sort": self.sort,
            "half_life": self.half_life,
            "match": self.match,
            "relaxed": self.relaxed,
            "filters": {
                "from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None,
                "section": list(self.sections),
                **{TAG_NAMES[kind]: list(self.tags.get(kind, ())) for kind in TAG_KINDS},
                "story": self.story,
            },
            "results": [h.to_dict() for h in self.hits],
            "facets": {
                TAG_NAMES.get(k, k): [c.to_dict() for c in v] for k, v in self.facets.items()
            },
            "suggestion": self.suggestion,
            "notes": list(self.notes),
        }
