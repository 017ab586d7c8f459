"""JSON Lines exports: one article object per line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from search.readers.dates import parse_date
from search.readers.encoding import decode_bytes
from search.records import MAX_FILE_BYTES, TAG_FIELDS, Article, Skip

__all__ = ["read_jsonl"]

_OPTIONAL_STR = ("standfirst", "section", "source", "previous_title", "next_title")


def _article_from_json(obj: Any, path: str) -> Article | str:
    """Build an Article from one JSON object, or return the reason it cannot be."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    art_id = obj.get("id")
    if isinstance(art_id, int) and not isinstance(art_id, bool):
        art_id = str(art_id)
    if not isinstance(art_id, str) or not re.fullmatch(
        r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}", art_id
    ):
        return "missing or unusable 'id' (letters, digits, '_', '.', '-'; at most 128)"
    title = obj.get("title")
    if not isinstance(title, str) or not title.strip():
        return "missing 'title'"
    pub_raw = obj.get("published")
    published = parse_date(pub_raw) if isinstance(pub_raw, str) else None
    if published is None:
        return f"no publication date that can be read in 'published' ({pub_raw!r:.40})"
    body_raw = obj.get("body", "")
    if isinstance(body_raw, str):
        body = tuple(p.strip() for p in re.split(r"\n\s*\n", body_raw) if p.strip())
    elif isinstance(body_raw, list) and all(isinstance(p, str) for p in body_raw):
        body = tuple(p.strip() for p in body_raw if p.strip())
    else:
        return "'body' must be a string or a list of strings"
    fields: dict[str, Any] = {}
    for name in _OPTIONAL_STR:
        v = obj.get(name)
        if v is not None:
            if not isinstance(v, str):
                return f"'{name}' must be a string"
            fields[name] = v.strip()
    crawled_raw = obj.get("crawled")
    if crawled_raw is not None:
        crawled = parse_date(crawled_raw) if isinstance(crawled_raw, str) else None
        if crawled is None:
            return "'crawled' is not a date"
        fields["crawled"] = crawled
    rm = obj.get("reading_minutes")
    if rm is not None:
        if not isinstance(rm, int) or isinstance(rm, bool) or rm < 0:
            return "'reading_minutes' must be a whole number"
        fields["reading_minutes"] = rm
    for name in ("related", *(attr for _, attr in TAG_FIELDS)):
        values = obj.get(name)
        if values is not None:
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                return f"'{name}' must be a list of strings"
            cleaned = tuple(v.strip() for v in values if v.strip())
            if name != "related" and any("," in v for v in cleaned):
                return f"'{name}' values cannot contain commas"
            fields[name] = cleaned
    return Article(
        id=art_id, path=path, title=title.strip(), published=published, body=body, **fields
    )


def read_jsonl(path: Path) -> Iterator[Article | Skip]:
    """Read a JSON Lines export: one article object per line; bad lines are skipped."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            where = f"{path}:{lineno}"
            if not raw.strip():
                continue
            if len(raw) > MAX_FILE_BYTES:
                yield Skip(where, f"line too long for one article ({len(raw):,} bytes)")
                continue
            try:
                obj = json.loads(decode_bytes(raw))
            except ValueError as e:
                yield Skip(where, f"not valid JSON ({str(e).splitlines()[0]})")
                continue
            result = _article_from_json(obj, str(path))
            yield Skip(where, result) if isinstance(result, str) else result
