"""BM25F ranking of the matching documents, computed over decoded posting blocks.

Whoosh ranks by walking its matcher tree one posting at a time (a dozen Python calls
per posting, ~300 ms for "said" over 100k articles even with its block-max skipping,
because we need the top of a set we already know). Here the score of every matching
document is accumulated in one flat loop per query term over the term's decoded
postings (ids and weights), with the per-document field lengths read once per
snapshot into arrays.

The formula is Robertson's BM25F with BM25's idf and a saturating weight for words
repeated in the query; its parameters were chosen on six judged test collections
(``bench/relevance``), where it beat Whoosh's own BM25F (per-field saturation, an idf
that never falls below 1) on every one. ``tests/test_ranking.py`` checks the scores
against a plain implementation of the formula over the articles' text.
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from search import budget
from search.backends.whoosh import internals
from search.cache import BoundedCache
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
    "score_all",
    "scoring_terms",
    "top_k",
]

#: BM25F's free parameters, chosen on six judged collections (bench/relevance/README.md):
#: term-frequency saturation, length normalisation per field (B for any other field),
#: and the saturation of a word repeated in the query.
K1 = 1.2
B = 0.75
FIELD_B = {"title": 0.9, "standfirst": 0.75, "body": 0.6}
K3 = 3.0

Postings = tuple["array[int]", "array[float]"]
#: A word's saturated term frequency per document: ids ascending, ``t (K1+1) / (K1+t)``
#: of its length-normalised frequency ``t`` summed over fields, and their maximum.
Saturated = tuple["array[int]", "array[float]", float]


#: At most this many terms' postings in the cache (and half as many saturated words).
POSTING_ENTRIES = 20_000
#: An entry costs at least this many postings: two empty arrays, their key and the
#: cache's bookkeeping take ~390 bytes, a posting 8 (a saturated value 12).
POSTING_MIN_COST = 48


class PostingCache(BoundedCache[tuple[str, bytes], Postings]):
    """Decoded (ids, weights) of recently used terms, bounded by their total length.

    Beside them, ``saturated`` keeps each recently scored word's :data:`Saturated`
    values: they depend only on the snapshot (its field lengths), not on the query, so
    a common word asked again is scored in one flat loop.
    """

    def __init__(self, max_postings: int = 8_000_000, max_entries: int = POSTING_ENTRIES) -> None:
        super().__init__(
            max_postings, lambda p: len(p[0]), max_entries=max_entries,
            min_cost=POSTING_MIN_COST, key_cost=lambda k: len(k[1]) // 8,
        )  # fmt: skip
        self.saturated: BoundedCache[tuple[bytes, tuple[tuple[str, float], ...]], Saturated]
        self.saturated = BoundedCache(
            max_postings // 2, lambda s: len(s[0]), max_entries=max_entries // 2,
            min_cost=POSTING_MIN_COST // 2, key_cost=lambda k: len(k[0]) // 12,
        )  # fmt: skip


def _segment_postings(seg: Any, fieldname: str, btext: bytes) -> tuple[Sequence[int], list[float]]:
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
        hit = cache.get(key)
        if hit is not None:
            return hit
    budget.check()
    ids = array("I")
    weights = array("f")
    reader = searcher.reader()
    if key not in reader:
        return ids, weights  # not cached: a word no article has costs one lookup to tell
    for seg, offset in reader.leaf_readers():
        if key not in seg:
            continue
        seg_ids, seg_weights = _segment_postings(seg, fieldname, btext)
        ids.extend(seg_ids if offset == 0 else [d + offset for d in seg_ids])
        weights.extend(seg_weights)
    result = (ids, weights)
    if cache is not None:
        cache.put(key, result)
    return result


class FieldLengths:
    """Per-document length of each scored field (as Whoosh stores it), and averages."""

    def __init__(self, searcher: Any, fields: Iterable[str]) -> None:
        table = internals.LENGTH_OF_BYTE
        self.lengths: dict[str, array[int]] = {}
        self.average: dict[str, float] = {}
        reader = searcher.reader()
        for field in fields:
            out = array("I")
            for seg, _offset in reader.leaf_readers():
                n = seg.doc_count_all()
                stored = internals.length_bytes(seg, field)
                if stored is None:
                    out.extend((seg.doc_field_length(d, field, 1) or 1) for d in range(n))
                else:
                    out.extend(table[b] for b in stored)
            self.lengths[field] = out
            self.average[field] = searcher.avg_field_length(field) or 1.0

    @classmethod
    def of(cls, lengths: Mapping[str, Any], average: Mapping[str, float]) -> FieldLengths:
        """The lengths from columns already read (search.backends.whoosh.columns)."""
        self = cls.__new__(cls)
        self.lengths = {}
        for field, values in lengths.items():
            out = array("I")
            out.frombytes(bytes(memoryview(values)))
            self.lengths[field] = out
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
    lists: list[tuple[str, float, array[int], array[float]]]
    #: Its saturated frequencies in every document (see :data:`Saturated`), once known.
    saturated: Saturated | None = None

    @property
    def postings(self) -> int:
        return max(len(ids) for _, _, ids, _ in self.lists)

    @property
    def ceiling(self) -> float:
        """The most this word can add to any document's score: exact once its saturated
        frequencies are known, else the bound of the K1 saturation."""
        top = self.saturated[2] if self.saturated is not None else K1 + 1
        return self.weight * top


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
            if ids:
                lists.append((fieldname, boost, ids, weights))
        if not lists:
            continue
        df = _union_size([ids for _, _, ids, _ in lists])
        idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        n = (query_counts or {}).get(btext, 1)
        out.append(_Word(btext, idf * (K3 + 1) * n / (K3 + n), lists))
    # One order for every way of scoring (heaviest first, as MaxScore wants it), so that
    # a document's score is the same sum, to the last bit, however it was reached.
    out.sort(key=lambda w: (-w.weight, w.btext))
    return out


def _frequencies(
    word: _Word, within: AbstractSet[int] | None, lengths: FieldLengths
) -> dict[int, float]:
    """Length-normalised frequency of ``word`` summed over its fields, for each document
    of ``within`` holding it (every document, when ``within`` is None)."""
    tfn: dict[int, float] = {}
    tget = tfn.get
    for fieldname, boost, ids, weights in word.lists:
        b = FIELD_B.get(fieldname, B)
        fl = lengths.lengths[fieldname]
        c0 = 1 - b
        c1 = b / lengths.average[fieldname]
        if within is None:
            for d, w in zip(ids, weights, strict=True):
                tfn[d] = tget(d, 0.0) + boost * w / (c0 + c1 * fl[d])
        else:
            # Few documents, a long posting list: find each by bisection.
            n = len(ids)
            for d in within:
                i = bisect_left(ids, d)
                if i < n and ids[i] == d:
                    tfn[d] = tget(d, 0.0) + boost * weights[i] / (c0 + c1 * fl[d])
    return tfn


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
    tfn = _frequencies(word, None, lengths)
    ids = array("I", sorted(tfn))
    k1p1 = K1 + 1
    values = array("d", [t * k1p1 / (K1 + t) for t in map(tfn.__getitem__, ids)])
    result = (ids, values, max(values, default=0.0))
    if cache is not None:
        cache.saturated.put(key, result)
    return result


def _add(
    word: _Word,
    within: AbstractSet[int],
    lengths: FieldLengths,
    scores: dict[int, float],
    cache: PostingCache | None,
) -> None:
    """Add ``word``'s BM25F contribution to the score of each document of ``within``."""
    budget.check()
    weight = word.weight
    get = scores.get
    if word.saturated is None and len(within) * 16 < word.postings:
        # A few documents: their frequencies by bisection, not the whole posting list.
        k1p1 = K1 + 1
        for d, t in _frequencies(word, within, lengths).items():
            scores[d] = get(d, 0.0) + weight * (t * k1p1 / (K1 + t))
        return
    if word.saturated is None:
        word.saturated = _saturated(word, lengths, cache)
    ids, values, _ = word.saturated
    if len(within) * 16 < len(ids):
        n = len(ids)
        for d in within:
            i = bisect_left(ids, d)
            if i < n and ids[i] == d:
                scores[d] = get(d, 0.0) + weight * values[i]
    else:
        for d, v in zip(ids, values, strict=True):
            if d in within:
                scores[d] = get(d, 0.0) + weight * v


def rank(
    q: Node,
    searcher: Any,
    matched: AbstractSet[int],
    k: int,
    lengths: FieldLengths,
    cache: PostingCache | None = None,
    query_counts: Mapping[bytes, int] | None = None,
) -> list[tuple[int, float]]:
    """The ``k`` best of ``matched`` by BM25F, best first (ties: lower docnum first).

    Exactly the top of :func:`score_all`, without scoring every match: the words are
    added heaviest first, and once the most that the words left can add to one
    document could not lift a document that has not scored yet to the k-th best score
    so far (scores only grow), only the documents that can still reach it are scored
    further (MaxScore, term at a time). A long "any of these words" query is where this
    counts.
    """
    if not matched or k <= 0:
        return []
    words = _words(q, searcher, cache, lengths, query_counts)
    if k >= len(matched):
        return top_k(_score(words, matched, lengths, cache), k)
    for word in words:
        if len(matched) * 16 >= word.postings:  # scored in full anyway: its exact ceiling
            word.saturated = _saturated(word, lengths, cache)
    # left[i]: the most that words i, i+1, ... can still add to one document (a hair
    # more, so that rounding in the sums can never make the bound too tight)
    left = [0.0] * (len(words) + 1)
    for i in range(len(words) - 1, -1, -1):
        left[i] = left[i + 1] + words[i].ceiling
    left = [x * (1 + 1e-9) + 1e-12 for x in left]
    scores: dict[int, float] = {}
    within: AbstractSet[int] = matched
    leaders: list[int] = []  # k documents that led at some point
    closed = False  # no document outside ``scores`` can reach the top k any more
    pruned_at = math.inf
    for i, word in enumerate(words):
        if len(scores) >= k:
            if not leaders or (i % 16 == 0 and not closed):
                kth = heapq.nlargest(k, scores.values())[-1]
                leaders = [d for d, s in scores.items() if s >= kth][:k]
            # The lowest score of k documents: at most the k-th best (and scores only
            # grow), so nothing it rules out could reach the top k.
            kth = min(map(scores.__getitem__, leaders))
            if not closed and left[i] < kth:
                closed = True
                within = scores.keys()  # only documents already scored are scored further
                pruned_at = left[i]
            if closed and left[i] <= pruned_at / 2:
                # Drop the documents that cannot reach it even with every word left (a
                # pass over the scores, worth it each time the words left weigh half).
                scores = {d: s for d, s in scores.items() if s + left[i] >= kth}
                within = scores.keys()
                pruned_at = left[i]
        _add(word, within, lengths, scores, cache)
    if len(scores) < k:
        # Matches without a scoring term (e.g. only under a NOT): they rank last.
        for d in sorted(matched):
            if d not in scores:
                scores[d] = 0.0
                if len(scores) >= k:
                    break
    return top_k(scores, k)


def _score(
    words: list[_Word], matched: AbstractSet[int], lengths: FieldLengths, cache: PostingCache | None
) -> dict[int, float]:
    """Every document of ``matched`` with its whole score (0.0 for those no word scores)."""
    scores: dict[int, float] = {}
    for word in words:
        _add(word, matched, lengths, scores, cache)
    if len(scores) < len(matched):
        # Matches without a scoring term (e.g. only under a NOT): they rank last.
        for d in matched:
            if d not in scores:
                scores[d] = 0.0
    return scores


def score_all(
    q: Node,
    searcher: Any,
    matched: AbstractSet[int],
    lengths: FieldLengths,
    cache: PostingCache | None = None,
    query_counts: Mapping[bytes, int] | None = None,
) -> dict[int, float]:
    """The BM25F score of every document of ``matched`` (0.0 for those no term scores).

    Robertson's BM25F: for each query word, its frequency in each field (the field's
    boost folded into the posting weight at index time) is normalised by that field's
    length, ``1 - b_f + b_f * len / avg_len``, the fields' contributions are summed,
    and the sum is saturated once with ``K1`` and weighted once by the word's BM25 idf,
    its document frequency taken over all the fields it is searched in. A word repeated
    in the query weighs ``(K3 + 1) * n / (K3 + n)`` (``query_counts``: n per word).
    """
    return _score(_words(q, searcher, cache, lengths, query_counts), matched, lengths, cache)


def _union_size(lists: list[array[int]]) -> int:
    """How many documents are in any of the ascending id lists (a word's document
    frequency over several fields), by bisection into the longest one."""
    if len(lists) == 1:
        return len(lists[0])
    lists = sorted(lists, key=len)
    longest = lists[-1]
    n = len(longest)
    extra: set[int] = set()
    for ids in lists[:-1]:
        for d in ids:
            i = bisect_left(longest, d)
            if i == n or longest[i] != d:
                extra.add(d)
    return n + len(extra)


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
