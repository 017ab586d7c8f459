"""Our BM25F ranking gives Whoosh's own scores, so it is Whoosh's ranking, only faster."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import scoring

from search.matching import match_set
from search.query_text import prepare
from search.querying import _parser
from search.ranking import rank
from search.store import IndexStore

QUERIES = [
    "oil", "said", "oil prices", "coffee -brazil", "title:cocoa", "opec OR saudi",
    "bank NOT japan", "(wheat OR corn) AND export", "yen dollar mark", "gold^3 silver",
]  # fmt: skip


@pytest.mark.parametrize("text", QUERIES)
def test_scores_equal_whoosh_bm25f(reuters_index: Path, text: str) -> None:
    store = IndexStore(reuters_index)
    snap = store.snapshot()
    q = _parser().parse(prepare(text).text).normalize()
    matched = match_set(q, snap.searcher, snap.live_set, snap.term_cache)
    ours = rank(q, snap.searcher, matched, 20, snap.field_lengths(), snap.posting_cache)
    with snap.searcher.refresh() as s:  # a fresh searcher: Whoosh's BM25F, block-max on
        s.weighting = scoring.BM25F()
        theirs = s.search(q, limit=len(matched))
        by_doc = {hit.docnum: hit.score for hit in theirs}
    assert len(ours) == min(20, len(matched))
    # Whoosh adds a constant 1.0 for each NOT it satisfies; order is what matters.
    shift = by_doc[ours[0][0]] - ours[0][1]
    assert shift in (pytest.approx(0.0, abs=1e-6), pytest.approx(1.0, abs=1e-6))
    for docnum, score in ours:
        assert score + shift == pytest.approx(by_doc[docnum], rel=1e-5), docnum
    # The same order: no document Whoosh scores higher is missing from our top.
    cutoff = ours[-1][1] + shift
    assert all(s <= cutoff * (1 + 1e-5) for d, s in by_doc.items() if d not in dict(ours))


def test_filtered_ranking_only_returns_allowed(reuters_index: Path) -> None:
    snap = IndexStore(reuters_index).snapshot()
    q = _parser().parse("oil").normalize()
    matched = match_set(q, snap.searcher, snap.live_set, None)
    allowed = set(sorted(matched)[:50])
    ranked = rank(q, snap.searcher, allowed, 100, snap.field_lengths(), None)
    assert {d for d, _ in ranked} == allowed
