"""Read search parameters from a query string, the same way for the page and the API."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from search.errors import InvalidParameter
from search.request import MAX_TAG_VALUES, TAG_KINDS, TAG_NAMES

__all__ = ["SEARCH_PARAMS", "flag", "search_params", "search_state"]

#: Longer parameter values are not dates, sections or tags. (The query's size is the
#: engine's to judge: search.query_text.limit_problem.)
MAX_PARAM_CHARS = 2000
#: A repeatable parameter given more often than this is refused before it is read (the
#: engine then allows MAX_FILTER_VALUES distinct values).
MAX_PARAM_VALUES = 200


#: What a search is: the parameters an article's page carries back to its results.
SEARCH_PARAMS = ("q", "match", "from", "to", "section", *TAG_NAMES.values(), *TAG_KINDS,
                 "story", "sort",
                 "half_life", "page")  # fmt: skip


def search_state(args: MultiDict[str, str]) -> dict[str, Any]:
    """The search parameters of ``args`` (every value, none empty), for a link."""
    out = {name: [v for v in args.getlist(name) if v] for name in SEARCH_PARAMS}
    return {name: values for name, values in out.items() if values}


def _text(args: MultiDict[str, str], name: str) -> str:
    value = args.get(name, "") or ""
    if len(value) > MAX_PARAM_CHARS:
        raise InvalidParameter(name, f"is longer than {MAX_PARAM_CHARS:,} characters")
    return value.strip()


def _whole(args: MultiDict[str, str], name: str, default: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:  # "²".isdigit() is True
        raise InvalidParameter(name, f"must be a whole number, not {raw[:20]!r}")
    return int(raw)


def _texts(args: MultiDict[str, str], name: str) -> tuple[str, ...]:
    """Every value of a repeatable parameter (``place=iran&place=iraq``), stripped."""
    values = args.getlist(name)
    if len(values) > MAX_PARAM_VALUES:
        raise InvalidParameter(name, f"is given {len(values):,} times; at most {MAX_PARAM_VALUES}")
    for value in values:
        if len(value) > MAX_PARAM_CHARS:
            raise InvalidParameter(name, f"is longer than {MAX_PARAM_CHARS:,} characters")
    return tuple(v.strip() for v in values if v.strip())


def search_params(args: MultiDict[str, str], per_page: int = 10) -> dict[str, Any]:
    """Keyword arguments for ``search()`` from ``q, match, from, to, section, sort, page,
    per_page, half_life, facet_size`` and the metadata filters (``section`` and each
    metadata filter may be repeated: any of its values matches)."""
    return {
        "query": (args.get("q") or "").strip(),
        "match": _text(args, "match") or "all",
        "date_from": _text(args, "from") or None,
        "date_to": _text(args, "to") or None,
        "section": _texts(args, "section"),
        "sort": _text(args, "sort") or "relevance",
        "page": _whole(args, "page", 1),
        "per_page": _whole(args, "per_page", per_page),
        "half_life": _number(args, "half_life"),
        "tags": _tags(args),
        "story": _text(args, "story") or None,
        "facet_size": _whole(args, "facet_size", MAX_TAG_VALUES),
        "relax": flag(args, "relax"),
    }


def flag(args: MultiDict[str, str], name: str) -> bool:
    """A true/false parameter (also 1/0; false when absent)."""
    raw = (args.get(name) or "false").strip().lower()
    if raw not in ("true", "false", "1", "0"):
        raise InvalidParameter(name, "must be true or false")
    return raw in ("true", "1")


def _tags(args: MultiDict[str, str]) -> dict[str, tuple[str, ...]]:
    """The metadata filters: ``places=iran`` (the field's name) or ``place=iran`` (its
    kind's) are the same filter."""
    out = {}
    for kind in TAG_KINDS:
        values = _texts(args, TAG_NAMES[kind]) + _texts(args, kind)
        if values:
            out[kind] = values
    return out


def _number(args: MultiDict[str, str], name: str) -> float | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameter(name, f"must be a number, not {raw[:20]!r}") from None
    return value
