"""BM25F ranking of the matching documents, computed over decoded posting arrays.

Whoosh ranks by walking its matcher tree one posting at a time (a dozen Python calls
per posting, ~300 ms for "said" over 100k articles even with its block-max skipping,
because we need the top of a set we already know). Here a query is scored term at a
time with NumPy: each word's saturated frequency in every document holding it is an
array (computed once per snapshot from its postings and the field-length columns),
and the matches' scores are its weight times that array, added word by word, heaviest
first, in the same order and the same double-precision operations for every way of
reaching them (so a document's score is the same to the last bit).

The formula is Robertson's BM25F with BM25's idf and a saturating weight for words
repeated in the query; its parameters were chosen on six judged test collections
(``bench/relevance``), where it beat Whoosh's own BM25F (per-field saturation, an idf
that never falls below 1) on every one. ``tests/test_ranking.py`` checks the scores
against a plain implementation of the formula over the articles' text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from search import budget, docsets
from search.backends.whoosh import internals
from search.backends.whoosh.mapped import MappedPostings
from search.cache import BoundedCache
from search.docsets import Ids
from search.query import AndNot, Fuzzy, Node, Not, Phrase, Prefix, Term, Wildcard, children

__all__ = [
    "FIELD_B",
    "K1",
    "K3",
    "POSTING_ENTRIES",
    "B",
    "FieldLengths",
    "PostingCache",
    "postings",
    "rank",
    "scores_of",
    "scoring_terms",
    "top_of",
]

#: BM25F's free parameters, chosen on six judged collections (bench/relevance/README.md):
#: term-frequency saturation, length normalisation per field (B for any other field),
#: and the saturation of a word repeated in the query.
K1 = 1.2
B = 0.75
FIELD_B = {"title": 0.9, "standfirst": 0.75, "body": 0.6}
K3 = 3.0

Floats = npt.NDArray[np.float64]
#: A term's postings: document numbers ascending (deleted ones included) and weights.
Postings = tuple[Ids, npt.NDArray[np.float32]]
#: A word's saturated term frequency per document: ids ascending, ``t (K1+1) / (K1+t)``
#: of its length-normalised frequency ``t`` summed over fields, and their maximum.
Saturated = tuple[Ids, Floats, float]

_NO_POSTINGS: Postings = (docsets.EMPTY, np.empty(0, dtype=np.float32))


#: At most this many terms' postings in the cache (and half as many saturated words).
POSTING_ENTRIES = 20_000
#: An entry costs at least this many postings: two empty arrays, their key and the
#: cache's bookkeeping take ~400 bytes, a posting 8 (a saturated value 12, or 8 where
#: it shares the postings' ids).
POSTING_MIN_COST = 48


class PostingCache(BoundedCache[tuple[str, bytes], Postings]):
    """Decoded (ids, weights) of recently used terms, bounded by their total length.

    Beside them, ``saturated`` keeps each recently scored word's :data:`Saturated`
    values: they depend only on the snapshot (its field lengths), not on the query, so
    a common word asked again is scored in one array operation.
    """

    def __init__(
        self,
        max_postings: int = 6_000_000,
        max_entries: int = POSTING_ENTRIES,
        mapped: MappedPostings | None = None,
    ) -> None:
        #: The snapshot's postings arrays, where its build wrote them: a term of a field
        #: they cover is a slice of them, never decoded nor cached.
        self.mapped = mapped
        super().__init__(
            max_postings, lambda p: len(p[0]), max_entries=max_entries,
            min_cost=POSTING_MIN_COST, key_cost=lambda k: len(k[1]) // 8,
        )  # fmt: skip
        self.saturated: BoundedCache[tuple[bytes, tuple[tuple[str, float], ...]], Saturated]
        self.saturated = BoundedCache(
            max_postings // 2, lambda s: len(s[0]), max_entries=max_entries // 2,
            min_cost=POSTING_MIN_COST // 2, key_cost=lambda k: len(k[0]) // 12,
        )  # fmt: skip


def _segment_postings(seg: Any, fieldname: str, btext: bytes) -> tuple[list[int], list[float]]:
    """Ids and weights of a term's posting list in one segment, a block at a time."""
    found = internals.blocks(seg, fieldname, btext)
    if found is None:
        return internals.walk(seg, fieldname, btext)
    ids: list[int] = []
    weights: list[float] = []
    for n, block in enumerate(found, 1):
        if n % 64 == 0:  # ~8,000 postings: a long list is ended within it
            budget.check()
        block_ids = block.ids()
        ids.extend(block_ids)
        weights.extend(block.weights(len(block_ids)))
    return ids, weights


def postings(searcher: Any, fieldname: str, btext: bytes, cache: PostingCache | None) -> Postings:
    """All (global document number, weight) postings of a term, deleted ones included."""
    key = (fieldname, btext)
    if cache is not None:
        if cache.mapped is not None:
            found = cache.mapped.get(fieldname, btext)
            if found is not None:
                return found
        hit = cache.get(key)
        if hit is not None:
            return hit
    budget.check()
    reader = searcher.reader()
    if key not in reader:
        return _NO_POSTINGS  # not cached: a word no article has costs one lookup to tell
    id_parts: list[Ids] = []
    weight_parts: list[npt.NDArray[np.float32]] = []
    for seg, offset in reader.leaf_readers():
        if key not in seg:
            continue
        seg_ids, seg_weights = _segment_postings(seg, fieldname, btext)
        id_parts.append(np.asarray(seg_ids, dtype=np.int32) + np.int32(offset))
        weight_parts.append(np.asarray(seg_weights, dtype=np.float32))
    if not id_parts:
        return _NO_POSTINGS
    ids = id_parts[0] if len(id_parts) == 1 else np.concatenate(id_parts)
    weights = weight_parts[0] if len(weight_parts) == 1 else np.concatenate(weight_parts)
    ids.flags.writeable = weights.flags.writeable = False  # shared by every search
    result = (ids, weights)
    if cache is not None:
        cache.put(key, result)
    return result


class FieldLengths:
    """Per-document length of each scored field (as Whoosh stores it), and averages."""

    def __init__(self, searcher: Any, fields: Iterable[str]) -> None:
        table = np.asarray(internals.LENGTH_OF_BYTE, dtype=np.uint32)
        self.lengths: dict[str, npt.NDArray[np.uint32]] = {}
        self.average: dict[str, float] = {}
        reader = searcher.reader()
        for field in fields:
            parts = []
            for seg, _offset in reader.leaf_readers():
                n = seg.doc_count_all()
                stored = internals.length_bytes(seg, field)
                if stored is None:
                    values = [(seg.doc_field_length(d, field, 1) or 1) for d in range(n)]
                    parts.append(np.asarray(values, dtype=np.uint32))
                else:
                    parts.append(table[np.frombuffer(bytes(stored), dtype=np.uint8)])
            self.lengths[field] = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
            self.average[field] = searcher.avg_field_length(field) or 1.0

    @classmethod
    def of(cls, lengths: Mapping[str, Any], average: Mapping[str, float]) -> FieldLengths:
        """The lengths from columns already read (search.backends.whoosh.columns): the
        arrays themselves (mapped), not copies."""
        self = cls.__new__(cls)
        self.lengths = {field: np.asarray(values) for field, values in lengths.items()}
        self.average = dict(average)
        return self


def scoring_terms(q: Node) -> list[tuple[str, bytes, float]]:
    """(field, term, boost) of every positive term of an expanded query: what BM25F sums."""
    out: list[tuple[str, bytes, float]] = []

    def visit(node: Node, boost: float) -> None:
        if isinstance(node, Not):
            return
        if isinstance(node, AndNot):
            visit(node.positive, boost)
            return
        b = boost * (node.boost or 1.0)
        if isinstance(node, Term):
            out.append((node.field, node.text.encode("utf-8"), b))
        elif isinstance(node, Phrase):
            out.extend((node.field, w.encode("utf-8"), b) for w in node.words)
        elif isinstance(node, (Prefix, Wildcard, Fuzzy)):
            raise TypeError(f"{node!r} is not expanded (search.querying.expand)")
        else:
            for child in children(node):
                visit(child, b)

    visit(q, 1.0)
    return out


@dataclass
class _Word:
    """One query word: its BM25 weight and its posting lists in the fields it is scored in."""

    btext: bytes
    weight: float
    #: (field, boost, ids, weights) per field holding the word
    lists: list[tuple[str, float, Ids, npt.NDArray[np.float32]]]

    @property
    def postings(self) -> int:
        return max(len(ids) for _, _, ids, _ in self.lists)


def _words(
    q: Node,
    searcher: Any,
    cache: PostingCache | None,
    lengths: FieldLengths,
    query_counts: Mapping[bytes, int] | None,
) -> list[_Word]:
    """The scored words of ``q`` with their weights: BM25's idf, its document frequency
    taken over all the fields the word is searched in, times the query-frequency weight."""
    reader = searcher.reader()
    n_docs = max(reader.doc_count_all(), 1)
    by_word: dict[bytes, list[tuple[str, float]]] = {}
    for fieldname, btext, boost in scoring_terms(q):
        if fieldname in lengths.lengths:
            by_word.setdefault(btext, []).append((fieldname, boost))
    out = []
    for btext, fields in by_word.items():
        lists = []
        for fieldname, boost in dict.fromkeys(fields):
            ids, weights = postings(searcher, fieldname, btext, cache)
            if len(ids):
                lists.append((fieldname, boost, ids, weights))
        if not lists:
            continue
        df = len(docsets.union([ids for _, _, ids, _ in lists]))
        idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        n = (query_counts or {}).get(btext, 1)
        out.append(_Word(btext, idf * (K3 + 1) * n / (K3 + n), lists))
    # One order for every way of scoring (heaviest first), so that a document's score
    # is the same sum, to the last bit, however it was reached.
    out.sort(key=lambda w: (-w.weight, w.btext))
    return out


def _normalised(
    word: _Word, docs: Ids, lengths: FieldLengths, found: list[npt.NDArray[np.bool_]] | None = None
) -> Floats:
    """Length-normalised frequency of ``word`` summed over its fields, for each of
    ``docs`` (0 where a document lacks it), the fields added in the word's order."""
    tfn = np.zeros(len(docs), dtype=np.float64)
    for fieldname, boost, ids, weights in word.lists:
        b = FIELD_B.get(fieldname, B)
        c0 = 1 - b
        c1 = b / lengths.average[fieldname]
        if ids is docs:
            where, at = slice(None), slice(None)
            if found is not None:
                found.append(np.ones(len(docs), dtype=bool))
        else:
            pos = np.searchsorted(ids, docs)
            np.minimum(pos, len(ids) - 1, out=pos)
            hit = ids[pos] == docs
            if found is not None:
                found.append(hit)
            where, at = hit, pos[hit]
        fl = lengths.lengths[fieldname][docs[where]]
        tfn[where] += boost * weights[at].astype(np.float64) / (c0 + c1 * fl)
    return tfn


def _saturate(tfn: Floats) -> Floats:
    saturated: Floats = tfn * (K1 + 1) / (K1 + tfn)
    return saturated


def _saturated(word: _Word, lengths: FieldLengths, cache: PostingCache | None) -> Saturated:
    """``word``'s :data:`Saturated` frequencies, from the cache or computed once.

    Only unboosted words are cached: a boost (``title:word^2``, the per-word weights of
    "more like this") makes a key that is rarely asked again and would push out the
    common words that searches do ask again."""
    key = (word.btext, tuple((f, b) for f, b, _, _ in word.lists))
    if cache is not None and any(b != 1.0 for _, b in key[1]):
        cache = None
    if cache is not None:
        hit = cache.saturated.get(key)
        if hit is not None:
            return hit
    budget.check()
    lists = [ids for _, _, ids, _ in word.lists]
    docs = lists[0] if len(lists) == 1 else docsets.union(lists)
    values = _saturate(_normalised(word, docs, lengths))
    values.flags.writeable = False
    result = (docs, values, float(values.max()) if len(values) else 0.0)
    if cache is not None:
        cache.saturated.put(key, result)
    return result


def _add(
    word: _Word, matched: Ids, lengths: FieldLengths, scores: Floats, cache: PostingCache | None
) -> None:
    """Add ``word``'s BM25F contribution to ``scores`` (one per document of ``matched``)."""
    budget.check()
    weight = word.weight
    if len(matched) * 16 < word.postings:
        # A few documents: their frequencies looked up, not the whole posting list.
        found: list[npt.NDArray[np.bool_]] = []
        tfn = _normalised(word, matched, lengths, found)
        has = np.logical_or.reduce(found) if len(found) > 1 else found[0]
        scores[has] += weight * _saturate(tfn[has])
        return
    ids, values, _ = _saturated(word, lengths, cache)
    if len(ids) <= len(matched):
        pos = np.searchsorted(matched, ids)
        np.minimum(pos, len(matched) - 1, out=pos)
        hit = matched[pos] == ids
        scores[pos[hit]] += weight * values[hit]
    else:
        pos = np.searchsorted(ids, matched)
        np.minimum(pos, len(ids) - 1, out=pos)
        hit = ids[pos] == matched
        scores[hit] += weight * values[pos[hit]]


def _ids(matched: Ids | Iterable[int]) -> Ids:
    return matched if isinstance(matched, np.ndarray) else docsets.of(list(matched))


def scores_of(
    q: Node,
    searcher: Any,
    matched: Ids,
    lengths: FieldLengths,
    cache: PostingCache | None = None,
    query_counts: Mapping[bytes, int] | None = None,
) -> Floats:
    """The BM25F score of each document of ``matched`` (ascending), in its order (0.0
    for those no term scores).

    Robertson's BM25F: for each query word, its frequency in each field (the field's
    boost folded into the posting weight at index time) is normalised by that field's
    length, ``1 - b_f + b_f * len / avg_len``, the fields' contributions are summed,
    and the sum is saturated once with ``K1`` and weighted once by the word's BM25 idf,
    its document frequency taken over all the fields it is searched in. A word repeated
    in the query weighs ``(K3 + 1) * n / (K3 + n)`` (``query_counts``: n per word).
    """
    scores = np.zeros(len(matched), dtype=np.float64)
    if not len(matched):
        return scores
    for word in _words(q, searcher, cache, lengths, query_counts):
        _add(word, matched, lengths, scores, cache)
    return scores


def rank(
    q: Node,
    searcher: Any,
    matched: Ids | Iterable[int],
    k: int,
    lengths: FieldLengths,
    cache: PostingCache | None = None,
    query_counts: Mapping[bytes, int] | None = None,
) -> list[tuple[int, float]]:
    """The ``k`` best of ``matched`` by BM25F, best first (ties: lower docnum first)."""
    ids = _ids(matched)
    if not len(ids) or k <= 0:
        return []
    return top_of(ids, scores_of(q, searcher, ids, lengths, cache, query_counts), k)


def top_of(ids: Ids, scores: Floats, k: int) -> list[tuple[int, float]]:
    """The k highest (docnum, score) of documents ``ids`` with ``scores``, ties by lower
    docnum."""
    if k <= 0 or not len(ids):
        return []
    if len(ids) > k:
        # The k-th best score, then everything at or above it (ties included).
        threshold = np.partition(scores, len(scores) - k)[len(scores) - k]
        chosen = scores >= threshold
        ids, scores = ids[chosen], scores[chosen]
    order = np.lexsort((ids, -scores))[:k]
    return list(zip(ids[order].tolist(), scores[order].tolist(), strict=True))
