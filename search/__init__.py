"""news-search: full-text search for archives of scraped news articles.

The engine: read articles (:mod:`search.articles`), index them
(:mod:`search.indexing`), and answer queries (:func:`search.querying.search`).
It never imports the web framework.
"""

from search.articles import Article, Skip, parse_page, read_paths
from search.backends.whoosh.store import IndexStore
from search.errors import (
    IndexCorrupt,
    IndexLocked,
    IndexMissing,
    InvalidParameter,
    NewsSearchError,
    NotFound,
)
from search.indexing import RunReport, build, update
from search.querying import search
from search.results import FacetCount, Hit, SearchPage

__all__ = [
    "Article",
    "FacetCount",
    "Hit",
    "IndexCorrupt",
    "IndexLocked",
    "IndexMissing",
    "IndexStore",
    "InvalidParameter",
    "NewsSearchError",
    "NotFound",
    "RunReport",
    "SearchPage",
    "Skip",
    "build",
    "parse_page",
    "read_paths",
    "search",
    "update",
]
