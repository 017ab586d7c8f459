"""Same story, many copies: near-duplicate articles grouped into story clusters.

Wire services send a story, then its correction, its repeat, its update; scrapers fetch
the same page twice. Each article's text (headline and body) is cut into shingles of
:data:`SHINGLE` consecutive words; a bottom-k sketch (the :data:`SKETCH` smallest
shingle hashes) stands for the set. Two articles are candidates when they share one of
their :data:`KEYS` smallest hashes, and near-duplicates when their sketches estimate a
resemblance (Jaccard) of at least :data:`THRESHOLD` and they were published within
:data:`WINDOW_DAYS` of each other. Near-duplicate pairs are joined into clusters
(union-find); a cluster is named by its earliest article (ties: the smallest id).

Cost: one CRC-32 per shingle and a heap per article, then work proportional to the
candidate pairs, which stay few because a shared minimum hash is rare between
unrelated texts.
"""

from __future__ import annotations

import heapq
import json
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from search.analysis import WORD
from search.control import clear, read_json, write_atomically

__all__ = [
    "KEYS",
    "ROW",
    "SHINGLE",
    "SKETCH",
    "STORIES_FILE",
    "THRESHOLD",
    "WINDOW_DAYS",
    "Sketch",
    "cluster",
    "cluster_rows",
    "decode",
    "encode",
    "has_stories",
    "prune_stories",
    "read_stories",
    "row_of",
    "sketch",
    "stories_file",
    "to_rows",
    "write_stories",
]

#: The clusters of a generation, beside its Whoosh files: {article id: story id}, one
#: file per table of contents (:func:`stories_file`); this undated name is an earlier
#: version's, still read.
STORIES_FILE = "stories.json"

#: Words per shingle.
SHINGLE = 4
#: Hashes kept per article (the bottom-k sketch; stored with the article: 256 bytes).
SKETCH = 64
#: Smallest hashes used as candidate keys.
KEYS = 4
#: Estimated resemblance from which two articles are copies of one story.
THRESHOLD = 0.8
#: Copies of a story are published within this many days of each other: a cluster
#: never spans more (so a daily template story does not chain a month together).
WINDOW_DAYS = 2
#: A candidate key shared by more articles than this is boilerplate, not a story.
MAX_BUCKET = 200


@dataclass(frozen=True)
class Sketch:
    """An article's id, day and bottom-k shingle hashes (ascending)."""

    id: str
    published: date
    hashes: tuple[int, ...]


def sketch(article_id: str, published: date, title: str, text: str) -> Sketch:
    """The sketch of an article's headline and body."""
    words = [w.lower() for w in WORD.findall(f"{title}\n{text}")]
    crc = zlib.crc32
    if len(words) < SHINGLE:
        hashes = {crc(" ".join(words).encode("utf-8"))} if words else set()
    else:
        hashes = {
            crc(" ".join(words[i : i + SHINGLE]).encode("utf-8"))
            for i in range(len(words) - SHINGLE + 1)
        }
    return Sketch(article_id, published, tuple(sorted(hashes)[:SKETCH]))


def resemblance(a: Sketch, b: Sketch) -> float:
    """The bottom-k estimate of the Jaccard resemblance of two articles' shingle sets."""
    return _resemblance(set(a.hashes), set(b.hashes))


#: One article's sketch as a row of a table (a build's workers write them, the parent
#: clusters them): its day (``date.toordinal``), how many hashes it has, the hashes
#: ascending (zeros after the ``n``-th). 261 bytes.
ROW = np.dtype([("day", "<i4"), ("n", "u1"), ("h", "<u4", (SKETCH,))])


def to_rows(sketches: Iterable[Sketch]) -> tuple[list[str], np.ndarray]:
    """Sketches as (their ids, a table of :data:`ROW`), in the order given."""
    items = list(sketches)
    rows = np.zeros(len(items), dtype=ROW)
    for i, s in enumerate(items):
        rows[i] = row_of(s)
    return [s.id for s in items], rows


def row_of(s: Sketch) -> tuple[int, int, list[int]]:
    """One sketch as a value of a :data:`ROW` (without its id)."""
    return (s.published.toordinal(), len(s.hashes), [*s.hashes, *[0] * (SKETCH - len(s.hashes))])


def cluster(sketches: Iterable[Sketch]) -> dict[str, str]:
    """The story of every article that has copies: article id → cluster id.

    Articles without a copy are left out (their story is themselves). A pair is joined
    only if the cluster it makes spans at most :data:`WINDOW_DAYS`.
    """
    ids, rows = to_rows(sketches)
    return cluster_rows(ids, rows)


def cluster_rows(ids: Sequence[str], rows: np.ndarray) -> dict[str, str]:
    """:func:`cluster` of sketches given as a table (``rows[i]`` is article ``ids[i]``'s):
    the same clusters, in memory proportional to the articles (about 40 bytes each
    beside the table, which may be a file mapped in) and time proportional to the
    candidate pairs published within :data:`WINDOW_DAYS` of each other.
    """
    n = len(ids)
    if n < 2:
        return {}
    days = np.asarray(rows["day"], dtype=np.int64)
    # In one order whatever order they come in (a build's reading order, an update's
    # stored order), so that the clusters are a function of the articles alone and
    # `index check` can compute them again to compare: by day, then id.
    day_of = days.tolist()
    order = sorted(range(n), key=lambda i: (day_of[i], ids[i]))
    order_a = np.asarray(order, dtype=np.int64)
    day = days[order_a]
    counts = np.asarray(rows["n"], dtype=np.int64)[order_a]
    keys = np.asarray(rows["h"][:, :KEYS])[order_a]
    # Candidate buckets: the articles (in that order) sharing one of their KEYS smallest
    # hashes; taken in the order in which each key first appears, members ascending.
    valid = np.arange(KEYS)[None, :] < counts[:, None]
    flat = np.flatnonzero(valid.ravel())
    values = keys.ravel()[flat]
    by_key = np.argsort(values, kind="stable")
    sorted_values = values[by_key]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    sizes = np.diff(np.r_[starts, len(sorted_values)])
    wanted = (sizes >= 2) & (sizes <= MAX_BUCKET)
    starts, sizes = starts[wanted], sizes[wanted]
    first = flat[by_key[starts]]
    members_of = flat[by_key] // KEYS  # rank of each entry's article
    parent = list(range(n))
    lo = day.tolist()
    hi = list(lo)  # each cluster's first and last day, kept at its root
    day_l = lo[:]
    hashes: dict[int, set[int]] = {}
    joined: set[int] = set()

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def hash_set(r: int) -> set[int]:
        got = hashes.get(r)
        if got is None:
            row = rows[order[r]]
            got = hashes[r] = set(row["h"][: int(row["n"])].tolist())
        return got

    for b in np.argsort(first, kind="stable").tolist():
        s, k = int(starts[b]), int(sizes[b])
        members = members_of[s : s + k].tolist()
        for x in range(k):
            i = members[x]
            for y in range(x + 1, k):
                j = members[y]
                if day_l[j] - day_l[i] > WINDOW_DAYS:
                    break  # members ascend by day: no later one is within the window
                ri, rj = find(i), find(j)
                if ri == rj:
                    continue
                low, high = min(lo[ri], lo[rj]), max(hi[ri], hi[rj])
                if high - low > WINDOW_DAYS:
                    continue
                if _resemblance(hash_set(i), hash_set(j)) >= THRESHOLD:
                    parent[ri] = rj
                    lo[rj], hi[rj] = low, high
                    joined.update((i, j))
        if len(hashes) > 100_000:  # only pairs within one bucket reuse a set
            hashes.clear()
    groups: dict[int, list[int]] = defaultdict(list)
    for r in joined:
        groups[find(r)].append(r)
    out: dict[str, str] = {}
    for members in groups.values():
        # The earliest article names the story: the smallest rank (day, then id).
        name = ids[order[min(members)]]
        for r in members:
            out[ids[order[r]]] = name
    return out


def _resemblance(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    union_bottom = heapq.nsmallest(SKETCH, a | b)
    both = a & b
    return sum(1 for h in union_bottom if h in both) / len(union_bottom)


def encode(hashes: tuple[int, ...]) -> bytes:
    """A sketch's hashes as stored with the article (unsigned 32-bit, little-endian)."""
    a = array("I", hashes)
    if a.itemsize != 4:  # pragma: no cover - every platform we run on has 4-byte "I"
        a = array("L", hashes)
    return a.tobytes()


def decode(data: bytes | None) -> tuple[int, ...]:
    if not data:
        return ()
    a = array("I")
    a.frombytes(data)
    return tuple(a)


def stories_file(toc_generation: int) -> str:
    """The name of the clusters that go with one Whoosh table of contents."""
    return f"stories-{toc_generation}.json"


def write_stories(gen_dir: Path, stories: dict[str, str], toc_generation: int) -> None:
    """Write the clusters for the table of contents ``toc_generation`` of the index in
    ``gen_dir``. An update writes them *before* it commits that table of contents: the
    rename that makes new documents live also makes their clusters live, so a writer
    killed at any moment leaves documents and clusters that agree."""
    data = json.dumps(stories, separators=(",", ":"), sort_keys=True).encode("utf-8")
    write_atomically(gen_dir / stories_file(toc_generation), data)


def has_stories(gen_dir: Path, toc_generation: int) -> bool:
    """Whether the clusters of this table of contents were written (a link is refused)."""
    return isinstance(read_json(gen_dir / stories_file(toc_generation)), dict)


def read_stories(gen_dir: Path, toc_generation: int) -> dict[str, str]:
    """The clusters of a table of contents ({} when there are none). An index written
    before the file name carried the generation has one ``stories.json``: read that."""
    data = read_json(gen_dir / stories_file(toc_generation))
    if data is None:
        data = read_json(gen_dir / STORIES_FILE)
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items()}


def prune_stories(gen_dir: Path, toc_generation: int) -> None:
    """Remove the clusters of other tables of contents than the live one and the one
    before it (a reader that opened that one a moment ago still reads its clusters),
    and the undated file of an earlier version once a dated one is there."""
    numbers = []
    for p in gen_dir.glob("stories-*.json"):
        try:
            numbers.append((int(p.name[len("stories-") : -len(".json")]), p))
        except ValueError:
            continue
    older = [n for n, _ in numbers if n < toc_generation]
    keep = {toc_generation, max(older, default=toc_generation)}
    for n, p in numbers:
        if n not in keep:
            clear(p)
    if has_stories(gen_dir, toc_generation):
        clear(gen_dir / STORIES_FILE)
