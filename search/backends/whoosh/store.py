"""Read the index: open the live generation once, keep its searcher and its columns.

A :class:`Snapshot` is one consistent view of the index: a Whoosh searcher plus the
per-article columns (day, year-month, section, source, story, field lengths, the
documents of each metadata value) as NumPy arrays indexed by Whoosh document number,
mapped from the files the writer put beside the segments
(search/backends/whoosh/columns.py), so that every worker shares their pages. Date
filters, date sorts and facet counts are computed from them over the matching
document numbers (search.docsets), instead of through Whoosh's term-based ranges and
``groupedby`` facets, which walk Python matchers per query.

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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from search.backends.whoosh import columns
from search.backends.whoosh.mapped import Frequencies, MappedPostings
from search.backends.whoosh.matching import TermSetCache
from search.backends.whoosh.ranking import FieldLengths, PostingCache
from search.backends.whoosh.schema import SCHEMA_VERSION
from search.docsets import EMPTY, Ids
from search.errors import IndexCorrupt, IndexMissing, NotFound
from search.labels import Labels, read_labels
from search.layout import CURRENT, current_generation, day_date, read_summary
from search.spelling import Lexicon
from search.stories import read_stories

__all__ = ["IndexStore", "Snapshot", "Stories", "TagKind", "default_location", "open_store"]

log = logging.getLogger("news_search")

SCORED_FIELDS = columns.SCORED_FIELDS
#: While the index on disk cannot be opened, how often to try again.
RETRY_SECONDS = 1.0


def default_location() -> Path:
    """``$NEWS_SEARCH_INDEX``, or ``./index``."""
    return Path(os.environ.get("NEWS_SEARCH_INDEX") or "index")


Ints = npt.NDArray[np.int32]


@dataclass(frozen=True)
class TagKind:
    """The documents of each value of one metadata kind (topic, place, ...)."""

    values: list[str]
    #: The i-th value's documents (deleted ones too), ascending:
    #: ``docs[offsets[i]:offsets[i+1]]``; ``value_of`` is i for each entry of ``docs``.
    offsets: npt.NDArray[np.int64]
    docs: Ints
    value_of: Ints
    index: dict[str, int]

    @classmethod
    def of(cls, values: list[str], offsets: Any, docs: Any) -> TagKind:
        offsets = np.asarray(offsets, dtype=np.int64)
        docs = np.asarray(docs)
        value_of = np.repeat(np.arange(len(values), dtype=np.int32), np.diff(offsets))
        return cls(values, offsets, docs, value_of, {v: i for i, v in enumerate(values)})

    def members(self, value: str, live: npt.NDArray[np.bool_] | None) -> Ids:
        """The live documents with ``value`` (``live``: a mask, None for all)."""
        i = self.index.get(value)
        if i is None:
            return EMPTY
        docs = self.docs[self.offsets[i] : self.offsets[i + 1]]
        return docs if live is None else docs[live[docs]]

    def counts(self, chosen: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        """How many of the ``chosen`` documents (a mask) have each value."""
        return np.bincount(self.value_of[chosen[self.docs]], minlength=len(self.values))


@dataclass(frozen=True)
class Stories:
    """Near-duplicate clusters (search.stories) with more than one live article."""

    #: Index into ``names`` per document number; -1: no live copies (or deleted).
    of: Ints
    names: list[str]
    #: Live articles of each story (0 or 1 for the stories no longer shown as one).
    sizes: npt.NDArray[np.int64]

    @functools.cached_property
    def _index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    @property
    def count(self) -> int:
        """How many stories have several live articles."""
        return int(np.count_nonzero(self.sizes > 1))

    def name_of(self, docnum: int) -> str | None:
        i = int(self.of[docnum]) if len(self.of) else -1
        return self.names[i] if i >= 0 else None

    def members(self, name: str) -> Ids:
        """The live articles of a story, ascending (none for an unknown name)."""
        i = self._index.get(name)
        if i is None or self.sizes[i] < 2:
            return EMPTY
        return np.flatnonzero(self.of == i).astype(np.int32)

    def each(self) -> dict[str, Ids]:
        """Every story's live articles (for checks and tests: one pass per call)."""
        order = np.argsort(self.of, kind="stable")
        stories = self.of[order]
        start = int(np.searchsorted(stories, 0))
        order, stories = order[start:], stories[start:]
        if not len(stories):
            return {}
        bounds = np.flatnonzero(np.r_[True, stories[1:] != stories[:-1], True])
        return {
            self.names[int(stories[a])]: np.sort(order[a:b]).astype(np.int32)
            for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
        }


@dataclass
class Snapshot:
    """One consistent, read-only view of the live index."""

    location: Path
    generation: str
    toc_generation: int
    searcher: Searcher
    #: Day number (``date.toordinal()``) per document number.
    day: Ints
    #: year*100+month per document number.
    ym: Ints
    #: Index into ``section_names`` per document number.
    section: Ints
    section_names: list[str]
    source: Ints
    source_names: list[str]
    #: Live (not deleted) document numbers, ascending (the universe for NOT).
    live: Ids
    #: Live document numbers, newest first (ties: later document first).
    by_date_desc: Ids
    #: Per document number: whether it is live (None: every one is).
    live_mask: npt.NDArray[np.bool_] | None = None
    #: Posting sets of recently used terms (see search.matching).
    term_cache: TermSetCache = field(default_factory=TermSetCache)
    #: The index's words for "did you mean" and fuzzy terms (loaded on first use).
    lexicon: Lexicon | None = None
    #: Document frequencies (the query budget prices a query by them), from the mapped
    #: postings where there are some, else the searcher's reader.
    frequencies: Frequencies | None = None
    #: The documents of every metadata value, by kind ({"topic": ...}).
    tags: dict[str, TagKind] = field(default_factory=dict)
    stories: Stories = field(
        default_factory=lambda: Stories(EMPTY, [], np.zeros(0, dtype=np.int64))
    )
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

    @property
    def doc_count_all(self) -> int:
        """Document numbers in use, deleted ones included (the size of a mask)."""
        return len(self.day)

    def story_name(self, docnum: int) -> str | None:
        """The story of a document with live copies, or None."""
        return self.stories.name_of(docnum)

    def docnum_for(self, article_id: str) -> int:
        """The document number of an article id, or raise :class:`NotFound`."""
        docnum = self.searcher.document_number(id=article_id)
        if docnum is None:
            raise NotFound(f"no article with id {article_id!r}")
        return int(docnum)

    def stored(self, docnum: int) -> dict[str, Any]:
        return dict(self.searcher.stored_fields(docnum))

    def date_range(self) -> tuple[date, date] | None:
        if not len(self.live):
            return None
        newest, oldest = int(self.by_date_desc[0]), int(self.by_date_desc[-1])
        return day_date(int(self.day[oldest])), day_date(int(self.day[newest]))

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
        day = np.asarray(cols.day)
        n_all = len(day)
        live_mask = None
        if len(cols.deleted):
            live_mask = np.ones(n_all, dtype=bool)
            live_mask[cols.deleted] = False
            live_arr = np.flatnonzero(live_mask).astype(np.int32)
        else:
            live_arr = np.arange(n_all, dtype=np.int32)
        # Newest first; among one day's articles, the later document first.
        by_date_desc = live_arr[np.lexsort((live_arr, day[live_arr]))][::-1].copy()
        for arr in (live_arr, by_date_desc):
            arr.flags.writeable = False
        lengths = FieldLengths.of(cols.lengths, cols.average)
        deleted = np.asarray(cols.deleted, dtype=np.int32)
        arrays = MappedPostings.read(gen, toc_gen)
        posting_cache = PostingCache(mapped=arrays)
        frequencies = Frequencies(reader, arrays)
        tags = _tags(cols)
        stories = _stories(cols, live_arr, live_mask)
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
        ym=np.asarray(cols.ym),
        section=np.asarray(cols.section),
        section_names=cols.section_names,
        source=np.asarray(cols.source),
        source_names=cols.source_names,
        live=live_arr,
        by_date_desc=by_date_desc,
        live_mask=live_mask,
        term_cache=TermSetCache(
            postings=posting_cache, deleted=deleted, phrases=TermSetCache(max_items=1_000_000)
        ),
        posting_cache=posting_cache,
        tags=tags,
        stories=stories,
        lexicon=Lexicon(frequencies, cols.words),
        frequencies=frequencies,
        _lengths=lengths,
        summary=summary,
    )


def _stories(cols: columns.Columns, live: Ids, live_mask: npt.NDArray[np.bool_] | None) -> Stories:
    """The stories of the live articles: a story left with one live article is none."""
    story = np.asarray(cols.story)
    names = cols.story_names
    in_live = story if live_mask is None else story[live]
    sizes = np.bincount(in_live[in_live >= 0], minlength=len(names)).astype(np.int64)
    if not names or (live_mask is None and not np.any((sizes > 0) & (sizes < 2))):
        return Stories(story, names, sizes)  # the mapped column itself, shared
    of = np.full(len(story), -1, dtype=np.int32)
    shown = (in_live >= 0) & (sizes[np.maximum(in_live, 0)] >= 2)
    docs = live if live_mask is not None else np.arange(len(story), dtype=np.int32)
    of[docs[shown]] = in_live[shown]
    of.flags.writeable = False
    return Stories(of, names, sizes)


def _tags(cols: columns.Columns) -> dict[str, TagKind]:
    """Each metadata kind's values and documents (deleted ones are masked when used)."""
    out: dict[str, TagKind] = {}
    first = 0
    for kind, values in cols.tag_values.items():
        last = first + len(values)
        offsets = np.asarray(cols.tag_offsets[first : last + 1], dtype=np.int64)
        docs = cols.tag_docs[int(offsets[0]) : int(offsets[-1])]
        out[kind] = TagKind.of(list(values), offsets - offsets[0], docs)
        first = last
    return out


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
