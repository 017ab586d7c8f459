"""The OpenAPI 3.1 document of the JSON API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from search.budget import MAX_CLAUSES, MAX_POSITIONS, MAX_POSTINGS
from search.query_text import MAX_QUERY_CHARS, MAX_QUERY_WORDS
from search.querying import MAX_EXPANSION
from search.request import (
    HALF_LIFE_DAYS,
    MATCH_MODES,
    MAX_FACET_SIZE,
    MAX_FILTER_VALUES,
    MAX_HALF_LIFE_DAYS,
    MAX_PER_PAGE,
    MAX_RESULT_WINDOW,
    MAX_TAG_VALUES,
    SORTS,
    TAG_NAMES,
)

__all__ = ["openapi_document"]

_DATE_PARAM = {
    "type": "string",
    "maxLength": 2000,
    "description": "A date as people write it: 1987, 1987-03, March 1987, 3 March 1987, "
    "1987-03-03, March 3, 1987. It names a period as long as what it gives (a year, a "
    "month, a day): `from` takes its first day, `to` its last. No year, or a numeric date "
    "that reads both ways (3/4/1987), is a 400 that says so.",
}


#: A repeatable filter: ``section=a&section=b`` (form style, exploded, as browsers send).
_REPEATED = {
    "type": "array",
    "items": {"type": "string", "maxLength": 2000},
    "maxItems": MAX_FILTER_VALUES,
}


def _param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    param = {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }
    if schema.get("type") == "array":
        param.update(style="form", explode=True)
    return param


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


#: The values of one filter in force (empty: none).
FILTER_LIST = {"type": "array", "items": {"type": "string"}}

FACET_LIST = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["value", "label", "count"],
        "properties": {
            "value": {"type": "string", "description": "The value, as filters take it."},
            "label": {
                "type": "string",
                "description": "What a reader sees: the code's name where the archive "
                "gives one, a date in words (March 1987), else the value.",
            },
            "count": {"type": "integer", "minimum": 0, "description": "Matching articles."},
        },
    },
}
ORIGINAL_URL = {
    "type": ["string", "null"],
    "format": "uri",
    "description": "The article's original address (http or https) where its source gave "
    "one; `url` is its page here.",
}
LINK = {
    "type": "object",
    "required": ["id", "title", "published", "url"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "published": {"type": "string", "format": "date"},
        "url": {"type": "string"},
    },
}


#: What each field of each schema means ("schema.field"; "schema.field.sub" inside an
#: object). Every field has one: tests/test_web.py checks.
FIELD_DESCRIPTIONS = {
    "Error.error": "The one envelope of every error.",
    "Error.error.status": "The HTTP status, again.",
    "Error.error.code": "What went wrong, for a program: invalid_parameter, "
    "query_too_costly, not_found, method_not_allowed, index_unavailable, search_timeout.",
    "Error.error.message": "What went wrong, for a person: one line saying which "
    "parameter and why.",
    "Hit.id": "The article's id (its page is url, its JSON /api/articles/{id}).",
    "Hit.title": "The headline.",
    "Hit.published": "The day it was published.",
    "Hit.section": "Its section, where the source has one (else empty).",
    "Hit.source": "Who published it, where known (else empty).",
    "Hit.score": "BM25F relevance (times the age decay for sort=recent); null for date sorts.",
    "SearchPage.query": "The query as given.",
    "SearchPage.page": "This page's number, from 1.",
    "SearchPage.per_page": "Results per page.",
    "SearchPage.took_ms": "How long the search took here.",
    "SearchPage.match": "How the bare words combined: all or any.",
    "SearchPage.collapsed": "Matching articles shown as versions of another hit.",
    "SearchPage.sort": "The order of the results.",
    "SearchPage.half_life": "For sort=recent, the half-life in days; else null.",
    "SearchPage.filters": "The filters in force, as read: dates as ISO days, every "
    "other filter as the list of its values (empty when not used).",
    "SearchPage.filters.from": "The first day included (null: no limit).",
    "SearchPage.filters.to": "The last day included (null: no limit).",
    "SearchPage.filters.section": "Sections: an article in any of them matches.",
    "SearchPage.filters.story": "The story whose versions are listed, or null.",
    "SearchPage.results": "This page's hits.",
    "SearchPage.facets": "Counts over every match (not just this page): a facet with "
    "values chosen is counted without its own filter. Each value has its label.",
    "SearchPage.facets.year": "Every year, counted without the date filter.",
    "SearchPage.facets.month": "The months of the years the date filter touches.",
    "SearchPage.facets.section": "Sections, largest first.",
    "SearchPage.suggestion": "A corrected query, when some words look misspelt; else null.",
    "SearchPage.notes": "How the query was read: what was ignored or reinterpreted.",
    "Article.id": "The article's id.",
    "Article.title": "The headline.",
    "Article.published": "The day it was published.",
    "Article.crawled": "The day it was scraped, where the page says.",
    "Article.reading_minutes": "The page's own reading time, where it gives one.",
    "Article.standfirst": "The summary under the headline (Reuters: the dateline).",
    "Article.body": "The text, a string per paragraph (as in the JSON Lines export).",
    "Article.section": "Its section, where the source has one.",
    "Article.source": "Who published it, where known.",
    "Article.related": "Headlines the page linked as related (ALSO READ).",
    "Article.previous_title": "The previous story's headline, as the page gave it.",
    "Article.next_title": "The next story's headline, as the page gave it.",
    "Article.content_hash": "A hash of the text: the same article scraped twice has one.",
    "Article.more_like_this": "Articles about the same things, best first.",
    "Article.previous": "The previous story, when it is in the archive.",
    "Article.next": "The next story, when it is in the archive.",
    "Article.labels": "Names of its metadata codes where the archive gives them: "
    '{"topics": {"acq": "Mergers/Acquisitions"}}.',
    "Health.ok": "True: the index can be read.",
    "Health.articles": "How many articles it holds.",
    "Health.generation": "The live build (changes with every build and update).",
    "Health.toc_generation": "The live table of contents (changes with every update).",
    "Health.built_at": "When it was built (UTC).",
    "Health.updated_at": "When it was last updated (UTC), or null.",
    **{f"SearchPage.filters.{name}": f"Values of {name}: an article with any of them matches."
       for name in TAG_NAMES.values()},
    **{f"SearchPage.facets.{name}": f"The most frequent {name} (facet_size of them), and "
       "every chosen one." for name in TAG_NAMES.values()},
    **{f"Article.{name}": f"Its {name} (metadata codes; labels names them)."
       for name in TAG_NAMES.values()},
}  # fmt: skip


def _describe(schemas: dict[str, Any]) -> None:
    """Give every field its description from FIELD_DESCRIPTIONS (one already written
    in the schema stays)."""

    def walk(prefix: str, schema: dict[str, Any]) -> None:
        for name, sub in (schema.get("properties") or {}).items():
            key = f"{prefix}.{name}"
            if "description" not in sub and key in FIELD_DESCRIPTIONS:
                schema["properties"][name] = {**sub, "description": FIELD_DESCRIPTIONS[key]}
            walk(key, sub)

    for name, schema in schemas.items():
        walk(name, schema)


def openapi_document(server: str = "") -> dict[str, Any]:
    search_params = [
        _param(
            "q",
            {"type": "string", "maxLength": MAX_QUERY_CHARS},
            "The query: words (all required, or any: see `match`), OR, NOT or -word, "
            '"phrases", title:word, prefix*, word~, date:2023, date:[2023-01 to 2023-06]. '
            "Malformed syntax is never rejected: what cannot be read is ignored and "
            f"reported in `notes`. Over {MAX_QUERY_CHARS:,} characters, or more than "
            f"{MAX_QUERY_WORDS} different words searched (stop words and repeats do not "
            f"count), is a 400. A prefix* or word~ is expanded to at most {MAX_EXPANSION} "
            "words (noted); a leading * or ? is dropped (noted). A query whose expanded "
            f"terms ({MAX_CLAUSES}), postings ({MAX_POSTINGS:,}) or phrase positions "
            f"({MAX_POSITIONS:,}) are over the budget is a 400 with code "
            "`query_too_costly`.",
        ),
        _param(
            "match",
            {"type": "string", "enum": list(MATCH_MODES), "default": "all"},
            "How the query's bare words combine: all required, or any of them (ranked by "
            "how many and how rare; -word still excludes). Suits a pasted paragraph.",
        ),
        _param("from", _DATE_PARAM, "Earliest publication date."),
        _param("to", _DATE_PARAM, "Latest publication date."),
        _param(
            "section",
            _REPEATED,
            "Only articles of this section; repeat it (section=a&section=b) for any of several.",
        ),
        *(
            _param(
                name,
                _REPEATED,
                f"Only articles with this value in their {name} (metadata facets, where the "
                "source has them: Reuters-21578's). Repeat it for any of several "
                f"({name}=a&{name}=b); different facets all apply. `{kind}=` is the same.",
            )
            for kind, name in TAG_NAMES.items()
        ),
        _param(
            "relax",
            {"type": "string", "enum": ["true", "false"], "default": "false"},
            "With match=all: when no article has all the words of a query of several, "
            "answer with those that have any of them (`match` says any, `relaxed` true, "
            "and a note says why). The page always does.",
        ),
        _param(
            "facet_size",
            {"type": "integer", "minimum": 1, "maximum": MAX_FACET_SIZE, "default": MAX_TAG_VALUES},
            "How many values of each metadata facet are listed (the most frequent).",
        ),
        _param(
            "story",
            {"type": "string", "maxLength": 2000},
            "Every version of one story (a hit's `story`); without it, copies of a story "
            "are one hit with `versions`.",
        ),
        _param(
            "sort",
            {"type": "string", "enum": list(SORTS), "default": "relevance"},
            "Order of the results: relevance; recent (relevance decayed with age, see "
            "half_life); newest; oldest.",
        ),
        _param(
            "half_life",
            {
                "type": "number",
                "minimum": 1,
                "maximum": MAX_HALF_LIFE_DAYS,
                "default": HALF_LIFE_DAYS,
            },
            "For sort=recent: after this many days (counted back from the newest article "
            "in the archive) an article's relevance counts half.",
        ),
        _param(
            "page",
            {"type": "integer", "minimum": 1, "default": 1},
            "Page of results; no page may reach past the first 10,000 results.",
        ),
        _param(
            "per_page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 10},
            "Results per page.",
        ),
    ]
    errors = {
        "400": _error(
            "A parameter cannot be used (the message says which and why; code "
            "`invalid_parameter`, or `query_too_costly` for a query over its budget)."
        ),
        "404": _error("No such article or route."),
        "405": _error("Only GET (and HEAD) are served."),
        "503": _error(
            "The index cannot be read right now (code `index_unavailable`), or the search "
            "ran past its deadline (code `search_timeout`, with `Retry-After`)."
        ),
    }
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "news-search API",
            "version": "1.0.0",
            "description": "Full-text search over an archive of news articles. Every error "
            "has the same JSON envelope. All endpoints allow cross-origin GETs.",
        },
        "servers": [{"url": server or "/"}],
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search the archive",
                    "parameters": search_params,
                    "responses": {"200": _ok("SearchPage", "A page of results."), **errors},
                }
            },
            "/api/export": {
                "get": {
                    "operationId": "export",
                    "summary": "Every match of a search, streamed as CSV or JSON Lines",
                    "parameters": [
                        p
                        for p in search_params
                        if p["name"] not in ("page", "per_page", "facet_size", "relax")
                    ]
                    + [
                        _param(
                            "format",
                            {"type": "string", "enum": ["csv", "jsonl"], "default": "csv"},
                            "CSV (header row first) or JSON Lines (one object per line).",
                        ),
                        _param(
                            "body",
                            {"type": "string", "enum": ["true", "false"], "default": "false"},
                            "Include each article's whole text.",
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": "One row per article, in the order of `sort`; "
                            "the header X-Total-Count says how many.",
                            "headers": {
                                "X-Total-Count": {"schema": {"type": "string"}},
                            },
                            "content": {
                                "text/csv": {"schema": {"type": "string"}},
                                "application/x-ndjson": {"schema": {"type": "string"}},
                            },
                        },
                        **errors,
                    },
                }
            },
            "/feed": {
                "get": {
                    "operationId": "feed",
                    "summary": "An Atom feed of the 30 newest articles matching a search",
                    "parameters": [
                        p
                        for p in search_params
                        if p["name"] in ("q", "match", "from", "to", "section", *TAG_NAMES.values())
                    ],
                    "responses": {
                        "200": {
                            "description": "Atom 1.0: one entry per article, newest first, "
                            "its summary the snippet (escaped HTML).",
                            "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                        },
                        **errors,
                    },
                }
            },
            "/api/docs": {
                "get": {
                    "operationId": "docs",
                    "summary": "This document as a page to read",
                    "responses": {
                        "200": {
                            "description": "HTML.",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/api/articles/{id}": {
                "get": {
                    "operationId": "getArticle",
                    "summary": "One article",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "The article id.",
                        },
                        _param(
                            "q",
                            {"type": "string", "maxLength": 2000},
                            "A query whose terms to mark (ignored in the JSON).",
                        ),
                    ],
                    "responses": {"200": _ok("Article", "The article."), **errors},
                }
            },
            "/api/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the index can be read",
                    "responses": {"200": _ok("Health", "The index answers."), **errors},
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["status", "code", "message", "request_id"],
                            "properties": {
                                "status": {"type": "integer"},
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "request_id": {
                                    "type": "string",
                                    "description": "Also in X-Request-Id and the log line.",
                                },
                            },
                        }
                    },
                },
                "Hit": {
                    "type": "object",
                    "required": [
                        "id",
                        "title",
                        "published",
                        "section",
                        "source",
                        "url",
                        "score",
                        "snippet",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "published": {"type": "string", "format": "date"},
                        "section": {"type": "string"},
                        "source": {"type": "string"},
                        "url": {"type": "string", "description": "The article's page here."},
                        "original_url": ORIGINAL_URL,
                        "score": {"type": ["number", "null"]},
                        "story": {
                            "type": ["string", "null"],
                            "description": "The story (near-duplicate cluster) of an article "
                            "that has copies; `story=` lists them all.",
                        },
                        "versions": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Other matching copies, folded into this hit.",
                        },
                        "snippet": {
                            "type": "string",
                            "description": "HTML: escaped text, matches in <mark>.",
                        },
                    },
                },
                "SearchPage": {
                    "type": "object",
                    "required": [
                        "query",
                        "total",
                        "stories",
                        "pages",
                        "page",
                        "per_page",
                        "took_ms",
                        "results",
                        "facets",
                        "suggestion",
                        "notes",
                    ],
                    "properties": {
                        "query": {"type": "string"},
                        "total": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Every matching article, copies of a story included.",
                        },
                        "stories": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "The results to page through: copies of a story "
                            "are one (total - collapsed).",
                        },
                        "pages": {
                            "type": "integer",
                            "minimum": 1,
                            "description": "The pages of per_page results that can be asked "
                            f"for (no page reaches past the first {MAX_RESULT_WINDOW:,}).",
                        },
                        "page": {"type": "integer", "minimum": 1},
                        "per_page": {"type": "integer", "minimum": 1},
                        "took_ms": {"type": "number"},
                        "match": {"type": "string", "enum": list(MATCH_MODES)},
                        "relaxed": {
                            "type": "boolean",
                            "description": "True when no article had all the words and "
                            "these have any of them (relax=true).",
                        },
                        "collapsed": {"type": "integer", "minimum": 0},
                        "sort": {"type": "string", "enum": list(SORTS)},
                        "half_life": {"type": ["number", "null"]},
                        "filters": {
                            "type": "object",
                            "properties": {
                                "from": {"type": ["string", "null"]},
                                "to": {"type": ["string", "null"]},
                                "section": FILTER_LIST,
                                **{name: FILTER_LIST for name in TAG_NAMES.values()},
                                "story": {"type": ["string", "null"]},
                            },
                        },
                        "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                        "facets": {
                            "type": "object",
                            "required": ["year", "month", "section"],
                            "properties": {
                                "year": FACET_LIST,
                                "month": FACET_LIST,
                                "day": {
                                    **FACET_LIST,
                                    "description": "The days of the month the date filter "
                                    "lies within (empty unless it lies within one).",
                                },
                                "section": FACET_LIST,
                                **{name: FACET_LIST for name in TAG_NAMES.values()},
                            },
                        },
                        "suggestion": {"type": ["string", "null"]},
                        "notes": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "Article": {
                    "type": "object",
                    "required": ["id", "title", "published", "body", "url"],
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "published": {"type": "string", "format": "date"},
                        "crawled": {"type": ["string", "null"], "format": "date"},
                        "reading_minutes": {"type": ["integer", "null"]},
                        "standfirst": {"type": "string"},
                        "body": {"type": "array", "items": {"type": "string"}},
                        "section": {"type": "string"},
                        "source": {"type": "string"},
                        "related": {"type": "array", "items": {"type": "string"}},
                        "previous_title": {"type": "string"},
                        "next_title": {"type": "string"},
                        "content_hash": {"type": "string"},
                        "url": {"type": "string", "description": "The article's page here."},
                        "original_url": ORIGINAL_URL,
                        "more_like_this": {"type": "array", "items": LINK},
                        "previous": {"oneOf": [LINK, {"type": "null"}]},
                        "next": {"oneOf": [LINK, {"type": "null"}]},
                        **{
                            name: {"type": "array", "items": {"type": "string"}}
                            for name in TAG_NAMES.values()
                        },
                        "labels": {
                            "type": "object",
                            "additionalProperties": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                            },
                        },
                    },
                },
                "Health": {
                    "type": "object",
                    "required": ["ok", "articles", "generation"],
                    "properties": {
                        "ok": {"type": "boolean"},
                        "articles": {"type": "integer"},
                        "generation": {"type": "string"},
                        "toc_generation": {"type": "integer"},
                        "built_at": {"type": ["string", "null"]},
                        "updated_at": {"type": ["string", "null"]},
                    },
                },
            }
        },
    }
    _describe(doc["components"]["schemas"])
    return doc
