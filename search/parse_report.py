"""What a folder of articles reads as, before it is indexed: ``news-search parse --report``.

An admin about to build an index of 100,000 pages needs to know what the readers made of
them: how many were read and skipped (and why), how often each field was found, the
range of dates, the sections and sources, and the pages that *look* misread, each with
its path so that it can be opened. :class:`ParseReport` gathers all of it in one pass
over the records the readers yield, in memory bounded by the number of distinct sections
and sources (paths are kept for at most :data:`KEEP_PATHS` pages per finding).

Nothing here builds an index or prints: :func:`report_paths` reads, :meth:`ParseReport.
to_dict` is the JSON shape, :func:`report_lines` the text a terminal shows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from search.articles import iter_files, read_path
from search.readers.dates import DateOrder, parse_date, read_labelled_date
from search.readers.pages import furniture_label, read_reading_time
from search.records import TAG_FIELDS, Article, Note, Skip

__all__ = ["CHECKS", "FIELDS", "KEEP_PATHS", "Check", "ParseReport", "report_lines", "report_paths"]

#: Per finding (a skip reason, a suspect check), the paths kept to show; the count is exact.
KEEP_PATHS = 1000
#: Notes (unknown JSON Lines keys and the like) kept; the count is exact.
KEEP_NOTES = 1000
#: A title longer than this is likely a paragraph taken for the headline.
LONG_TITLE = 250

#: The fields whose fill rate is reported, and how to tell one is filled.
FIELDS: tuple[tuple[str, Callable[[Article], bool]], ...] = (
    ("title", lambda a: bool(a.title)),
    ("published", lambda a: a.published is not None),
    ("crawled", lambda a: a.crawled is not None),
    ("reading_minutes", lambda a: a.reading_minutes is not None),
    ("section", lambda a: bool(a.section)),
    ("source", lambda a: bool(a.source)),
    ("standfirst", lambda a: bool(a.standfirst)),
    ("body", lambda a: bool(a.body)),
    ("related", lambda a: bool(a.related)),
    ("previous_title", lambda a: bool(a.previous_title)),
    ("next_title", lambda a: bool(a.next_title)),
    ("url", lambda a: bool(a.url)),
    *((attr, (lambda a, attr=attr: bool(getattr(a, attr)))) for _, attr in TAG_FIELDS),
)


def _looks_like_date(title: str) -> bool:
    return parse_date(title) is not None or read_labelled_date(title) is not None


@dataclass(frozen=True)
class Check:
    """One sign that a page may have been misread."""

    name: str
    description: str
    test: Callable[[Article, date], bool]


#: The checks run on every article (``today`` is the day of the run). The sections and
#: sources seen only once are found at the end, over all of them.
CHECKS: tuple[Check, ...] = (
    Check("title_is_date", "the title reads as a date", lambda a, t: _looks_like_date(a.title)),
    Check(
        "title_is_reading_time",
        "the title reads as a reading time",
        lambda a, t: read_reading_time(a.title) is not None,
    ),
    Check(
        "title_is_label",
        "the title is a page-furniture label",
        lambda a, t: furniture_label(a.title) is not None,
    ),
    Check(
        "title_too_long",
        f"the title is over {LONG_TITLE} characters (a paragraph taken for the headline?)",
        lambda a, t: len(a.title) > LONG_TITLE,
    ),
    Check("no_standfirst", "no standfirst", lambda a, t: not a.standfirst),
    Check("no_body", "no body", lambda a, t: not a.body),
    Check("one_paragraph_body", "a one-paragraph body", lambda a, t: len(a.body) == 1),
    Check(
        "date_in_future",
        "a date after the day of this report",
        lambda a, t: a.published > t or (a.crawled is not None and a.crawled > t),
    ),
    Check(
        "date_before_1900",
        "a date before 1900",
        lambda a, t: a.published.year < 1900 or (a.crawled is not None and a.crawled.year < 1900),
    ),
    Check(
        "published_after_crawled",
        "published after the page was scraped",
        lambda a, t: a.crawled is not None and a.published > a.crawled,
    ),
)
#: The checks found over the whole run.
LONE_CHECKS: tuple[tuple[str, str], ...] = (
    ("lone_section", "a section seen on only one page"),
    ("lone_source", "a source seen on only one page"),
)


def skip_kind(reason: str) -> str:
    """A skip reason without its particulars (sizes, line numbers, quoted values), so that
    skips of one kind are counted together."""
    kind = re.sub(r"\s*\(.*\)", "", reason)  # "(1,234 bytes)", "(… line 1 column 2 (char 1))"
    kind = re.sub(r"\d[\d,.]*", "N", kind)
    return kind.strip() or reason


@dataclass
class _Finding:
    """A count, and the first places it was seen: a path, and the article's id where
    the finding is about an article (a JSON Lines or Reuters file holds many)."""

    count: int = 0
    items: list[dict[str, str]] = field(default_factory=list)

    def add(self, path: str, article_id: str | None = None) -> None:
        self.count += 1
        if len(self.items) < KEEP_PATHS:
            self.items.append(
                {"path": path} if article_id is None else {"path": path, "id": article_id}
            )

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "items": self.items, "truncated": self.count > len(self.items)}


class _Range:
    """The first and last of a stream of dates."""

    def __init__(self) -> None:
        self.first: date | None = None
        self.last: date | None = None

    def add(self, d: date | None) -> None:
        if d is None:
            return
        if self.first is None or d < self.first:
            self.first = d
        if self.last is None or d > self.last:
            self.last = d

    def to_dict(self) -> dict[str, str | None]:
        return {
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
        }


class ParseReport:
    """What a run of the readers produced, gathered one record at a time."""

    def __init__(self, today: date | None = None) -> None:
        self.today = today or date.today()
        self.files = 0
        self.read = 0
        self.skipped = 0
        self.unreadable = 0
        self.skips: dict[str, _Finding] = {}
        self.notes: list[dict[str, str]] = []
        self.note_count = 0
        self.filled = Counter[str]()
        self.published = _Range()
        self.crawled = _Range()
        self.sections = Counter[str]()
        self.sources = Counter[str]()
        # The first article of each section and source: the one to open when it is alone.
        self._first: dict[tuple[str, str], tuple[str, str]] = {}
        self.suspects: dict[str, _Finding] = {c.name: _Finding() for c in CHECKS}

    def add_file(self) -> None:
        self.files += 1

    def add(self, item: Article | Skip | Note) -> None:
        if isinstance(item, Article):
            self._add_article(item)
        elif isinstance(item, Skip):
            self.skipped += 1
            self.unreadable += item.unreadable
            self.skips.setdefault(skip_kind(item.reason), _Finding()).add(item.path)
        else:
            self.note_count += 1
            if len(self.notes) < KEEP_NOTES:
                self.notes.append({"path": item.path, "message": item.message})

    def _add_article(self, a: Article) -> None:
        self.read += 1
        for name, filled in FIELDS:
            if filled(a):
                self.filled[name] += 1
        self.published.add(a.published)
        self.crawled.add(a.crawled)
        for kind, counter, value in (
            ("section", self.sections, a.section),
            ("source", self.sources, a.source),
        ):
            if value:
                counter[value] += 1
                self._first.setdefault((kind, value), (a.path, a.id))
        for check in CHECKS:
            if check.test(a, self.today):
                self.suspects[check.name].add(a.path, a.id)

    def _lone(self) -> dict[str, _Finding]:
        out = {}
        for (name, _), kind, counter in zip(
            LONE_CHECKS, ("section", "source"), (self.sections, self.sources), strict=True
        ):
            found = _Finding()
            for value in sorted(v for v, n in counter.items() if n == 1):
                found.add(*self._first[(kind, value)])
            out[name] = found
        return out

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON: ``parse --report --json``."""
        descriptions = {c.name: c.description for c in CHECKS} | dict(LONE_CHECKS)
        suspects = self.suspects | self._lone()
        return {
            "files": self.files,
            "read": self.read,
            "skipped": self.skipped,
            "unreadable": self.unreadable,
            "skip_reasons": [
                {"reason": reason, **found.to_dict()}
                for reason, found in sorted(self.skips.items(), key=lambda kv: -kv[1].count)
            ],
            "notes": {"count": self.note_count, "items": self.notes},
            "fields": {
                name: {
                    "filled": self.filled[name],
                    "rate": round(self.filled[name] / self.read, 4) if self.read else 0.0,
                }
                for name, _ in FIELDS
            },
            "dates": {"published": self.published.to_dict(), "crawled": self.crawled.to_dict()},
            "sections": _counted(self.sections),
            "sources": _counted(self.sources),
            "suspect": [
                {"check": name, "description": descriptions[name], **found.to_dict()}
                for name, found in suspects.items()
            ],
            "today": self.today.isoformat(),
        }


def _counted(counter: Counter[str]) -> list[dict[str, Any]]:
    return [
        {"name": k, "count": n} for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def report_paths(
    paths: Iterable[Path],
    fmt: str = "auto",
    date_order: DateOrder = "dmy",
    today: date | None = None,
) -> ParseReport:
    """Read every article under ``paths`` as a build would, and report on what was read."""
    report = ParseReport(today)
    for item in iter_files(paths, fmt):
        if isinstance(item, Skip):
            report.add(item)
            continue
        report.add_file()
        for record in read_path(item, fmt, date_order, notes=True):
            report.add(record)
    return report


# ------------------------------------------------------------------------ text

#: In the text report, at most this many sections, sources and paths per finding.
SHOWN = 10


def _places(found: dict[str, Any]) -> Iterator[str]:
    """The first places of a finding: a page by its path, an article in a file of many
    by its path and id."""
    for item in found["items"][:SHOWN]:
        article_id = item.get("id")
        if article_id is None or Path(item["path"]).stem == article_id:
            yield f"           {item['path']}"
        else:
            yield f"           {item['path']}  [id {article_id}]"
    shown = min(SHOWN, len(found["items"]))
    if found["count"] > shown:
        more = found["count"] - shown
        yield f"           … and {more:,} more (--json lists up to {KEEP_PATHS:,})"


def report_lines(d: dict[str, Any]) -> Iterator[str]:
    """The report (as :meth:`ParseReport.to_dict` gives it) for a terminal."""
    read, skipped = d["read"], d["skipped"]
    yield (
        f"{d['files']:,} file{'s' if d['files'] != 1 else ''}: {read:,} "
        f"article{'s' if read != 1 else ''} read, {skipped:,} skipped"
        + (f" ({d['unreadable']:,} could not be read)" if d["unreadable"] else "")
    )
    if d["skip_reasons"]:
        yield ""
        yield "Skipped"
        for s in d["skip_reasons"]:
            yield f"  {s['count']:>7,}  {s['reason']}"
            yield from _places(s)
    if d["notes"]["count"]:
        yield ""
        yield "Notes"
        for n in d["notes"]["items"][:SHOWN]:
            yield f"  {n['path']}: {n['message']}"
        if d["notes"]["count"] > SHOWN:
            yield f"  … and {d['notes']['count'] - SHOWN:,} more notes (--json)"
    if not read:
        return
    yield ""
    yield f"Fields (filled, of {read:,} article{'s' if read != 1 else ''})"
    for name, f in d["fields"].items():
        yield f"  {name:<16}{f['filled']:>9,}  {f['rate'] * 100:6.1f}%"
    yield ""
    yield "Dates"
    for name in ("published", "crawled"):
        r = d["dates"][name]
        yield f"  {name:<16}{r['first'] or '-'} … {r['last'] or '-'}"
    for title, rows in (("Sections", d["sections"]), ("Sources", d["sources"])):
        yield ""
        yield f"{title} ({len(rows):,})"
        for row in rows[:SHOWN]:
            yield f"  {row['count']:>7,}  {row['name']}"
        if len(rows) > SHOWN:
            yield f"    … and {len(rows) - SHOWN:,} more (--json lists them all)"
    found = [s for s in d["suspect"] if s["count"]]
    yield ""
    yield "Look at these" if found else "Nothing looks misread"
    for s in found:
        yield f"  {s['count']:>7,}  {s['description']}"
        yield from _places(s)
