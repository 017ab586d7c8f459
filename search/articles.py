"""Read news articles from their sources into :class:`Article` records.

Three sources are understood:

* scraped article pages (plain text, the shape of ``examples/articles/``),
* JSON Lines exports (one article object per line),
* Reuters-21578 SGML files (``reut2-*.sgm``).

Every reader yields either an :class:`Article` or a :class:`Skip` (what could not be
read, and a one-line reason). Nothing here raises on bad input and nothing here knows
about Whoosh: the index is built from the records by :mod:`search.indexing`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal, overload

from search.readers.dates import DATE_ORDERS, DateOrder, parse_date
from search.readers.jsonl import read_jsonl
from search.readers.pages import article_id_for, parse_page
from search.readers.reuters import read_reuters
from search.records import MAX_CONTAINER_BYTES, MAX_FILE_BYTES, TAG_FIELDS, Article, Note, Skip

__all__ = [
    "DATE_ORDERS",
    "FORMATS",
    "MAX_FILE_BYTES",
    "TAG_FIELDS",
    "Article",
    "DateOrder",
    "Format",
    "Note",
    "Skip",
    "article_id_for",
    "detect_format",
    "iter_files",
    "parse_date",
    "parse_page",
    "read_jsonl",
    "read_path",
    "read_paths",
    "read_reuters",
]

Format = Literal["auto", "page", "jsonl", "reuters"]
FORMATS: tuple[str, ...] = ("auto", "page", "jsonl", "reuters")

# ---------------------------------------------------------------- choosing a reader

_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "jsonl": (".jsonl", ".ndjson"),
    "reuters": (".sgm", ".sgml"),
}


def detect_format(path: Path, head: bytes) -> str:
    """Pick the reader for a file from its name, then its first bytes."""
    name = path.name.lower()
    if name.endswith(_EXTENSIONS["reuters"]) or re.match(rb"\s*<(!DOCTYPE lewis|REUTERS)", head):
        return "reuters"
    if name.endswith(_EXTENSIONS["jsonl"]):
        return "jsonl"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{") and b"\n" in stripped:
        first = stripped.split(b"\n", 1)[0]
        try:
            if isinstance(json.loads(first), dict):
                return "jsonl"
        except ValueError:
            pass
    return "page"


ALREADY_WALKED = "a folder already read by another path (a link or a loop)"


def _name_skip(path: Path) -> Skip | None:
    """A Skip for a path whose name is not UTF-8, or None. The OS hands such bytes over
    as lone surrogates (``surrogateescape``), which the index, JSON and pages cannot
    hold: the path is shown with the bytes escaped (``bad\\xffname.txt``)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", errors="backslashreplace")
        return Skip(shown, "the file name is not UTF-8: rename the file to index it")
    return None


def iter_files(paths: Iterable[Path | str], fmt: str = "auto") -> Iterator[Path | Skip]:
    """Every file under the given paths (sorted, hidden files left out), or why not.

    Links are followed, but each real file and folder is read once: a link back to a
    folder already walked (a loop, or a second way in) is reported and not walked again.
    A folder that cannot be listed, at any depth, is an *unreadable* Skip (``os.walk``
    alone would pass over it in silence, and an update would take its files for gone).
    A file whose name is not UTF-8 is a Skip saying so.
    """
    seen: set[str] = set()
    walked: set[str] = set()
    errors: list[OSError] = []

    def unlisted() -> Iterator[Skip]:
        while errors:
            e = errors.pop(0)
            yield Skip(
                str(e.filename or "?"),
                f"folder cannot be read ({e.strerror or e})",
                unreadable=True,
            )

    for p in paths:
        p = Path(p)
        if p.is_dir():
            walked.add(os.path.realpath(p))
            for root, dirs, files in os.walk(p, onerror=errors.append, followlinks=True):
                yield from unlisted()
                keep = []
                for d in sorted(d for d in dirs if not d.startswith(".")):
                    real = os.path.realpath(os.path.join(root, d))
                    if real in walked:
                        yield Skip(os.path.join(root, d), ALREADY_WALKED)
                    else:
                        walked.add(real)
                        keep.append(d)
                dirs[:] = keep
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    if fmt in _EXTENSIONS and not name.lower().endswith(_EXTENSIONS[fmt]):
                        continue
                    f = Path(root) / name
                    key = os.path.realpath(f)
                    if key not in seen:
                        seen.add(key)
                        yield _name_skip(f) or f
            yield from unlisted()
        elif p.is_file():
            key = os.path.realpath(p)
            if key not in seen:
                seen.add(key)
                yield _name_skip(p) or p
        elif p.exists():
            yield Skip(str(p), "not a regular file or folder")
        else:
            yield Skip(str(p), "no such file or folder")


@overload
def read_path(
    path: Path,
    fmt: str = ...,
    date_order: DateOrder = ...,
    *,
    notes: Literal[False] = ...,
) -> Iterator[Article | Skip]: ...
@overload
def read_path(
    path: Path, fmt: str = ..., date_order: DateOrder = ..., *, notes: Literal[True]
) -> Iterator[Article | Skip | Note]: ...
def read_path(
    path: Path, fmt: str = "auto", date_order: DateOrder = "dmy", *, notes: bool = False
) -> Iterator[Article | Skip | Note]:
    """Read every article in one file, choosing the reader unless ``fmt`` says which.

    ``date_order`` says how a page's ambiguous numeric dates (``05/04/2023``) are read.
    With ``notes``, a reader's :class:`Note` records (what it read and did not use, such
    as unknown JSON Lines keys) come too; without, only articles and skips.
    """
    for item in _read_path(path, fmt, date_order):
        if notes or not isinstance(item, Note):
            yield item


def _read_path(path: Path, fmt: str, date_order: DateOrder) -> Iterator[Article | Skip | Note]:
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as e:
        yield Skip(str(path), f"cannot be read ({e.strerror or e})", unreadable=True)
        return
    kind = detect_format(path, head) if fmt == "auto" else fmt
    try:
        if kind == "page":
            if size > MAX_FILE_BYTES:
                yield Skip(str(path), f"file too large for an article page ({size:,} bytes)")
                return
            yield parse_page(path.read_bytes(), str(path), date_order=date_order)
        elif size > MAX_CONTAINER_BYTES:
            yield Skip(str(path), f"file too large ({size:,} bytes)")
        elif kind == "jsonl":
            yield from read_jsonl(path)
        elif kind == "reuters":
            yield from read_reuters(path)
        else:
            yield Skip(str(path), f"unknown format {kind!r}")
    except OSError as e:
        yield Skip(str(path), f"cannot be read ({e.strerror or e})", unreadable=True)


def read_paths(
    paths: Iterable[Path | str], fmt: str = "auto", date_order: DateOrder = "dmy"
) -> Iterator[Article | Skip]:
    """Every article under the given files and folders, with a Skip for what is not one."""
    for item in iter_files(paths, fmt):
        if isinstance(item, Skip):
            yield item
        else:
            yield from read_path(item, fmt, date_order)
