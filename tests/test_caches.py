"""Caches that never shrink (issue 11 §3): random-word queries, thousands of them, over a
real index on disk, through the engine and through a served worker, leave every cache
within its entry bound and the worker's memory within a stated bound."""

from __future__ import annotations

import random
import shutil
import string
import subprocess
from pathlib import Path

import pytest
import requests

from search.analysis import _NORMAL, _NORMAL_MAX
from search.backends.whoosh.ranking import POSTING_ENTRIES
from search.backends.whoosh.store import open_store
from search.cache import BoundedCache
from search.querying import search
from search.snippets import _candidates
from tests.conftest import index_from_records
from tests.live import Server

#: How much a served worker may grow over 300 requests of 100 words no article has
#: (30,000 random words; before the fix it grew ~70 MB, ~800 bytes a word and field).
SERVED_GROWTH_MB = 25

ARTICLES = 2_000
WORDS_PER_ARTICLE = 12  # in the title and in the body: 24,000 words in the index


def _word(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(7, 11)))


@pytest.fixture(scope="module")
def vocabulary() -> list[str]:
    rng = random.Random(3)
    words: set[str] = set()
    while len(words) < ARTICLES * WORDS_PER_ARTICLE:
        words.add("q" + _word(rng))  # never a stop word
    return sorted(words)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, vocabulary: list[str]) -> Path:
    records = []
    for i in range(ARTICLES):
        own = vocabulary[i * WORDS_PER_ARTICLE : (i + 1) * WORDS_PER_ARTICLE]
        records.append({
            "id": f"a{i}", "title": " ".join(own), "published": f"2020-{1 + i % 12:02d}-03",
            "section": "World", "body": " ".join(own) + ".",
        })  # fmt: skip
    return index_from_records(tmp_path_factory.mktemp("caches"), records)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def test_an_entry_costs_at_least_its_minimum_and_entries_are_bounded() -> None:
    cache: BoundedCache[int, frozenset[int]] = BoundedCache(10_000, len, max_entries=50, min_cost=8)
    for i in range(5_000):
        cache.put(i, frozenset())  # size 0: used to be kept for ever
    assert len(cache) == 50 and cache.cost == 50 * 8
    assert cache.get(4_999) == frozenset() and cache.get(0) is None  # the oldest went
    small: BoundedCache[int, frozenset[int]] = BoundedCache(800, len, max_entries=10**6, min_cost=8)
    for i in range(5_000):
        small.put(i, frozenset())
    assert len(small) == 100 and small.cost <= 800  # the budget bounds empties too


@pytest.mark.parametrize("arrays", [False, True], ids=["blocks", "mapped"])
def test_random_words_leave_every_cache_within_its_bounds(
    index_dir: Path, vocabulary: list[str], tmp_path: Path, arrays: bool
) -> None:
    """2,000 queries, each of 12 words: 8 the index has (rare: one article each), 4 it
    does not; every tenth ranked as "any of these words", so that every word is scored.
    Postings decoded from Whoosh's blocks (an index whose table of contents has no
    arrays, as after an update) fill the posting cache to its bound; mapped ones are
    never cached."""
    rng = random.Random(11)
    if not arrays:
        copy = tmp_path / "index"
        shutil.copytree(index_dir, copy, symlinks=True)
        for folder in copy.glob("*/postings-*"):
            shutil.rmtree(folder)
        index_dir = copy
    store = open_store(index_dir)
    snap = store.snapshot()
    assert (snap.posting_cache.mapped is not None) == arrays
    for i in range(2_000):
        words = rng.sample(vocabulary, 8) + [_word(rng) for _ in range(4)]
        match = "any" if i % 10 == 0 else "all"
        page = search(" ".join(words), match=match, index=store)
        assert (page.total >= 1) if match == "any" else (page.total == 0)
        if i % 500 == 0:
            assert store.snapshot() is snap  # one generation throughout
    term, phrases, posting = snap.term_cache, snap.term_cache.phrases, snap.posting_cache
    assert phrases is not None
    # 16,000 draws of 24,000 words, in two fields each: more terms than the bound. With
    # no deleted articles a term's set is its postings' ids: none is held twice.
    assert len(term) == 0 and not term.deleted.size  # type: ignore[union-attr]
    if arrays:
        assert len(posting) == 0 and not posting.cost
    else:
        assert len(posting) == POSTING_ENTRIES and posting.cost <= posting.budget
    assert len(posting.saturated) <= posting.saturated.max_entries
    assert len(phrases) <= phrases.max_entries
    assert len(_NORMAL) <= _NORMAL_MAX
    info = _candidates.cache_info()
    assert info.maxsize is not None and info.currsize <= info.maxsize


def test_a_served_worker_stays_within_its_memory_bound(index_dir: Path, tmp_path: Path) -> None:
    """Words no article has used to stay cached, at size 0, in three fields each."""
    server = Server(index_dir, tmp_path / "server.log", workers=1)
    try:
        pids = subprocess.run(
            ["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(pids) == 1, pids
        worker = int(pids[0])
        session = requests.Session()
        rng = random.Random(5)

        def ask(n: int) -> None:
            for _ in range(n):
                q = " ".join(_word(rng) for _ in range(100))
                r = session.get(server.url + "/api/search", params={"q": q}, timeout=30)
                assert r.status_code == 200 and r.json()["total"] == 0

        ask(20)  # warm up: the columns, the parser, the allocator's first arenas
        before = rss_mb(worker)
        ask(300)
        grown = rss_mb(worker) - before
        assert grown <= SERVED_GROWTH_MB, f"the worker grew {grown:.0f} MB"
    finally:
        server.stop()
