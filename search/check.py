"""``news-search index check``: is the live index whole, and does it answer?

Each check is read from disk afresh (not from a process's cached snapshot):

- **opens**: the live generation, its table of contents, every segment and the
  in-memory columns load;
- **summary**: the summary the last build or update wrote agrees with the index
  (schema version, article count);
- **stored**: every article's stored fields can be read, and ids are unique;
- **canary**: a few articles spread over the index are found again by a word of their
  title on their own day, through the same ``search()`` that serves readers;
- **writer**: whether a build or update holds the lock right now (a backup or copy
  of the folder is consistent only when none does), and that the lock is not a link
  (every writer would refuse the folder).
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from search.errors import NewsSearchError
from search.indexing import LOCK_FILE, writer_holding
from search.querying import search
from search.schema import SCHEMA_VERSION, WORD
from search.store import IndexStore, day_date

__all__ = ["Check", "CheckReport", "check_index"]

#: Articles looked up by the canary query.
CANARIES = 3


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class CheckReport:
    location: str
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def to_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "checks": [asdict(c) for c in self.checks],
        }


def check_index(location: str | Path) -> CheckReport:
    """Run every check on the index at ``location``; never raises for a bad index."""
    loc = Path(location)
    report = CheckReport(os.path.abspath(loc))
    started = time.perf_counter()
    holder = writer_holding(loc)
    store = IndexStore(loc)
    try:
        snap = store.snapshot()
    except NewsSearchError as e:
        report.add("opens", False, str(e))
        _writer(report, loc, holder)
        report.seconds = time.perf_counter() - started
        return report
    try:
        segments = len(list(snap.searcher.reader().leaf_readers()))
        report.add(
            "opens",
            True,
            f"{snap.generation}: {_n(snap.doc_count, 'article')} in {_n(segments, 'segment')}",
        )
        _summary(report, snap.summary, snap.doc_count, snap.toc_generation)
        _stored(report, snap)
        _canary(report, store, snap)
        _writer(report, loc, holder)
    finally:
        store.close()
    report.seconds = time.perf_counter() - started
    return report


def _summary(report: CheckReport, summary: dict[str, Any], articles: int, toc: int) -> None:
    recorded = summary.get("toc_generation")
    if summary and recorded is not None and recorded != toc:
        # An update committed and was stopped before it rewrote the summary: the
        # index is whole; the next update writes the summary again.
        report.add(
            "summary", True, f"written before the last commit (table of contents {recorded}, "
            f"now {toc}): an update was interrupted after committing; the next one rewrites it",
        )  # fmt: skip
    elif not summary:
        report.add("summary", False, "no summary file: the last build did not finish writing it")
    elif summary.get("schema_version") != SCHEMA_VERSION:
        report.add(
            "summary",
            False,
            f"schema version {summary.get('schema_version')}, this program writes "
            f"{SCHEMA_VERSION}: rebuild with `news-search index rebuild`",
        )
    elif summary.get("articles") != articles:
        report.add(
            "summary", False, f"the summary says {summary.get('articles')} articles, the index "
            f"holds {articles:,}",
        )  # fmt: skip
    else:
        report.add("summary", True, f"{_n(articles, 'article')}, as recorded")


def _stored(report: CheckReport, snap: Any) -> None:
    ids: set[str] = set()
    try:
        for docnum in snap.live:
            art_id = snap.stored(docnum).get("id")
            if not art_id or art_id in ids:
                report.add("stored", False, f"document {docnum} has a missing or repeated id")
                return
            ids.add(art_id)
    except Exception as e:  # a damaged stored-fields file raises what Whoosh raises
        report.add("stored", False, f"stored fields cannot be read ({type(e).__name__}: {e})")
        return
    report.add("stored", True, f"{_n(len(ids), 'article')} readable, ids unique")


def _canary(report: CheckReport, store: IndexStore, snap: Any) -> None:
    if not snap.live:
        report.add("canary", True, "the index is empty: nothing to look for")
        return
    live = snap.live
    picks = sorted({live[0], live[len(live) // 2], live[-1]})[:CANARIES]
    found = 0
    for docnum in picks:
        stored = snap.stored(docnum)
        # Every word of the title (lower case: never read as an operator), on its day.
        words = sorted({w.lower() for w in WORD.findall(stored.get("title") or "")}, key=len)
        query = " ".join(words[-8:])
        day = snap.day[docnum]
        when = day_date(day).isoformat() if day else None
        page = search(query, date_from=when, date_to=when, per_page=100, index=store)
        # A copy of a story may be shown as another version's hit ("N more versions").
        story = snap.story_of.get(docnum)
        if any(hit.id == stored["id"] or (story and hit.story == story) for hit in page.hits):
            found += 1
        else:
            report.add(
                "canary", False, f"{query!r} on {when} did not find article {stored['id']!r}"
            )
            return
    report.add("canary", True, f"{found} of {_n(len(picks), 'article')} found again by title")


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _writer(report: CheckReport, location: Path, holder: int | None) -> None:
    lock = location / LOCK_FILE
    try:
        st = os.lstat(lock)
    except OSError:
        st = None
    if st is not None and (not stat.S_ISREG(st.st_mode) or st.st_nlink != 1):
        what = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a plain file of its own"
        report.add(
            "writer", False, f"the writer lock {LOCK_FILE} is {what}: every build and "
            "update refuses this folder until it is removed",
        )  # fmt: skip
        return
    if holder is None:
        report.add("writer", True, "no build or update is running")
    else:
        report.add(
            "writer", True, f"a build or update is running (pid {holder}, lock {LOCK_FILE}); "
            "the live index is safe to query but not to copy until it ends",
        )  # fmt: skip
