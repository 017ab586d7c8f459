"""Take the results away: every match of a query, not a page, as CSV or JSON Lines.

:func:`export` finds the matches and orders them exactly as :func:`search` would, then
yields one row per article, reading stored fields only as the rows are consumed, so the
API and the CLI can stream an archive-sized result without holding it. The rows come
from one snapshot: an index switched in while a client downloads does not mix in.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from search import budget
from search.backends.whoosh.store import IndexStore
from search.errors import InvalidParameter
from search.layout import day_date
from search.querying import find_matches, ranked_matches
from search.records import TAG_FIELDS
from search.request import SearchRequest

__all__ = [
    "EXPORT_FIELDS",
    "EXPORT_FORMATS",
    "FORMULA_STARTS",
    "JSONL_FIELDS",
    "Export",
    "check_format",
    "csv_cell",
    "export",
    "export_lines",
    "json_line",
]

EXPORT_FORMATS = ("csv", "jsonl")
#: The columns of an export, in order (``body`` only when asked for: it is most of the
#: bytes). ``url`` is the article's original address (empty when its source gave none),
#: as in the JSON Lines format; ``page_url`` is its page here (``/articles/<id>``).
EXPORT_FIELDS = (
    "id", "title", "published", "section", "source", "url", "page_url", "score", "story",
    "standfirst",
)  # fmt: skip
#: What JSON Lines adds to every row, after the columns: the rest of the article, so that
#: an export (with ``body``) built again is the same archive, field for field. Lists
#: (related headlines, metadata tags) have no CSV column.
JSONL_FIELDS = (
    "crawled", "reading_minutes", "related", "previous_title", "next_title",
    *(attr for _, attr in TAG_FIELDS),
)  # fmt: skip


@dataclass
class Export:
    """All matches of a query: how many, the notes on how it was read, and the rows."""

    total: int
    notes: list[str]
    fields: tuple[str, ...]
    rows: Iterator[dict[str, Any]]


@budget.bounded
def export(
    request: SearchRequest | str = "",
    *,
    body: bool = False,
    index: IndexStore | str | Path | None = None,
    **params: Any,
) -> Export:
    """Every article matching a request's query and filters, in its sort order (see
    ``search``; its page, page size and facet size do not apply). ``request`` is a
    :class:`SearchRequest`, or a query text with the other parameters as keywords.

    Raises :class:`InvalidParameter` for bad parameters before any row is produced. The
    matches are found and ordered under one search deadline; the rows are then read from
    the stored fields as they are written, with none.
    """
    m = find_matches(request, index=index, **params)
    req = m.request
    sort = req.sort
    ranked = ranked_matches(m, sort, len(m.ids))
    fields = (*EXPORT_FIELDS, "body") if body else EXPORT_FIELDS
    snap = m.snap

    def rows() -> Iterator[dict[str, Any]]:
        for docnum, score in ranked:
            stored = snap.stored(docnum)
            row = {
                "id": stored["id"],
                "title": stored.get("title", ""),
                "published": day_date(int(snap.day[docnum])).isoformat(),
                "section": stored.get("section") or "",
                "source": stored.get("source") or "",
                "url": stored.get("url") or None,
                "page_url": f"/articles/{stored['id']}",
                "score": None if score is None else round(score, 4),
                "story": snap.story_name(docnum) or "",
                "standfirst": stored.get("standfirst") or "",
            }
            if body:
                # Paragraphs, as in /api/articles and the JSON Lines input; CSV joins
                # them with a blank line.
                row["body"] = [p for p in (stored.get("body") or "").split("\n\n") if p]
            row["crawled"] = stored.get("crawled")
            row["reading_minutes"] = stored.get("reading_minutes")
            row["related"] = list(stored.get("related") or [])
            row["previous_title"] = stored.get("previous_title") or ""
            row["next_title"] = stored.get("next_title") or ""
            row.update(_tag_lists(stored.get("tags") or ""))
            yield row

    return Export(total=len(m.ids), notes=m.notes, fields=fields, rows=rows())


def _tag_lists(stored: str) -> dict[str, list[str]]:
    """The stored "kind:value,…" metadata as the JSON Lines lists (topics, places…)."""
    values: dict[str, list[str]] = {attr: [] for _, attr in TAG_FIELDS}
    attrs = dict(TAG_FIELDS)
    for item in stored.split(","):
        kind, _, value = item.partition(":")
        if value and kind in attrs:
            values[attrs[kind]].append(value)
    return values


def check_format(fmt: str) -> None:
    """Raise :class:`InvalidParameter` unless ``fmt`` is one of :data:`EXPORT_FORMATS`."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidParameter("format", f"must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}")


def export_lines(result: Export, fmt: str) -> Iterator[str]:
    """The export as text, a line (CSV record or JSON object) at a time. An unknown
    ``fmt`` raises :class:`InvalidParameter` at once, before anything is written."""
    check_format(fmt)
    return _jsonl(result) if fmt == "jsonl" else _csv(result)


#: Line separators other than LF that JSON may leave raw in a string: escaped, so that
#: a reader splitting on any line end (Python's ``str.splitlines``) still sees one
#: object a line. The JSON is the same text once parsed.
_RAW_LINE_ENDS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def json_line(value: Any) -> str:
    """``value`` as JSON on one line for any reader (no raw U+0085, U+2028, U+2029),
    without the newline: a JSON Lines row, a log line."""
    return json.dumps(value, ensure_ascii=False, default=str).translate(_RAW_LINE_ENDS)


def _jsonl(result: Export) -> Iterator[str]:
    for row in result.rows:
        yield json_line(row) + "\n"


#: A cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV
#: Injection"): ``=HYPERLINK(…)``, ``@SUM(…)``, ``-2+3``, and tab or CR before them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell's value, neutralised as OWASP recommends: text that a spreadsheet
    would take for a formula gets a single quote in front (``'=SUM(A1)``), which the
    spreadsheet shows as text. Numbers and empty cells are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    """A list (the body's paragraphs) as one cell, paragraphs apart."""
    return "\n\n".join(value) if isinstance(value, list) else value


def _csv(result: Export) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=result.fields, lineterminator="\r\n", extrasaction="ignore"
    )
    writer.writeheader()
    for row in result.rows:
        writer.writerow({k: csv_cell(_cell(row.get(k))) for k in result.fields})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()  # the header alone when nothing matched
