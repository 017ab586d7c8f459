"""Read the index: open the live generation once, keep its searcher and its columns.

A :class:`Snapshot` is one consistent view of the index: a Whoosh searcher plus the
per-article columns (day, year-month, section, source) read into memory, indexed by
Whoosh document number. Date filters, date sorts and facet counts are computed from
these columns over the matching document numbers, instead of through Whoosh's
term-based ranges and ``groupedby`` facets, which walk Python matchers per query.

An :class:`IndexStore` hands out the current snapshot and notices when the index has
changed (a build switched ``current`` to a new generation, or an update committed a
new table of contents), so a long-lived process sees the new index on its next call
without a restart. Snapshots are immutable; an old one stays valid for whoever holds it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import time
from array import array
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from search.backends.whoosh.matching import TermSetCache
from search.backends.whoosh.ranking import FieldLengths, PostingCache
from search.backends.whoosh.schema import SCHEMA_VERSION
from search.errors import IndexCorrupt, IndexMissing, NotFound
from search.labels import Labels, read_labels
from search.layout import CURRENT, current_generation, day_date, read_summary
from search.spelling import Lexicon
from search.stories import read_stories

__all__ = ["IndexStore", "Snapshot", "default_location", "open_store"]

log = logging.getLogger("news_search")

#: Whoosh stores a datetime as microseconds since ``datetime.min``.
_US_PER_DAY = 86_400 * 1_000_000
SCORED_FIELDS = ("title", "standfirst", "body")
#: While the index on disk cannot be opened, how often to try again.
RETRY_SECONDS = 1.0


def default_location() -> Path:
    """``$NEWS_SEARCH_INDEX``, or ``./index``."""
    return Path(os.environ.get("NEWS_SEARCH_INDEX") or "index")


@dataclass
class Snapshot:
    """One consistent, read-only view of the live index."""

    location: Path
    generation: str
    toc_generation: int
    searcher: Searcher
    #: Day number (``date.toordinal()``) per document number.
    day: array[int]
    #: year*100+month per document number.
    ym: array[int]
    #: Index into ``section_names`` per document number.
    section: array[int]
    section_names: list[str]
    source: array[int]
    source_names: list[str]
    #: Live (not deleted) document numbers, ascending.
    live: list[int]
    #: Live document numbers, newest first (ties: later document first).
    by_date_desc: list[int]
    #: The same, as a set (the universe for NOT and for browsing).
    live_set: frozenset[int] = frozenset()
    #: Posting sets of recently used terms (see search.matching).
    term_cache: TermSetCache = field(default_factory=TermSetCache)
    #: The index's words for "did you mean" and fuzzy terms (loaded on first use).
    lexicon: Lexicon | None = None
    #: Document numbers per year-month and per section (for facet counts of big sets).
    ym_sets: dict[int, frozenset[int]] = field(default_factory=dict)
    section_sets: dict[int, frozenset[int]] = field(default_factory=dict)
    #: Live document numbers per metadata value: {"topic": {"coffee": {...}}, ...}.
    tag_sets: dict[str, dict[str, frozenset[int]]] = field(default_factory=dict)
    #: Near-duplicate clusters (search.stories): story id per document number (only
    #: documents that have copies), and the live documents of each story.
    story_of: dict[int, str] = field(default_factory=dict)
    story_sets: dict[str, frozenset[int]] = field(default_factory=dict)
    #: Decoded postings of recently ranked terms (see search.ranking).
    posting_cache: PostingCache = field(default_factory=PostingCache)
    _lengths: FieldLengths | None = None

    def field_lengths(self) -> FieldLengths:
        """Per-document field lengths for ranking, read on first use."""
        if self._lengths is None:
            self._lengths = FieldLengths(self.searcher, SCORED_FIELDS)
        return self._lengths

    summary: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def labels(self) -> Labels:
        """The names of the metadata codes (search/labels.py), from the summary."""
        return read_labels(self.summary.get("labels"))

    @property
    def doc_count(self) -> int:
        return len(self.live)

    def docnum_for(self, article_id: str) -> int:
        """The document number of an article id, or raise :class:`NotFound`."""
        docnum = self.searcher.document_number(id=article_id)
        if docnum is None:
            raise NotFound(f"no article with id {article_id!r}")
        return int(docnum)

    def stored(self, docnum: int) -> dict[str, Any]:
        return dict(self.searcher.stored_fields(docnum))

    def date_range(self) -> tuple[date, date] | None:
        if not self.live:
            return None
        return day_date(self.day[self.by_date_desc[-1]]), day_date(self.day[self.by_date_desc[0]])

    def close(self) -> None:
        self.searcher.close()


def _intern(values: list[str], names: list[str], index: dict[str, int]) -> array[int]:
    out = array("i")
    for v in values:
        i = index.get(v)
        if i is None:
            i = index[v] = len(names)
            names.append(v)
        out.append(i)
    return out


def _load_snapshot(location: Path) -> Snapshot:
    gen = current_generation(location)
    try:
        ix = whoosh_index.open_dir(str(gen))
        toc_gen = ix.latest_generation()
        searcher = ix.searcher()
        # The table of contents the searcher read (an update may have committed another
        # since latest_generation() looked): its story groups are the ones that agree.
        opened = searcher.reader().generation()
        if isinstance(opened, int) and opened >= 0:
            toc_gen = opened
    except whoosh_index.EmptyIndexError as e:
        raise IndexCorrupt(str(location), "no table of contents in the live generation") from e
    except Exception as e:  # a damaged index raises many kinds of error inside Whoosh
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise IndexCorrupt(str(location), detail) from e
    try:
        reader = searcher.reader()
        day = array("i")
        ym = array("i")
        section_names: list[str] = []
        source_names: list[str] = []
        section_ix: dict[str, int] = {}
        source_ix: dict[str, int] = {}
        section = array("i")
        source = array("i")
        for seg, _offset in reader.leaf_readers():
            n = seg.doc_count_all()
            if n == 0:  # an empty index has one reader with no columns
                continue
            pub = seg.column_reader("published", translate=False)
            yms = seg.column_reader("ym", translate=True)
            day.extend(int(v) // _US_PER_DAY + 1 if v else 0 for v in (pub[i] for i in range(n)))
            ym.extend(int(yms[i]) for i in range(n))
            secs = seg.column_reader("section", translate=True)
            srcs = seg.column_reader("source", translate=True)
            section.extend(_intern([secs[i] or "" for i in range(n)], section_names, section_ix))
            source.extend(_intern([srcs[i] or "" for i in range(n)], source_names, source_ix))
        live = sorted(reader.all_doc_ids())
        by_date_desc = sorted(live, key=lambda d: (day[d], d), reverse=True)
        # Read now, not on first use: an update may delete this generation's old segment
        # files once a newer table of contents is written.
        lengths = FieldLengths(searcher, SCORED_FIELDS)
        live_set = frozenset(live)
        deleted = frozenset(range(len(day))) - live_set if len(live) < len(day) else frozenset()
        posting_cache = PostingCache()
        tag_sets = _tag_sets(reader, deleted)
        story_of, story_sets = _stories(searcher, gen, toc_gen, deleted)
        summary = read_summary(gen)
    except IndexCorrupt:  # a control file that is a link (UnsafeIndex): said as it is
        searcher.close()
        raise
    except Exception as e:
        searcher.close()
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise IndexCorrupt(str(location), detail) from e
    built_with = summary.get("schema_version")
    if built_with is not None and built_with != SCHEMA_VERSION:
        log.warning(
            "the index at %s was built with schema %s and this version reads schema %s: "
            "words may not match until it is rebuilt (`news-search index rebuild`)",
            location,
            built_with,
            SCHEMA_VERSION,
            extra={"event": "index_schema_mismatch"},
        )
    return Snapshot(
        location=location,
        generation=gen.name,
        toc_generation=toc_gen,
        searcher=searcher,
        day=day,
        ym=ym,
        section=section,
        section_names=section_names,
        source=source,
        source_names=source_names,
        live=live,
        by_date_desc=by_date_desc,
        live_set=live_set,
        term_cache=TermSetCache(
            postings=posting_cache, deleted=deleted, phrases=TermSetCache(max_items=400_000)
        ),
        posting_cache=posting_cache,
        ym_sets=_groups(live, ym),
        section_sets=_groups(live, section),
        tag_sets=tag_sets,
        story_of=story_of,
        story_sets=story_sets,
        lexicon=Lexicon(reader),
        _lengths=lengths,
        summary=summary,
    )


def _stories(
    searcher: Searcher, gen: Path, toc_generation: int, deleted: frozenset[int]
) -> tuple[dict[int, str], dict[str, frozenset[int]]]:
    """The clusters of the table of contents read, by document number (articles gone
    since are left out)."""
    story_of: dict[int, str] = {}
    members: dict[str, set[int]] = {}
    for article_id, story in read_stories(gen, toc_generation).items():
        docnum = searcher.document_number(id=article_id)
        if docnum is not None and docnum not in deleted:
            story_of[docnum] = story
            members.setdefault(story, set()).add(docnum)
    sets = {story: frozenset(ds) for story, ds in members.items() if len(ds) > 1}
    return {d: s for d, s in story_of.items() if s in sets}, sets


def _tag_sets(reader: Any, deleted: frozenset[int]) -> dict[str, dict[str, frozenset[int]]]:
    """The live documents of every "kind:value" term of the tags field."""
    out: dict[str, dict[str, frozenset[int]]] = {}
    if "tags" not in reader.schema or not reader.doc_count_all():
        return out
    for btext in reader.lexicon("tags"):
        term = btext.decode("utf-8")
        kind, _, value = term.partition(":")
        docs = frozenset(reader.postings("tags", term).all_ids()) - deleted
        if docs:
            out.setdefault(kind, {})[value] = docs
    return out


def _groups(live: list[int], column: array[int]) -> dict[int, frozenset[int]]:
    groups: dict[int, list[int]] = {}
    for d in live:
        groups.setdefault(column[d], []).append(d)
    return {v: frozenset(ds) for v, ds in groups.items()}


def _fingerprint(location: Path) -> tuple[str, int]:
    """(live generation, Whoosh TOC generation): changes whenever the index does."""
    link = location / CURRENT
    try:
        target = os.readlink(link)
    except OSError as e:
        raise IndexMissing(str(location)) from e
    best = -1
    try:
        for name in os.listdir(location / target):
            if name.startswith("_MAIN_") and name.endswith(".toc"):
                with contextlib.suppress(ValueError):
                    best = max(best, int(name[6:-4]))
    except OSError as e:
        raise IndexCorrupt(str(location), f"'{CURRENT}' points to a missing {target}") from e
    return target, best


class IndexStore:
    """An index location, opened once and reused; reopened when the index changes."""

    def __init__(self, location: str | Path | None = None) -> None:
        self.location = Path(location) if location is not None else default_location()
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        #: Why the index on disk could not be opened while an older snapshot answers.
        self.stale_error: IndexMissing | IndexCorrupt | None = None
        self._retry_at = 0.0

    def snapshot(self) -> Snapshot:
        """The current snapshot, reloaded if the index changed since the last call.

        If the index on disk cannot be opened (a damaged or vanished generation) but an
        earlier snapshot is in memory, that one keeps answering, :attr:`stale_error`
        says why, and a reload is tried again at most once a second. With no earlier
        snapshot, the error is raised.
        """
        snap = self._snapshot
        if snap is not None and self.stale_error is not None and time.monotonic() < self._retry_at:
            return snap
        with self._lock:
            snap = self._snapshot
            try:
                fp = _fingerprint(self.location)
                if snap is not None and (snap.generation, snap.toc_generation) == fp:
                    self.stale_error = None
                    return snap
                # The previous snapshot is not closed here: a request may still be using
                # it. Its files are released when the last reference goes.
                fresh = _load_snapshot(self.location)
            except (IndexMissing, IndexCorrupt) as e:
                if snap is None:
                    raise
                if self.stale_error is None or str(self.stale_error) != str(e):
                    log.warning(
                        "%s; still serving %s from memory",
                        e,
                        snap.generation,
                        extra={"event": "index_stale"},
                    )
                self.stale_error = e
                self._retry_at = time.monotonic() + RETRY_SECONDS
                return snap
            self._snapshot = fresh
            self.stale_error = None
            return fresh

    def close(self) -> None:
        if self._snapshot is not None:
            self._snapshot.close()
            self._snapshot = None


_STORES: dict[str, IndexStore] = {}
_STORES_LOCK = threading.Lock()


def open_store(location: str | Path | IndexStore | None = None) -> IndexStore:
    """The process-wide store for a location (one open index per location)."""
    if isinstance(location, IndexStore):
        return location
    path = Path(location) if location is not None else default_location()
    key = os.path.abspath(path)
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = IndexStore(path)
        return store
