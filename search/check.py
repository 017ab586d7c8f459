"""``news-search index check``: is the live index whole, and does it answer?

Each check is read from disk afresh (not from a process's cached snapshot):

- **opens**: the live generation, its table of contents, every segment and the
  in-memory columns load;
- **summary**: the summary the last build or update wrote agrees with the index
  (schema version, article count);
- **stored**: every article's stored fields can be read, and ids are unique;
- **stories**: the story groups (near-duplicates) recorded for the live table of
  contents are there and name only articles the index holds; groups an earlier version
  wrote without a table-of-contents number (which an update killed after its commit
  could leave behind) are computed again from the articles' sketches and compared;
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

from search.analysis import WORD
from search.backends.whoosh.schema import SCHEMA_VERSION
from search.backends.whoosh.store import IndexStore
from search.errors import NewsSearchError
from search.indexing import _day_of
from search.layout import LOCK_FILE, day_date, writer_holding
from search.querying import search
from search.stories import (
    STORIES_FILE,
    Sketch,
    cluster,
    decode,
    has_stories,
    read_stories,
    stories_file,
)

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
        sketches = _stored(report, snap)
        _stories(report, snap, sketches)
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


def _stored(report: CheckReport, snap: Any) -> list[Sketch] | None:
    """Check the stored fields; return every article's sketch (None if unreadable)."""
    ids: set[str] = set()
    sketches: list[Sketch] = []
    try:
        for docnum in snap.live.tolist():
            fields = snap.stored(docnum)
            art_id = fields.get("id")
            if not art_id or art_id in ids:
                report.add("stored", False, f"document {docnum} has a missing or repeated id")
                return None
            ids.add(art_id)
            sketches.append(
                Sketch(art_id, _day_of(fields.get("published")), decode(fields.get("sketch")))
            )
    except Exception as e:  # a damaged stored-fields file raises what Whoosh raises
        report.add("stored", False, f"stored fields cannot be read ({type(e).__name__}: {e})")
        return None
    report.add("stored", True, f"{_n(len(ids), 'article')} readable, ids unique")
    return sketches


def _stories(report: CheckReport, snap: Any, sketches: list[Sketch] | None) -> None:
    if sketches is None:
        return
    gen = snap.location / snap.generation
    toc = snap.toc_generation
    repair = "an update rewrites them (`news-search index update PATH`, even with nothing new)"
    try:
        dated = has_stories(gen, toc)
        legacy = not dated and os.path.isfile(gen / STORIES_FILE)
        recorded = read_stories(gen, toc)
    except NewsSearchError as e:  # a story file that is a link
        report.add("stories", False, str(e))
        return
    if not dated and not legacy:
        report.add(
            "stories", False, f"no story groups for table of contents {toc} "
            f"({stories_file(toc)} is missing): search shows no versions; {repair}",
        )  # fmt: skip
        return
    ids = {s.id for s in sketches}
    unknown = sum(1 for art_id in recorded if art_id not in ids)
    if unknown:
        report.add(
            "stories", False, f"the story groups name {_n(unknown, 'article')} the index "
            f"does not hold: they are out of date; {repair}",
        )  # fmt: skip
        return
    if legacy:
        # Written by an earlier version after its commit: compute them again to compare.
        expected = cluster(sketches)
        keys = expected.keys() | recorded.keys()
        wrong = sum(1 for k in keys if expected.get(k) != recorded.get(k))
        if wrong:
            report.add(
                "stories", False, f"the story groups ({STORIES_FILE}) are out of date: "
                f"{_n(wrong, 'article')} grouped otherwise than their texts say; {repair}",
            )  # fmt: skip
            return
    stories = len(set(recorded.values()))
    source = STORIES_FILE + ", of an earlier version" if legacy else stories_file(toc)
    in_them = _n(len(recorded), "article")
    noun = "story" if stories == 1 else "stories"
    report.add("stories", True, f"{stories:,} {noun} with copies, {in_them} in them ({source})")


def _canary(report: CheckReport, store: IndexStore, snap: Any) -> None:
    if not len(snap.live):
        report.add("canary", True, "the index is empty: nothing to look for")
        return
    live = snap.live.tolist()
    picks = sorted({live[0], live[len(live) // 2], live[-1]})[:CANARIES]
    found = 0
    for docnum in picks:
        stored = snap.stored(docnum)
        # Every word of the title (lower case: never read as an operator), on its day.
        words = sorted({w.lower() for w in WORD.findall(stored.get("title") or "")}, key=len)
        query = " ".join(words[-8:])
        day = int(snap.day[docnum])
        when = day_date(day).isoformat() if day else None
        page = search(query, date_from=when, date_to=when, per_page=100, index=store)
        # A copy of a story may be shown as another version's hit ("N more versions").
        story = snap.story_name(docnum)
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
