"""What a search needs per article, written once beside the segments and mapped at open.

Opening a Whoosh index used to rebuild, in every serving process, every per-article
value a search filters, sorts, counts or scores by: the date, month, section and
source columns decoded a value at a time, each field's lengths, the documents of every
metadata value, and each clustered article's story, found by looking its id up (12 of
the 20 s an open took at 539,450 articles), then the index's words for "did you mean".
Here they are computed once, when a build or an update commits, and written into
``columns-<N>/`` beside the table of contents N they describe, as NumPy arrays (opened
with ``mmap_mode="r"``: the pages are the page cache's, shared by every worker) and one
JSON file of names. An index without them (built by an earlier version, or an update
whose columns are not written yet) is read the old way, by :func:`compute`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from search.backends.whoosh import internals
from search.control import folder_written_atomically, prune_numbered

__all__ = ["FORMAT", "SCORED_FIELDS", "Columns", "compute", "prune", "read", "write"]

log = logging.getLogger("news_search")

#: Bumped when what is written here changes: other versions' columns are recomputed.
FORMAT = 1
PREFIX = "columns-"
SCORED_FIELDS = ("title", "standfirst", "body")
#: The fields whose words "did you mean" and fuzzy terms look among.
LEXICON_FIELDS = ("title", "body")
#: Whoosh stores a datetime as microseconds since ``datetime.min``.
_US_PER_DAY = 86_400 * 1_000_000

Ints = npt.NDArray[np.int32]


@dataclass
class Columns:
    """Per-document values of one table of contents, indexed by document number."""

    #: Day number (``date.toordinal()``; 0: none), year*100+month, and indexes into
    #: the name lists, per document number (deleted documents included).
    day: Ints
    ym: Ints
    section: Ints
    section_names: list[str]
    source: Ints
    source_names: list[str]
    #: Index into ``story_names`` of each document's story (-1: it has no copies).
    story: Ints
    story_names: list[str]
    #: Deleted document numbers, ascending.
    deleted: Ints
    #: Each scored field's length per document (as Whoosh scores it), and its average.
    lengths: dict[str, npt.NDArray[np.uint32]]
    average: dict[str, float]
    #: The documents of each metadata value, live or not: kind -> values, and for the
    #: i-th value of all kinds in order, ``tag_docs[tag_offsets[i]:tag_offsets[i+1]]``.
    tag_values: dict[str, list[str]]
    tag_offsets: npt.NDArray[np.int64]
    tag_docs: Ints
    #: The alphabetic words of LEXICON_FIELDS (3 letters or more), each once.
    words: list[str]

    @property
    def doc_count_all(self) -> int:
        return len(self.day)

    def tag_sets(self) -> dict[str, dict[str, Ints]]:
        out: dict[str, dict[str, Ints]] = {}
        i = 0
        for kind, values in self.tag_values.items():
            for value in values:
                out.setdefault(kind, {})[value] = self.tag_docs[
                    self.tag_offsets[i] : self.tag_offsets[i + 1]
                ]
                i += 1
        return out


def _intern(values: list[str], names: list[str], index: dict[str, int]) -> list[int]:
    out = []
    for v in values:
        i = index.get(v)
        if i is None:
            i = index[v] = len(names)
            names.append(v)
        out.append(i)
    return out


def compute(searcher: Any, stories: dict[str, str], ids: list[str] | None = None) -> Columns:
    """The columns of the index a searcher reads; ``stories`` its clusters ({article id:
    story}); ``ids`` its article ids in document order where the writer knows them
    (else each clustered article's id is looked up)."""
    reader = searcher.reader()
    day: list[int] = []
    ym: list[int] = []
    section: list[int] = []
    source: list[int] = []
    section_names: list[str] = []
    source_names: list[str] = []
    section_ix: dict[str, int] = {}
    source_ix: dict[str, int] = {}
    deleted: list[int] = []
    for seg, offset in reader.leaf_readers():
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
        deleted.extend(sorted(d + offset for d in internals.deleted_in(seg)))
    n_all = len(day)
    lengths: dict[str, npt.NDArray[np.uint32]] = {}
    average: dict[str, float] = {}
    table = np.asarray(internals.LENGTH_OF_BYTE, dtype=np.uint32)
    for field in SCORED_FIELDS:
        parts = []
        for seg, _offset in reader.leaf_readers():
            n = seg.doc_count_all()
            stored = internals.length_bytes(seg, field) if n else None
            if stored is None:
                walked = ((seg.doc_field_length(d, field, 1) or 1) for d in range(n))
                parts.append(np.fromiter(walked, dtype=np.uint32, count=n))
            else:
                parts.append(table[np.frombuffer(bytes(stored), dtype=np.uint8)])
        lengths[field] = np.concatenate(parts) if parts else np.zeros(0, np.uint32)
        average[field] = float(searcher.avg_field_length(field) or 1.0)
    story_names = sorted(set(stories.values()))
    story_ix = {s: i for i, s in enumerate(story_names)}
    story = np.full(n_all, -1, dtype=np.int32)
    if ids is not None:
        for docnum, article_id in enumerate(ids):
            s = stories.get(article_id)
            if s is not None:
                story[docnum] = story_ix[s]
    else:
        for article_id, s in stories.items():
            docnum = searcher.document_number(id=article_id)
            if docnum is not None:
                story[docnum] = story_ix[s]
    tag_values: dict[str, list[str]] = {}
    offsets = [0]
    docs: list[int] = []
    if "tags" in reader.schema and n_all:
        for btext in reader.lexicon("tags"):
            term = btext.decode("utf-8")
            kind, _, value = term.partition(":")
            found = sorted(reader.postings("tags", term).all_ids())
            tag_values.setdefault(kind, []).append(value)
            docs.extend(found)
            offsets.append(len(docs))
    # The order compute and read give the kinds in: the lexicon's, grouped by kind.
    order = [(k, v) for k, vs in tag_values.items() for v in vs]
    words: list[str] = []
    seen: set[str] = set()
    for field in LEXICON_FIELDS:
        if field not in reader.schema or not n_all:
            continue
        for btext in reader.lexicon(field):
            if len(btext) < 3 or not btext.isalpha():
                continue
            word = btext.decode("utf-8")
            if word not in seen:
                seen.add(word)
                words.append(word)
    return Columns(
        day=np.asarray(day, dtype=np.int32),
        ym=np.asarray(ym, dtype=np.int32),
        section=np.asarray(section, dtype=np.int32),
        section_names=section_names,
        source=np.asarray(source, dtype=np.int32),
        source_names=source_names,
        story=story,
        story_names=story_names,
        deleted=np.asarray(deleted, dtype=np.int32),
        lengths=lengths,
        average=average,
        tag_values=_grouped(order),
        tag_offsets=np.asarray(offsets, dtype=np.int64),
        tag_docs=np.asarray(docs, dtype=np.int32),
        words=words,
    )


def _grouped(order: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind, value in order:
        out.setdefault(kind, []).append(value)
    return out


_ARRAYS = ("day", "ym", "section", "source", "story", "deleted", "tag_offsets", "tag_docs")


def folder(gen: Path, toc_generation: int) -> Path:
    return gen / f"{PREFIX}{toc_generation}"


def write(gen: Path, toc_generation: int, cols: Columns) -> None:
    """Write the columns of table of contents ``toc_generation`` (into a temporary
    folder renamed into place: a reader sees all of them or none)."""
    with folder_written_atomically(folder(gen, toc_generation)) as tmp:
        for name in _ARRAYS:
            np.save(tmp / f"{name}.npy", getattr(cols, name), allow_pickle=False)
        for field, values in cols.lengths.items():
            np.save(tmp / f"length-{field}.npy", values, allow_pickle=False)
        meta = {
            "format": FORMAT,
            "docs": cols.doc_count_all,
            "section_names": cols.section_names,
            "source_names": cols.source_names,
            "story_names": cols.story_names,
            "average": cols.average,
            "tag_values": cols.tag_values,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, separators=(",", ":")), "utf-8")
        (tmp / "words.txt").write_text("\n".join(cols.words), "utf-8")


def read(gen: Path, toc_generation: int) -> Columns | None:
    """The columns written for this table of contents, mapped; None when there are none
    (or they are of another format, or unreadable: then they are computed)."""
    where = folder(gen, toc_generation)
    if where.is_symlink() or not where.is_dir():
        return None
    try:
        meta = json.loads((where / "meta.json").read_text("utf-8"))
        if meta.get("format") != FORMAT:
            return None
        arrays = {
            name: np.load(where / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            for name in _ARRAYS
        }
        lengths = {
            field: np.load(where / f"length-{field}.npy", mmap_mode="r", allow_pickle=False)
            for field in SCORED_FIELDS
        }
        text = (where / "words.txt").read_text("utf-8")
        cols = Columns(
            **arrays,
            section_names=list(meta["section_names"]),
            source_names=list(meta["source_names"]),
            story_names=list(meta["story_names"]),
            lengths=lengths,
            average={k: float(v) for k, v in meta["average"].items()},
            tag_values={k: list(v) for k, v in meta["tag_values"].items()},
            words=text.split("\n") if text else [],
        )
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("the columns in %s cannot be read (%s); computing them", where, e,
                    extra={"event": "columns_unreadable"})  # fmt: skip
        return None
    n = int(meta.get("docs", -1))
    if any(len(cols.__dict__[a]) != n for a in ("day", "ym", "section", "source", "story")):
        return None
    return cols


def prune(gen: Path, keep: set[int]) -> None:
    """Remove the columns of tables of contents not in ``keep`` (and temporaries)."""
    prune_numbered(gen, PREFIX, keep)
