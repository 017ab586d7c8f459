"""BM25F ranking of the matching documents, computed over decoded posting blocks.

Whoosh ranks by walking its matcher tree one posting at a time (a dozen Python calls
per posting, ~300 ms for "said" over 100k articles even with its block-max skipping,
because we need the top of a set we already know). Here the score of every matching
document is accumulated in one flat loop per query term over the term's decoded
postings (ids and weights), with the per-document field lengths read once per
snapshot into arrays. The formula, the statistics (idf, average field length) and
the weights (field boosts folded in at index time) are Whoosh's own BM25F, so the
scores are the same numbers: ``tests/test_ranking.py`` checks that.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from itertools import accumulate
from typing import Any

from whoosh import query as wq
from whoosh.matching import wrappers

from search.cache import BoundedCache

__all__ = [
    "K1",
    "B",
    "FieldLengths",
    "PostingCache",
    "postings",
    "rank",
    "score_all",
    "scoring_terms",
    "top_k",
]

#: BM25F's free parameters (Whoosh's defaults).
B = 0.75
K1 = 1.2

Postings = tuple["array[int]", "array[float]"]


class PostingCache(BoundedCache[tuple[str, bytes], Postings]):
    """Decoded (ids, weights) of recently used terms, bounded by their total length."""

    def __init__(self, max_postings: int = 8_000_000) -> None:
        super().__init__(max_postings, lambda p: len(p[0]))


def _leaf_postings(matcher: Any) -> tuple[list[int], list[float]]:
    """Ids and weights of a Whoosh on-disk posting list, a block at a time."""
    while isinstance(matcher, wrappers.WrappingMatcher):
        matcher = matcher.child
    ids: list[int] = []
    weights: list[float] = []
    if not hasattr(matcher, "_read_ids"):
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return ids, weights
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        block_ids = matcher._data[0]
        n = len(ids)
        ids.extend(block_ids if matcher._byteids else accumulate(block_ids))
        count = len(ids) - n
        w = matcher._data[1]
        if w is None:
            weights.extend([1.0] * count)
        elif isinstance(w, float):
            weights.extend([w] * count)
        else:
            weights.extend(w)
        if matcher._lastblock:
            break
        matcher._next_block()
    return ids, weights


def postings(searcher: Any, fieldname: str, btext: bytes, cache: PostingCache | None) -> Postings:
    """All (global document number, weight) postings of a term, deleted ones included."""
    key = (fieldname, btext)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    ids = array("I")
    weights = array("f")
    reader = searcher.reader()
    if key in reader:
        for seg, offset in reader.leaf_readers():
            if key not in seg:
                continue
            raw = seg._terms.matcher(fieldname, btext, seg.schema[fieldname].format)
            seg_ids, seg_weights = _leaf_postings(raw)
            ids.extend(seg_ids if offset == 0 else [d + offset for d in seg_ids])
            weights.extend(seg_weights)
    result = (ids, weights)
    if cache is not None:
        cache.put(key, result)
    return result


class FieldLengths:
    """Per-document length of each scored field (as Whoosh stores it), and averages."""

    def __init__(self, searcher: Any, fields: Iterable[str]) -> None:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
        from whoosh.util.numeric import byte_to_length

        table = [byte_to_length(i) or 1 for i in range(256)]
        table[0] = 1  # Whoosh scores a missing length as 1
        self.lengths: dict[str, array[int]] = {}
        self.average: dict[str, float] = {}
        reader = searcher.reader()
        for field in fields:
            out = array("I")
            for seg, _offset in reader.leaf_readers():
                n = seg.doc_count_all()
                col = None
                perdoc = getattr(seg, "_perdoc", None)
                if perdoc is not None and hasattr(perdoc, "_cached_reader"):
                    col = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
                if col is None:
                    out.extend((seg.doc_field_length(d, field, 1) or 1) for d in range(n))
                else:
                    out.extend(table[b] for b in col.load())
            self.lengths[field] = out
            self.average[field] = searcher.avg_field_length(field) or 1.0


def scoring_terms(q: wq.Query, reader: Any) -> list[tuple[str, bytes, float]]:
    """(field, term, boost) of every positive term of the query: what BM25F sums."""
    out: list[tuple[str, bytes, float]] = []

    def visit(node: wq.Query, boost: float) -> None:
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            visit(node.a, boost)
            return
        b = boost * float(getattr(node, "boost", 1.0) or 1.0)
        if isinstance(node, wq.Term):
            text = node.text
            out.append((node.fieldname, text if isinstance(text, bytes) else text.encode(), b))
        elif isinstance(node, wq.Phrase):
            for w in node.words:
                out.append((node.fieldname, w.encode() if isinstance(w, str) else w, b))
        elif isinstance(node, wq.MultiTerm):
            for t in node._btexts(reader):
                out.append((node.fieldname, t if isinstance(t, bytes) else t.encode(), b))
        else:
            for child in node.children():
                visit(child, b)

    visit(q, 1.0)
    return out


def rank(
    q: wq.Query,
    searcher: Any,
    matched: AbstractSet[int],
    k: int,
    lengths: FieldLengths,
    cache: PostingCache | None = None,
) -> list[tuple[int, float]]:
    """The ``k`` best of ``matched`` by BM25F, best first (ties: lower docnum first)."""
    if not matched or k <= 0:
        return []
    return top_k(score_all(q, searcher, matched, lengths, cache), k)


def score_all(
    q: wq.Query,
    searcher: Any,
    matched: AbstractSet[int],
    lengths: FieldLengths,
    cache: PostingCache | None = None,
) -> dict[int, float]:
    """The BM25F score of every document of ``matched`` (0.0 for those no term scores)."""
    reader = searcher.reader()
    scores: dict[int, float] = {}
    get = scores.get
    for fieldname, btext, boost in scoring_terms(q, reader):
        if fieldname not in lengths.lengths:
            continue
        ids, weights = postings(searcher, fieldname, btext, cache)
        if not ids:
            continue
        idf = searcher.idf(fieldname, btext.decode("utf-8"))
        fl = lengths.lengths[fieldname]
        k1p1 = (K1 + 1) * idf * boost
        c0 = K1 * (1 - B)
        c1 = K1 * B / lengths.average[fieldname]
        if len(matched) * 16 < len(ids):
            # Few matches, a long posting list: find each match by bisection (ids ascend).
            n = len(ids)
            for d in matched:
                i = bisect_left(ids, d)
                if i < n and ids[i] == d:
                    w = weights[i]
                    scores[d] = get(d, 0.0) + w * k1p1 / (w + c0 + c1 * fl[d])
            continue
        if not scores:
            # The first term: build the table in one comprehension (the common case of
            # a one-word query is this loop alone).
            scores = {
                d: w * k1p1 / (w + c0 + c1 * fl[d])
                for d, w in zip(ids, weights, strict=True)
                if d in matched
            }
            get = scores.get
            continue
        for d, w in zip(ids, weights, strict=True):
            if d in matched:
                scores[d] = get(d, 0.0) + w * k1p1 / (w + c0 + c1 * fl[d])
    if len(scores) < len(matched):
        # Matches without a scoring term (e.g. only under a NOT): they rank last.
        for d in matched:
            if d not in scores:
                scores[d] = 0.0
    return scores


def top_k(scores: dict[int, float], k: int) -> list[tuple[int, float]]:
    """The k highest (docnum, score), ties by lower docnum, without a Python key per item."""
    if len(scores) <= k:
        chosen = list(scores.items())
    else:
        # The k-th best score, then everything at or above it (ties included).
        threshold = heapq.nlargest(k, scores.values())[-1]
        chosen = [(d, s) for d, s in scores.items() if s >= threshold]
    chosen.sort(key=lambda kv: (-kv[1], kv[0]))
    return chosen[:k]
