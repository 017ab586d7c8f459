"""The set of ALL documents a query matches, computed with array set algebra.

Whoosh answers "which documents match" by walking a tree of matcher objects one
document at a time in Python, which costs tens of milliseconds for a common word. We
need that set for every query (the total, the date filter, the facets), so we compute
it differently: each term's posting list is decoded block by block (by the decoder
that ranking shares) into a sorted array of document numbers (search.docsets), and
AND/OR/NOT become array intersection, union and difference. Phrases intersect their
words' sets, then check positions of the candidates only.
``tests/test_matching.py`` checks the result equals Whoosh's ``all_ids()`` over a table
of queries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from search import budget, docsets
from search.backends.whoosh import internals
from search.backends.whoosh.ranking import PostingCache, postings
from search.cache import BoundedCache
from search.docsets import EMPTY, Ids
from search.query import And, AndMaybe, AndNot, Every, Node, Not, Nothing, Or, Phrase, Term

__all__ = ["TERM_SET_ENTRIES", "TermSetCache", "match_set"]


#: At most this many term (or phrase) sets in one cache, whatever their size.
TERM_SET_ENTRIES = 20_000
#: An entry costs at least this many set members: an empty array, its key and the
#: cache's bookkeeping take ~250 bytes, a member 4.
TERM_SET_MIN_COST = 64
_KEY_BYTES_PER_MEMBER = 4


def _key_cost(key: tuple[str, bytes]) -> int:
    """A key's bytes in set members (a pasted phrase can be 4,000 characters)."""
    return len(key[1]) // _KEY_BYTES_PER_MEMBER


class TermSetCache(BoundedCache[tuple[str, bytes], Ids]):
    """Document sets of recently used terms (and phrases), bounded by their total size
    (in set members, each entry at least :data:`TERM_SET_MIN_COST`) and their number
    (:data:`TERM_SET_ENTRIES`).

    Keys: (field, term) for a term; (field, words joined by NUL + slop) for a phrase.
    A term the index does not have is never cached (telling that is one lookup). With
    no deleted documents, a term's set is its postings' ids, already in the posting
    cache: only sets that differ from them (deletions, phrases) are kept here.
    """

    def __init__(
        self,
        max_items: int = 4_000_000,
        postings: PostingCache | None = None,
        deleted: Ids | None = None,
        phrases: TermSetCache | None = None,
        max_entries: int = TERM_SET_ENTRIES,
    ) -> None:
        super().__init__(
            max_items, len, max_entries=max_entries, min_cost=TERM_SET_MIN_COST,
            key_cost=_key_cost,
        )  # fmt: skip
        #: Phrase results, kept apart so that the many big term sets cannot evict them.
        self.phrases = phrases
        #: Where decoded postings are shared with ranking (one decode serves both).
        self.postings = postings
        #: Deleted document numbers, still in posting lists until a merge (None: ask).
        self.deleted = deleted


def _deleted(reader: Any) -> Ids:
    """Global numbers of the deleted documents of every segment."""
    out: list[int] = []
    for seg, offset in reader.leaf_readers():
        out.extend(d + offset for d in internals.deleted_in(seg))
    return docsets.of(out)


def term_set(searcher: Any, fieldname: str, text: str | bytes, cache: TermSetCache | None) -> Ids:
    """Live document numbers containing one term (deleted documents excluded)."""
    btext = text if isinstance(text, bytes) else text.encode("utf-8")
    key = (fieldname, btext)
    deleted = cache.deleted if cache is not None else None
    if deleted is None:
        deleted = _deleted(searcher.reader())
    if cache is not None and len(deleted):
        hit = cache.get(key)
        if hit is not None:
            return hit
    ids, _ = postings(searcher, fieldname, btext, cache.postings if cache is not None else None)
    if not len(ids) or not len(deleted):
        return ids
    result = docsets.difference(ids, deleted)
    if cache is not None:
        cache.put(key, result)
    return result


def _positions(searcher: Any, fieldname: str, btext: bytes, wanted: Ids) -> dict[int, list[int]]:
    """Positions of a term in each of the ``wanted`` documents (global numbers).

    Blocks holding none of them are skipped by their maximum id, without decoding.
    """
    out: dict[int, list[int]] = {}
    reader = searcher.reader()
    key = (fieldname, btext)
    if key not in reader or not len(wanted):
        return out
    for seg, offset in reader.leaf_readers():
        if key not in seg:
            continue
        end = offset + seg.doc_count_all()
        lo, hi = np.searchsorted(wanted, [offset, end])
        local = (wanted[lo:hi] - offset).tolist()
        if not local:
            continue
        found = internals.blocks(seg, fieldname, btext)
        if found is None:  # not stored in blocks: ask the public matcher
            m, chosen = seg.postings(fieldname, btext), set(local)
            while m.is_active():
                if m.id() in chosen:
                    out[m.id() + offset] = list(m.value_as("positions"))
                m.next()
            continue
        i = 0
        for block in found:
            if i >= len(local):
                break
            budget.check()
            if local[i] <= block.max_id:
                values = block.values()
                for j, d in enumerate(block.ids()):
                    while i < len(local) and local[i] < d:
                        i += 1
                    if i < len(local) and local[i] == d:
                        out[d + offset] = internals.decode_positions(values[j])
                while i < len(local) and local[i] <= block.max_id:
                    i += 1
    return out


def _in_sequence(positions: list[list[int]], slop: int) -> bool:
    """Whether the words occur in order, each within ``slop`` positions of the last."""
    if slop == 1:
        rest = [set(p) for p in positions[1:]]
        return any(all(p + j in r for j, r in enumerate(rest, 1)) for p in positions[0])
    for start in positions[0]:
        prev = start
        for later in positions[1:]:
            nxt = next((q for q in later if 0 < q - prev <= slop), None)
            if nxt is None:
                break
            prev = nxt
        else:
            return True
    return False


def phrase_set(q: Phrase, searcher: Any, cache: TermSetCache | None) -> Ids:
    """Documents holding the phrase: the words' sets intersected, then positions checked
    only for those candidates (Whoosh's span matcher walks every posting in Python)."""
    words = [w.encode("utf-8") for w in q.words]
    # Checking positions is the dearest step of any query (a phrase of two common words
    # decodes tens of thousands of position lists), so its result is cached like a term's.
    key = (q.field, b"\x00".join(words) + b"\x00~%d" % q.slop)
    results = None if cache is None else cache.phrases if cache.phrases is not None else cache
    if results is not None and len(words) > 1:
        hit = results.get(key)
        if hit is not None:
            return hit
    sets = sorted((term_set(searcher, q.field, w, cache) for w in words), key=len)
    candidates = sets[0]
    for other in sets[1:]:
        candidates = docsets.intersect(candidates, other)
        if not len(candidates):
            return EMPTY
    if len(words) == 1:
        return candidates
    per_word = [_positions(searcher, q.field, w, candidates) for w in words]
    budget.check()
    slop = max(1, q.slop)
    result = docsets.of(
        [d for d in candidates.tolist() if _in_sequence([pw[d] for pw in per_word], slop)]
    )
    if results is not None:
        results.put(key, result)
    return result


def match_set(q: Node, searcher: Any, live: Ids, cache: TermSetCache | None = None) -> Ids:
    """Document numbers (ascending) of every live document that an expanded query ``q``
    matches; ``live`` is every live document, ascending."""
    universe = int(live[-1]) + 1 if len(live) else 0

    def walk(q: Node) -> Ids:
        if isinstance(q, Nothing):
            return EMPTY
        if isinstance(q, Every):
            return live
        if isinstance(q, Term):
            return term_set(searcher, q.field, q.text, cache)
        if isinstance(q, Phrase):
            return phrase_set(q, searcher, cache) if q.words else EMPTY
        if isinstance(q, AndNot):
            return docsets.difference(walk(q.positive), walk(q.negative))
        if isinstance(q, AndMaybe):
            return walk(q.required)
        if isinstance(q, Not):
            return docsets.difference(live, walk(q.item))
        if isinstance(q, And):
            positives = [c for c in q.items if not isinstance(c, Not)]
            negatives = [c.item for c in q.items if isinstance(c, Not)]
            if not positives:
                acc = live
            else:
                sets = sorted((walk(c) for c in positives), key=len)
                acc = sets[0]
                for s in sets[1:]:
                    if not len(acc):
                        break
                    acc = docsets.intersect(acc, s)
            for n in negatives:
                if not len(acc):
                    break
                acc = docsets.difference(acc, walk(n))
            return acc
        if isinstance(q, Or):
            parts = []
            for c in q.items:
                budget.check()
                parts.append(walk(c))
            return docsets.union(parts, universe)
        raise TypeError(f"{q!r} is not expanded (search.querying.expand)")

    return walk(q)
