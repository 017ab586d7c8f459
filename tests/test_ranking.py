"""The ranker computes BM25F as written (Robertson's, with BM25's idf and query-term
saturation), checked against a plain re-implementation over the articles' own text."""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from search.backends.whoosh.matching import match_set
from search.backends.whoosh.ranking import FIELD_B, K1, K3, PostingCache, rank, scores_of
from search.backends.whoosh.schema import ArticleSchema, news_analyzer
from search.backends.whoosh.store import IndexStore
from search.query_text import prepare
from search.querying import parse_query, search
from tests.conftest import index_from_records, needs_reuters


def score_all(q: Any, searcher: Any, matched: Any, lengths: Any, cache: Any) -> dict[int, float]:
    """Every match's score, as {document number: score}."""
    ids = np.asarray(sorted(matched), dtype=np.int32)
    return dict(
        zip(ids.tolist(), scores_of(q, searcher, ids, lengths, cache).tolist(), strict=True)
    )


def top_k(scores: dict[int, float], k: int) -> list[tuple[int, float]]:
    """The k best, ties by lower document number, by a plain sort."""
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


WORDS = ["oil", "prices", "coffee", "brazil", "cocoa", "bank", "japan", "wheat", "export", "gold"]
RECORDS = [
    {"id": f"d{i}", "title": " ".join(WORDS[j % 10] for j in range(i % 4 + 1)) + f" report {i}",
     "standfirst": " ".join(WORDS[(i + j) % 10] for j in range(i % 3)),
     "body": " ".join(WORDS[(i * j + 3) % 10] for j in range(5 + i % 17)) + " filler text here",
     "published": f"2023-{1 + i % 12:02d}-01"}
    for i in range(80)
]  # fmt: skip
FIELDS = ("title", "standfirst", "body")
BOOST = {name: ArticleSchema()[name].format.field_boost for name in FIELDS}  # 2.5, 1.5, 1


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> IndexStore:
    return IndexStore(index_from_records(tmp_path_factory.mktemp("rank"), RECORDS))


def reference(store: IndexStore, words: list[tuple[str, tuple[str, ...]]]) -> dict[str, float]:
    """BM25F written out: (word, fields it is searched in) → score of every article."""
    snap = store.snapshot()
    lengths = snap.field_lengths()  # the index's stored (one-byte) lengths and averages
    analyze = news_analyzer()
    tf: dict[int, dict[str, Counter[str]]] = {}
    for d in snap.live:
        stored = snap.stored(d)
        tf[d] = {f: Counter(t.text for t in analyze(stored.get(f) or "")) for f in FIELDS}
    n_docs = len(snap.live)
    counts = Counter(w for w, _ in words)
    scores: dict[str, float] = {}
    for word, fields in dict.fromkeys(words):
        stem = next(iter(analyze(word))).text
        df = sum(1 for d in tf if any(tf[d][f][stem] for f in fields))
        idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        qw = (K3 + 1) * counts[word] / (K3 + counts[word])
        for d in tf:
            tfn = sum(
                BOOST[f] * tf[d][f][stem]
                / (1 - FIELD_B[f] + FIELD_B[f] * lengths.lengths[f][d] / lengths.average[f])
                for f in fields
            )  # fmt: skip
            if tfn:
                doc_id = snap.stored(d)["id"]
                scores[doc_id] = scores.get(doc_id, 0.0) + idf * qw * tfn * (K1 + 1) / (K1 + tfn)
    return scores


@pytest.mark.parametrize(
    ("query", "words"),
    [("oil", [("oil", FIELDS)]),
     ("oil prices", [("oil", FIELDS), ("prices", FIELDS)]),
     ("coffee OR cocoa", [("coffee", FIELDS), ("cocoa", FIELDS)]),
     ("title:coffee", [("coffee", ("title",))]),
     ("oil oil prices", [("oil", FIELDS), ("oil", FIELDS), ("prices", FIELDS)]),
     ("wheat OR wheat OR export", [("wheat", FIELDS), ("wheat", FIELDS), ("export", FIELDS)])],
)  # fmt: skip
def test_scores_are_bm25f_as_written(store: IndexStore, query: str, words: list) -> None:  # type: ignore[type-arg]
    expected = reference(store, words)
    page = search(query, per_page=100, index=store)
    assert page.total > 0
    got = {h.id: h.score for h in page.hits}
    for doc_id, score in got.items():
        assert score == pytest.approx(expected[doc_id], rel=1e-5), doc_id
    # The order is the reference's order.
    assert [h.id for h in page.hits] == sorted(got, key=lambda i: (-expected[i], int(i[1:])))


def test_a_repeated_word_weighs_more(store: IndexStore) -> None:
    once = {h.id: h.score for h in search("oil prices", per_page=100, index=store).hits}
    twice = {h.id: h.score for h in search("oil oil prices", per_page=100, index=store).hits}
    assert set(once) == set(twice) and any(twice[d] > once[d] for d in once)  # type: ignore[operator]


def test_filtered_ranking_only_returns_allowed(store: IndexStore) -> None:
    snap = store.snapshot()
    q = parse_query("oil")
    matched = match_set(q, snap.searcher, snap.live, None)
    allowed = set(sorted(matched)[:5])
    ranked = rank(q, snap.searcher, allowed, 100, snap.field_lengths(), None)
    assert {d for d, _ in ranked} == allowed


def _top_by_scoring_all(
    q: object, snap: object, matched: set[int], k: int
) -> list[tuple[int, float]]:
    scores = score_all(q, snap.searcher, matched, snap.field_lengths(), None)  # type: ignore[attr-defined]
    return top_k(scores, k)


#: Five copies of each of 16 texts: equal scores at every rank, so ties at the k-th place.
TWINS = [
    {"id": f"t{i}", "title": f"{WORDS[i % 16 % 10]} {WORDS[(i % 16 * 3) % 10]}",
     "body": " ".join(WORDS[(i % 16 + j) % 10] for j in range(2 + i % 16 % 5)),
     "published": "2023-01-01"}
    for i in range(80)
]  # fmt: skip


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> IndexStore:
    return IndexStore(index_from_records(tmp_path_factory.mktemp("twins"), TWINS))


@pytest.mark.parametrize("k", [1, 3, 10])
@pytest.mark.parametrize("which", ["store", "twins"])
@pytest.mark.parametrize(
    "query",
    [" ".join(WORDS), " ".join([*WORDS, "report", "17"]), "7 oil 19 prices 23 coffee 31",
     " ".join(WORDS[:4]) + " -gold", "oil^3 prices coffee^0.5 brazil title:cocoa"],
)  # fmt: skip
def test_a_score_is_the_same_whatever_else_matches(
    request: pytest.FixtureRequest, which: str, query: str, k: int
) -> None:
    """rank() over any subset of the matches (a filter) is the top k of the scores every
    match gets when all are scored, to the last bit, ties included: a few documents
    are scored by looking their frequencies up, many through each word's saturated
    array, and both give the same sums, with the saturated frequencies cold and cached."""
    store: IndexStore = request.getfixturevalue(which)
    snap = store.snapshot()
    q = parse_query(prepare(query).text, match="any")
    matched = set(match_set(q, snap.searcher, snap.live, None))
    assert len(matched) > k
    every = score_all(q, snap.searcher, matched, snap.field_lengths(), None)
    rng = random.Random(f"{which}{query}{k}")
    sizes = [len(matched), len(matched) // 2, 3, 1]
    subsets = [set(rng.sample(sorted(matched), n)) for n in sizes for _ in range(2)]
    cache = PostingCache()
    for subset in subsets:
        expected = top_k({d: every[d] for d in subset}, k)
        for _ in range(2):  # cold, then with the cache warm
            got = rank(q, snap.searcher, subset, k, snap.field_lengths(), cache)
            assert got == expected


def test_twins_tie_at_the_kth_place(twins: IndexStore) -> None:
    """The ties the test above relies on are there: for k = 1 and 3 the k-th and the next
    article score alike, so which of them is in the top k is decided by the docnum."""
    snap = twins.snapshot()
    q = parse_query(" ".join(WORDS), match="any")
    matched = set(match_set(q, snap.searcher, snap.live, None))
    top = _top_by_scoring_all(q, snap, matched, 11)
    for k in (1, 3):
        assert top[k - 1][1] == top[k][1] and top[k - 1][0] < top[k][0]


@needs_reuters
@pytest.mark.slow
@pytest.mark.parametrize(
    "query",
    ["oil prices opec saudi production crude barrels output quota ecuador",
     "the effect of rising interest rates on the dollar and on bank lending in japan",
     "said year pct mln company share market trade price government"],
)  # fmt: skip
def test_ranking_a_filtered_set_on_reuters(reuters_index: Path, query: str) -> None:
    store = IndexStore(reuters_index)
    snap = store.snapshot()
    q = parse_query(query, match="any")
    matched = sorted(match_set(q, snap.searcher, snap.live, snap.term_cache).tolist())
    every = score_all(q, snap.searcher, matched, snap.field_lengths(), None)
    for subset in (matched, matched[::40], matched[::2000]):
        for k in (10, 100):
            expected = top_k({d: every[d] for d in subset}, k)
            got = rank(q, snap.searcher, subset, k, snap.field_lengths(), snap.posting_cache)
            assert got == expected
