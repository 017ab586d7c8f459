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

import numpy as np
import numpy.typing as npt
from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from search.backends.whoosh import columns
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

SCORED_FIELDS = columns.SCORED_FIELDS
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
        cols = columns.read(gen, toc_gen)
        if cols is None:  # an index of an earlier version, or an update not yet done
            cols = columns.compute(searcher, read_stories(gen, toc_gen))
        day = _ints(cols.day)
        ym = _ints(cols.ym)
        n_all = len(day)
        if len(cols.deleted):
            keep = np.ones(n_all, dtype=bool)
            keep[cols.deleted] = False
            live_arr = np.flatnonzero(keep).astype(np.int32)
        else:
            live_arr = np.arange(n_all, dtype=np.int32)
        live = live_arr.tolist()
        day_np = np.asarray(cols.day)
        # Newest first; among one day's articles, the later document first.
        by_date_desc = live_arr[np.lexsort((live_arr, day_np[live_arr]))][::-1].tolist()
        lengths = FieldLengths.of(cols.lengths, cols.average)
        live_set = frozenset(live)
        deleted = frozenset(cols.deleted.tolist())
        posting_cache = PostingCache()
        tag_sets = _tag_sets(cols, deleted)
        story_of, story_sets = _stories(cols, live_arr)
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
        section=_ints(cols.section),
        section_names=cols.section_names,
        source=_ints(cols.source),
        source_names=cols.source_names,
        live=live,
        by_date_desc=by_date_desc,
        live_set=live_set,
        term_cache=TermSetCache(
            postings=posting_cache, deleted=deleted, phrases=TermSetCache(max_items=400_000)
        ),
        posting_cache=posting_cache,
        ym_sets=_groups(live_arr, cols.ym),
        section_sets=_groups(live_arr, cols.section),
        tag_sets=tag_sets,
        story_of=story_of,
        story_sets=story_sets,
        lexicon=Lexicon(reader, cols.words),
        _lengths=lengths,
        summary=summary,
    )


def _ints(values: Any) -> array[int]:
    """A column as a Python array of ints (quick to index one document at a time)."""
    out = array("i")
    out.frombytes(np.ascontiguousarray(values, dtype=np.int32).tobytes())
    return out


def _stories(
    cols: columns.Columns, live: npt.NDArray[np.int32]
) -> tuple[dict[int, str], dict[str, frozenset[int]]]:
    """The stories with more than one live article: story per document, and members."""
    story = np.asarray(cols.story)[live]
    clustered = story >= 0
    docs, stories = live[clustered], story[clustered]
    order = np.argsort(stories, kind="stable")
    docs, stories = docs[order], stories[order]
    story_of: dict[int, str] = {}
    sets: dict[str, frozenset[int]] = {}
    if not len(stories):
        return story_of, sets
    starts = np.flatnonzero(np.r_[True, stories[1:] != stories[:-1]]).tolist()
    bounds = [*starts, len(stories)]
    for i, start in enumerate(bounds[:-1]):
        end = bounds[i + 1]
        if end - start < 2:
            continue
        name = cols.story_names[int(stories[start])]
        members = docs[start:end].tolist()
        sets[name] = frozenset(members)
        story_of.update(dict.fromkeys(members, name))
    return story_of, sets


def _tag_sets(
    cols: columns.Columns, deleted: frozenset[int]
) -> dict[str, dict[str, frozenset[int]]]:
    """The live documents of every metadata value."""
    out: dict[str, dict[str, frozenset[int]]] = {}
    for kind, values in cols.tag_sets().items():
        for value, docs in values.items():
            members = frozenset(docs.tolist()) - deleted if deleted else frozenset(docs.tolist())
            if members:
                out.setdefault(kind, {})[value] = members
    return out


def _groups(live: npt.NDArray[np.int32], column: Any) -> dict[int, frozenset[int]]:
    """The live documents of each value of a column."""
    values = np.asarray(column)[live]
    order = np.argsort(values, kind="stable")
    docs, values = live[order], values[order]
    if not len(values):
        return {}
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    bounds = [*starts.tolist(), len(values)]
    return {
        int(values[bounds[i]]): frozenset(docs[bounds[i] : bounds[i + 1]].tolist())
        for i in range(len(bounds) - 1)
    }


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
