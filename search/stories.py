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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from search.analysis import WORD
from search.control import clear, read_json, write_atomically

__all__ = [
    "KEYS",
    "SHINGLE",
    "SKETCH",
    "STORIES_FILE",
    "THRESHOLD",
    "WINDOW_DAYS",
    "Sketch",
    "cluster",
    "decode",
    "encode",
    "has_stories",
    "prune_stories",
    "read_stories",
    "sketch",
    "stories_file",
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
    if len(words) < SHINGLE:
        shingles = {" ".join(words)} if words else set()
    else:
        shingles = {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
    hashes = {zlib.crc32(s.encode("utf-8")) for s in shingles}
    return Sketch(article_id, published, tuple(heapq.nsmallest(SKETCH, hashes)))


def resemblance(a: Sketch, b: Sketch) -> float:
    """The bottom-k estimate of the Jaccard resemblance of two articles' shingle sets."""
    if not a.hashes or not b.hashes:
        return 0.0
    union_bottom = heapq.nsmallest(SKETCH, set(a.hashes) | set(b.hashes))
    both = set(a.hashes) & set(b.hashes)
    return sum(1 for h in union_bottom if h in both) / len(union_bottom)


def cluster(sketches: Iterable[Sketch]) -> dict[str, str]:
    """The story of every article that has copies: article id → cluster id.

    Articles without a copy are left out (their story is themselves). A pair is joined
    only if the cluster it makes spans at most :data:`WINDOW_DAYS`.
    """
    # In one order whatever order they come in (a build's reading order, an update's
    # stored order), so that the clusters are a function of the articles alone and
    # `index check` can compute them again to compare.
    items = sorted(sketches, key=lambda s: (s.published, s.id))
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(items):
        for h in s.hashes[:KEYS]:
            buckets[h].append(i)
    parent = list(range(len(items)))
    # The earliest and latest day of each cluster, kept at its root.
    span = [(s.published, s.published) for s in items]

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    checked: set[tuple[int, int]] = set()
    for members in buckets.values():
        if len(members) < 2 or len(members) > MAX_BUCKET:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                i, j = members[x], members[y]
                if (i, j) in checked:
                    continue
                checked.add((i, j))
                ri, rj = find(i), find(j)
                if ri == rj:
                    continue
                lo = min(span[ri][0], span[rj][0])
                hi = max(span[ri][1], span[rj][1])
                if (hi - lo).days > WINDOW_DAYS:
                    continue
                if resemblance(items[i], items[j]) >= THRESHOLD:
                    parent[ri] = rj
                    span[rj] = (lo, hi)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        groups[find(i)].append(i)
    out: dict[str, str] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        first = min(members, key=lambda i: (items[i].published, items[i].id))
        for i in members:
            out[items[i].id] = items[first].id
    return out


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
