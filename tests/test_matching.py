"""The set-algebra matcher returns exactly what Whoosh's own matchers return."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.backends.whoosh.matching import match_set
from search.backends.whoosh.parsing import whoosh_query
from search.backends.whoosh.store import IndexStore, Snapshot
from search.indexing import build, update
from search.query import Node
from search.query_text import prepare
from search.querying import expand, parse_query
from tests.conftest import page

QUERIES = [
    "oil", "oil prices", "oil OR gas", "coffee -brazil", "coffee NOT brazil", '"crude oil"',
    "petro*", "title:cocoa", "opec OR saudi", "bank NOT japan", "(wheat OR corn) AND export",
    "grain AND (corn OR wheat) -soviet", '"interest rates" OR "discount rate"', "said",
    "title:oil body:prices", "yen NOT (dollar OR mark)", "sugar", "reuters",
]  # fmt: skip


def whoosh_ids(store: IndexStore, text: str) -> set[int]:
    snap = store.snapshot()
    q = whoosh_query(prepare(text).text)
    return (
        set(q.matcher(snap.searcher).all_ids())
        if q.estimate_size(snap.searcher.reader())
        else set()
    )


def ours(text: str, snap: Snapshot) -> Node:
    """Our reading of the query, expanded as a search expands it."""
    return expand(parse_query(prepare(text).text), snap, [])


@pytest.mark.parametrize("text", QUERIES)
def test_same_as_whoosh_on_reuters(reuters_index: Path, text: str) -> None:
    store = IndexStore(reuters_index)
    snap = store.snapshot()
    q = ours(text, snap)
    found = match_set(q, snap.searcher, snap.live, snap.term_cache)
    assert set(found) == whoosh_ids(store, text)
    # And again from the term cache.
    assert set(match_set(q, snap.searcher, snap.live, snap.term_cache)) == set(found)


def test_same_as_whoosh_with_deletions_and_segments(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(60):
        words = ["alpha"] + (["beta"] if i % 2 else []) + (["gamma"] if i % 3 == 0 else [])
        (src / f"a{i:02d}.txt").write_text(page(title=f"Story {i}", body=[" ".join(words) + "."]))
    location = tmp_path / "index"
    build([src], location)
    for i in range(0, 60, 7):
        (src / f"a{i:02d}.txt").unlink()
    for i in range(60, 75):
        (src / f"a{i:02d}.txt").write_text(page(title=f"Story {i}", body=["alpha beta delta."]))
    report = update([src], location)
    assert report.removed == 9 and report.indexed == 15
    store = IndexStore(location)
    snap = store.snapshot()
    assert len(list(snap.searcher.reader().leaf_readers())) == 2
    assert snap.term_cache.deleted is not None and len(snap.term_cache.deleted)
    for text in (
        "alpha",
        "beta",
        "gamma -beta",
        "alpha NOT gamma",
        "delta OR gamma",
        "story",
        '"alpha beta"',
        '"beta alpha"',
    ):
        q = ours(text, snap)
        assert set(match_set(q, snap.searcher, snap.live, None)) == whoosh_ids(store, text), text
