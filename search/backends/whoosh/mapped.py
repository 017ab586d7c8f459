"""Posting lists as arrays mapped from disk, written by a build beside its segments.

Whoosh keeps a term's postings as pickled, compressed blocks of 128: a search that
reads a common word at half a million articles unpickles thousands of blocks (half of
the page job's time at x25), and a cache of decoded lists holds only so many. A build
therefore also writes, for each scored text field, every term's postings over the
whole index as two flat arrays — global document numbers (``int32``, ascending) and
weights (``float32``, what Whoosh's postings hold) — with a directory from term to
slice, into ``postings-<N>/`` beside table of contents N. They are opened with
``mmap_mode="r"``: a term's postings are a slice of the page cache, shared by every
worker, decoded by nobody.

The directory is sorted by a 64-bit hash of the term (``blake2b``), looked up with
``searchsorted``; the term's own bytes are kept too and compared, so a hash two terms
share can never return the wrong list (a build that meets one writes no arrays for
that field, which is then read from Whoosh's blocks as before).

Each build worker writes its segments' parts (:func:`write_part`); the parent puts
them together once the segments are committed and numbered (:func:`merge`). An update
commits through Whoosh and writes none: its table of contents has no arrays, and its
postings are read from Whoosh's blocks (:class:`MappedPostings` is then ``None``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from search.control import folder_written_atomically, prune_numbered

__all__ = [
    "FORMAT",
    "Frequencies",
    "MappedPostings",
    "PartTerm",
    "key_of",
    "merge",
    "part_path",
    "prune",
    "write_part",
]

#: Bumped when what is written here changes: other versions' arrays are not read.
FORMAT = 1
PREFIX = "postings-"

Ids = npt.NDArray[np.int32]
Weights = npt.NDArray[np.float32]


def key_of(btext: bytes) -> int:
    """A term's 64-bit directory key."""
    return int.from_bytes(hashlib.blake2b(btext, digest_size=8).digest(), "little")


def part_path(parts: Path, segment_id: str, field: str) -> Path:
    return parts / f"{segment_id}.{field}.npz"


#: A term's postings in one segment: (term, local document numbers ascending, weights).
PartTerm = tuple[bytes, Sequence[int], Sequence[float]]


def write_part(parts: Path, segment_id: str, field: str, terms: Iterable[PartTerm]) -> None:
    """One segment's postings of one field, its terms in any order."""
    items = list(terms)
    keys = np.fromiter((key_of(t) for t, _, _ in items), dtype=np.uint64, count=len(items))
    order = np.argsort(keys, kind="stable")
    sizes = np.fromiter((len(items[i][1]) for i in order.tolist()), np.int64, len(items))
    starts = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    ids = np.empty(int(starts[-1]), dtype=np.int32)
    weights = np.empty(int(starts[-1]), dtype=np.float32)
    blob = bytearray()
    term_starts = np.zeros(len(items) + 1, dtype=np.int64)
    for k, i in enumerate(order.tolist()):
        term, local, w = items[i]
        ids[starts[k] : starts[k + 1]] = local
        weights[starts[k] : starts[k + 1]] = w
        blob += term
        term_starts[k + 1] = len(blob)
    parts.mkdir(exist_ok=True)
    np.savez(
        part_path(parts, segment_id, field),
        keys=keys[order],
        starts=starts,
        ids=ids,
        weights=weights,
        terms=np.frombuffer(bytes(blob), dtype=np.uint8),
        term_starts=term_starts,
    )


def folder(gen: Path, toc_generation: int) -> Path:
    return gen / f"{PREFIX}{toc_generation}"


def merge(
    gen: Path,
    toc_generation: int,
    segments: Sequence[tuple[str, int]],
    fields: Sequence[str],
    parts: Path,
) -> None:
    """Put the parts of ``segments`` — (segment id, its first global document number),
    in document order — together into ``postings-<toc_generation>/``, one field at a
    time, writing into mapped files (memory: one segment's part at a time)."""
    with folder_written_atomically(folder(gen, toc_generation)) as tmp:
        written = [field for field in fields if _merge_field(tmp, field, segments, parts)]
        (tmp / "meta.json").write_text(json.dumps({"format": FORMAT, "fields": written}), "utf-8")


def _merge_field(tmp: Path, field: str, segments: Sequence[tuple[str, int]], parts: Path) -> bool:
    # The parts' directories are read whole (a few bytes a term); their postings one
    # segment at a time, when they are copied.
    heads = []
    for seg_id, offset in segments:
        p = part_path(parts, seg_id, field)
        if p.exists():
            with np.load(p) as z:
                ts = z["term_starts"].tolist()
                blob = z["terms"].tobytes()
                terms = [blob[a:b] for a, b in pairwise(ts)]
                heads.append((p, offset, z["keys"], z["starts"], terms))
    if not heads:
        return False
    # The directory: every segment's keys, each once, ascending.
    all_keys = np.concatenate([keys for _, _, keys, _, _ in heads])
    where = np.argsort(all_keys, kind="stable")
    sorted_keys = all_keys[where]
    first = np.ones(len(sorted_keys), dtype=bool)
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
    keys = sorted_keys[first]
    # Each key's term, from the first segment holding it; every other segment's term
    # under that key must be the same bytes, or the key is ambiguous.
    bounds = np.cumsum([0] + [len(k) for _, _, k, _, _ in heads])
    owner = (np.searchsorted(bounds, where, side="right") - 1).tolist()
    index_in = (where - bounds[owner]).tolist()
    term_of: list[bytes] = []
    for is_first, s, i in zip(first.tolist(), owner, index_in, strict=True):
        term = heads[s][4][i]
        if is_first:
            term_of.append(term)
        elif term != term_of[-1]:
            return False  # two terms, one key: this field is read from Whoosh's blocks
    # Postings per key, segment after segment (so each key's ids ascend).
    sizes = np.zeros(len(keys), dtype=np.int64)
    slots = []
    for _, _, seg_keys, seg_starts, _ in heads:
        slot = np.searchsorted(keys, seg_keys)
        slots.append(slot)
        sizes[slot] += np.diff(seg_starts)  # a key is once in a segment
    starts = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    total = int(starts[-1])
    ids = np.lib.format.open_memmap(tmp / f"{field}.ids.npy", "w+", np.int32, (total,))
    weights = np.lib.format.open_memmap(tmp / f"{field}.weights.npy", "w+", np.float32, (total,))
    fill = starts[:-1].copy()
    for (p, offset, _, seg_starts, _), slot in zip(heads, slots, strict=True):
        lengths = np.diff(seg_starts)
        dst = np.repeat(fill[slot] - seg_starts[:-1], lengths) + np.arange(seg_starts[-1])
        with np.load(p) as z:
            ids[dst] = z["ids"] + np.int32(offset)
            weights[dst] = z["weights"]
        fill[slot] += lengths
    ids.flush()
    weights.flush()
    del ids, weights
    blob = b"".join(term_of)
    term_starts = np.zeros(len(term_of) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in term_of], out=term_starts[1:])
    np.save(tmp / f"{field}.keys.npy", keys)
    np.save(tmp / f"{field}.starts.npy", starts)
    np.save(tmp / f"{field}.terms.npy", np.frombuffer(blob, dtype=np.uint8))
    np.save(tmp / f"{field}.term_starts.npy", term_starts)
    return True


@dataclass
class _Field:
    keys: npt.NDArray[np.uint64]
    starts: npt.NDArray[np.int64]
    ids: Ids
    weights: Weights
    terms: npt.NDArray[np.uint8]
    term_starts: npt.NDArray[np.int64]


class MappedPostings:
    """The postings arrays of one table of contents, mapped (:meth:`read`)."""

    def __init__(self, fields: dict[str, _Field]) -> None:
        self._fields = fields

    @classmethod
    def read(cls, gen: Path, toc_generation: int) -> MappedPostings | None:
        """The arrays of table of contents ``toc_generation``, or None where a build of
        this version did not write them (an update's, an earlier version's)."""
        where = folder(gen, toc_generation)
        try:
            meta = json.loads((where / "meta.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            return None
        fields = {}
        for field in meta.get("fields", []):
            arrays = {
                name: np.load(where / f"{field}.{name}.npy", mmap_mode="r", allow_pickle=False)
                for name in ("keys", "starts", "ids", "weights", "terms", "term_starts")
            }
            fields[str(field)] = _Field(**arrays)
        return cls(fields)

    def covers(self, field: str) -> bool:
        return field in self._fields

    def get(self, field: str, btext: bytes) -> tuple[Ids, Weights] | None:
        """A term's (ids, weights) over the whole index (read-only views of the mapped
        files; empty where no article has it), or None if ``field`` has no arrays."""
        f = self._fields.get(field)
        if f is None:
            return None
        key = np.uint64(key_of(btext))
        i = int(np.searchsorted(f.keys, key))
        if i >= len(f.keys) or f.keys[i] != key:
            return f.ids[:0], f.weights[:0]
        if bytes(f.terms[f.term_starts[i] : f.term_starts[i + 1]]) != btext:
            return f.ids[:0], f.weights[:0]  # keys are unique: this term is not there
        lo, hi = int(f.starts[i]), int(f.starts[i + 1])
        return f.ids[lo:hi], f.weights[lo:hi]

    def doc_frequency(self, field: str, btext: bytes) -> int | None:
        """How many articles a term's postings hold (deleted ones included, as Whoosh
        counts them), or None if ``field`` has no arrays."""
        got = self.get(field, btext)
        return None if got is None else len(got[0])


class Frequencies:
    """A reader's ``doc_frequency`` and ``lexicon``, the frequencies taken from the
    arrays where they cover the field: Whoosh looks a term up in every segment's hash
    table (22 at x25), a third of the page job's remaining time there."""

    def __init__(self, reader: Any, arrays: MappedPostings | None) -> None:
        self._reader = reader
        self._arrays = arrays

    def doc_frequency(self, field: str, text: str | bytes) -> int:
        if self._arrays is not None:
            btext = text if isinstance(text, bytes) else text.encode("utf-8")
            n = self._arrays.doc_frequency(field, btext)
            if n is not None:
                return n
        return int(self._reader.doc_frequency(field, text))

    def lexicon(self, field: str) -> Any:
        return self._reader.lexicon(field)


def prune(gen: Path, keep: set[int]) -> None:
    """Remove the arrays of tables of contents not in ``keep`` (and temporaries)."""
    prune_numbered(gen, PREFIX, keep)
