"""JSON Lines exports: one article object per line (the format is in the README).

A line that is not an article is a :class:`Skip` naming its line and why; a file that is
not JSON Lines at all (binary, or its first lines are not JSON objects) is one Skip for
the file. What is read but not used (keys this reader does not know, a ``url`` that is
not an http(s) address) is one :class:`Note` per file: never silently dropped.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from search.readers.dates import parse_date
from search.readers.encoding import binary_reason, decode_bytes
from search.records import MAX_FILE_BYTES, TAG_FIELDS, Article, Note, Skip

__all__ = ["EXPORT_ONLY_KEYS", "KNOWN_KEYS", "REQUIRED_KEYS", "read_jsonl", "unknown_key"]

_OPTIONAL_STR = ("standfirst", "section", "source", "previous_title", "next_title")
REQUIRED_KEYS = ("id", "title", "published")
#: Every key an article object may have.
KNOWN_KEYS: tuple[str, ...] = (
    *REQUIRED_KEYS, "body", *_OPTIONAL_STR, "crawled", "reading_minutes", "related",
    *(attr for _, attr in TAG_FIELDS), "url",
)  # fmt: skip
#: Keys ``news-search export`` writes that describe the search, not the article: read
#: back without a note (an export built again is the same archive), and not used.
EXPORT_ONLY_KEYS = ("page_url", "score", "story")
#: Names other tools give our keys (a scraper's ``text``, a feed's ``link``).
SYNONYMS = {
    "text": "body", "content": "body", "article": "body", "fulltext": "body",
    "paragraphs": "body", "headline": "title", "heading": "title", "name": "title",
    "date": "published", "pubdate": "published", "pub_date": "published",
    "published_at": "published", "publish_date": "published",
    "date_published": "published", "publication_date": "published",
    "summary": "standfirst", "lede": "standfirst", "lead": "standfirst", "dek": "standfirst",
    "description": "standfirst", "subtitle": "standfirst", "category": "section",
    "categories": "topics", "tags": "topics", "keywords": "topics",
    "link": "url", "href": "url", "permalink": "url", "original_url": "url",
    "source_url": "url", "publisher": "source", "outlet": "source",
    "scraped": "crawled", "crawled_at": "crawled", "scraped_at": "crawled",
    "reading_time": "reading_minutes", "guid": "id", "uid": "id",
}  # fmt: skip
#: How many non-blank lines must fail to be JSON objects, from the top, for the whole
#: file to be skipped as "not JSON Lines" (one reason instead of one per line).
_SNIFF_LINES = 3
_MAX_URL = 2048


def unknown_key(key: str) -> str:
    """An unknown key as a note names it: ``text (did you mean body?)``."""
    guess = SYNONYMS.get(key.lower()) or next(
        iter(difflib.get_close_matches(key.lower(), KNOWN_KEYS, n=1, cutoff=0.75)), None
    )
    return f"{key} (did you mean {guess}?)" if guess else key


def _usable_url(value: Any) -> str | None:
    """The value as an absolute http(s) address, or None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if len(url) > _MAX_URL or re.search(r"[\x00-\x20\x7f]", url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate(value: Any, name: str = "") -> str | None:
    """Why a decoded JSON value is not text, or None: JSON's ``\\ud83d`` escapes decode
    to lone surrogates (a truncated emoji), which no UTF-8 index or output can hold."""
    if isinstance(value, str):
        m = _SURROGATE.search(value)
        if m is None:
            return None
        where = f"'{name}'" if name else "a key"
        return (
            f"{where} holds a lone surrogate (\\u{ord(m.group()):04x}, half of a character "
            "written as a JSON escape): not text"
        )
    if isinstance(value, dict):
        for k, v in value.items():
            reason = _surrogate(k) or _surrogate(v, name or str(k))
            if reason:
                return reason
    elif isinstance(value, list):
        for v in value:
            reason = _surrogate(v, name)
            if reason:
                return reason
    return None


def _missing(obj: dict[str, Any]) -> list[str]:
    return [k for k in REQUIRED_KEYS if obj.get(k) is None or obj.get(k) == ""]


def _article_from_json(obj: Any, path: str) -> Article | str:
    """Build an Article from one JSON object, or return the reason it cannot be."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    missing = _missing(obj)
    if missing:
        names = ", ".join(f"'{k}'" for k in missing)
        return f"missing required field{'s' if len(missing) > 1 else ''} {names}"
    art_id = obj.get("id")
    if isinstance(art_id, int) and not isinstance(art_id, bool):
        art_id = str(art_id)
    if not isinstance(art_id, str) or not re.fullmatch(
        r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}", art_id
    ):
        return (
            f"'id' {art_id!r:.40} is not usable as an id "
            "(letters, digits, '_', '.', '-'; at most 128)"
        )
    title = obj.get("title")
    if not isinstance(title, str) or not title.strip():
        return "'title' must be a non-empty string"
    pub_raw = obj.get("published")
    published = parse_date(pub_raw) if isinstance(pub_raw, str) else None
    if published is None:
        return f"'published' is not a date that can be read ({pub_raw!r:.40})"
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
    url = _usable_url(obj.get("url"))
    if url:
        fields["url"] = url
    return Article(
        id=art_id, path=path, title=title.strip(), published=published, body=body, **fields
    )


def read_jsonl(path: Path) -> Iterator[Article | Skip | Note]:
    """Read a JSON Lines export: one article object per line; bad lines are skipped,
    each with its line; a file that is not JSON Lines at all is one skip; keys not used
    are one note at the end."""
    unknown: dict[str, int] = {}  # key -> first line
    bad_urls: list[int] = []
    # Until a line is an object, hold the first lines' skips: if none of the first
    # _SNIFF_LINES is, the file is not JSON Lines and gets one skip, not one per line.
    held: list[Skip] = []
    sniffing = True
    with open(path, "rb") as f:
        head = f.read(8192)
        f.seek(0)
        if binary := binary_reason(head):
            yield Skip(str(path), f"{binary}: not JSON Lines")
            return
        for lineno, raw in enumerate(f, start=1):
            where = f"{path}:{lineno}"
            if not raw.strip():
                continue
            obj: Any = None
            skip: Skip | None = None
            if len(raw) > MAX_FILE_BYTES:
                skip = Skip(where, f"line too long for one article ({len(raw):,} bytes)")
            else:
                try:
                    obj = json.loads(decode_bytes(raw))
                except ValueError as e:
                    skip = Skip(where, f"not valid JSON ({str(e).splitlines()[0]})")
                except RecursionError:
                    skip = Skip(where, "not valid JSON (nested too deeply)")
                else:
                    if reason := _surrogate(obj):
                        skip = Skip(where, reason)
            if sniffing:
                if skip is not None or not isinstance(obj, dict):
                    held.append(skip or Skip(where, "not a JSON object"))
                    if len(held) >= _SNIFF_LINES:
                        yield Skip(
                            str(path),
                            f"not JSON Lines (the first {_SNIFF_LINES} lines are not JSON "
                            f"objects; line {held[0].path.rsplit(':', 1)[1]}: {held[0].reason})",
                        )
                        return
                    continue
                sniffing = False
                yield from held
                held.clear()
            if skip is not None:
                yield skip
                continue
            if isinstance(obj, dict):
                for key in obj:
                    if key not in KNOWN_KEYS and key not in EXPORT_ONLY_KEYS:
                        unknown.setdefault(key, lineno)
                if obj.get("url") not in (None, "") and _usable_url(obj.get("url")) is None:
                    bad_urls.append(lineno)
            try:
                result = _article_from_json(obj, str(path))
            except Exception as e:  # one bad record is one skip, whatever it holds
                result = f"cannot be read as an article ({type(e).__name__}: {e!s:.80})"
            yield Skip(where, result) if isinstance(result, str) else result
    if held:  # a file of one or two lines, none of them an object
        yield Skip(
            str(path),
            f"not JSON Lines (no line is a JSON object; line "
            f"{held[0].path.rsplit(':', 1)[1]}: {held[0].reason})",
        )
    if unknown:
        yield Note(str(path), "unknown keys ignored: " + ", ".join(map(unknown_key, unknown)))
    if bad_urls:
        n = len(bad_urls)
        yield Note(
            str(path),
            f"'url' is not an http(s) address on {n:,} line{'s' if n != 1 else ''} "
            f"(first: line {bad_urls[0]}): dropped, the articles kept",
        )
