"""What a query may cost: priced before it runs (a 400 that says why), ended at its
deadline (a JSON 503 with Retry-After), never a worker killed by the server."""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from search import budget
from search.backends.whoosh.store import IndexStore
from search.budget import MAX_CLAUSES, MAX_POSITIONS, MAX_POSTINGS, Cost
from search.cli import main
from search.errors import QueryTooCostly, SearchTimeout
from search.query import Node, Term, children
from search.querying import MAX_EXPANSION, find_matches, search
from search.wildcards import MAX_SCAN
from tests.conftest import assert_error, index_from_records, needs_reuters
from tests.live import Server
from web import create_app

PREFIXES = ["co", "st", "pr", "re", "de", "ma", "ex", "tr"]


def _vocabulary() -> list[str]:
    rng = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set()
    for p in PREFIXES:  # 100 words under each prefix: more than a wildcard expands to
        while len([w for w in words if w.startswith(p)]) < 100:
            words.add(p + "".join(rng.choice(letters) for _ in range(5)))
    return sorted(words)


VOCABULARY = _vocabulary()


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 articles whose title, standfirst and body hold words of many prefixes."""
    rng = random.Random(7)
    records = []
    for i in range(200):
        words = rng.sample(VOCABULARY, 40)
        records.append(
            {
                "id": f"b{i}",
                "title": " ".join(words[:8]),
                "standfirst": " ".join(words[8:16]),
                "body": " ".join(words[16:]) + " common harbour words",
                "published": f"2023-{1 + i % 12:02d}-10",
            }
        )
    return index_from_records(tmp_path_factory.mktemp("budget"), records)


def _priced(text: str, index_dir: Path, match: str = "all") -> Cost:
    m = find_matches(text, match=match, index=IndexStore(index_dir))
    return budget.price(m.query, m.snap.searcher.reader())


def test_a_word_is_a_clause_in_each_field_and_its_postings_are_its_frequencies(
    index_dir: Path,
) -> None:
    word = VOCABULARY[3]
    store = IndexStore(index_dir)
    reader = store.snapshot().searcher.reader()
    dfs = [reader.doc_frequency(f, word) for f in ("title", "standfirst", "body")]
    assert _priced(word, index_dir) == Cost(clauses=3, postings=sum(dfs), positions=0)


def test_a_wildcard_is_priced_as_every_word_it_expands_to(index_dir: Path) -> None:
    m = find_matches("co*", index=IndexStore(index_dir))
    assert m.notes == [f"'co' matches too many words; searched the first {MAX_EXPANSION}"]
    cost = budget.price(m.query, m.snap.searcher.reader())
    assert cost.clauses == 3 * MAX_EXPANSION  # 100 words under 'co', in each field


def test_a_phrase_is_priced_by_its_rarest_word(index_dir: Path) -> None:
    cost = _priced('"common harbour words"', index_dir)
    # Every article has the three words in its body, none in the other fields.
    assert cost == Cost(clauses=9, postings=3 * 200, positions=3 * 200)


@pytest.mark.parametrize(
    ("cost", "over"),
    [
        (Cost(MAX_CLAUSES, MAX_POSTINGS, MAX_POSITIONS), None),
        (Cost(MAX_CLAUSES + 1, 0, 0), "terms once wildcards"),
        (Cost(1, MAX_POSTINGS + 1, 0), "postings"),
        (Cost(1, 1, MAX_POSITIONS + 1), "position lists"),
    ],
)
def test_the_budget_says_which_limit_a_cost_is_over(cost: Cost, over: str | None) -> None:
    problem = cost.problem()
    assert (problem is None) if over is None else (problem is not None and over in problem)


def test_too_many_expanded_terms_is_a_400_that_says_why(index_dir: Path) -> None:
    # Eight prefixes of 64 words each in three fields: 1,536 clauses, for 26 characters.
    text = " ".join(f"{p}*" for p in PREFIXES)
    with pytest.raises(QueryTooCostly) as caught:
        search(text, index=IndexStore(index_dir))
    assert caught.value.clauses == len(PREFIXES) * MAX_EXPANSION * 3 > MAX_CLAUSES
    client = create_app({"INDEX": str(index_dir), "TESTING": True}).test_client()
    body = assert_error(
        client.get("/api/search", query_string={"q": text}), 400, "query_too_costly"
    )
    assert body["error"]["message"].startswith(f"q: searches {caught.value.clauses:,} terms")
    page = client.get("/", query_string={"q": text})
    assert page.status_code == 400 and b"terms once wildcards" in page.data
    # Two prefixes are within the budget.
    assert (
        client.get("/api/search", query_string={"q": "co* st*", "match": "any"}).status_code == 200
    )


def test_the_cli_refuses_it_in_one_line(index_dir: Path) -> None:
    text = " ".join(f"{p}*" for p in PREFIXES)
    r = CliRunner().invoke(main, ["query", text, "--index", str(index_dir)])
    assert r.exit_code == 1
    assert r.output.count("\n") == 1 and r.output.startswith("Error: q: searches 1,536 terms")


@pytest.mark.parametrize(
    ("typed", "note", "searched"),
    [
        ("*oal*", "'*oal*' cannot start with a wildcard", "oal*"),
        ("title:*ommon", "'*ommon' cannot start with a wildcard", "ommon"),
        ("*", None, None),
    ],
)
def test_a_leading_wildcard_is_read_leniently(
    index_dir: Path, typed: str, note: str | None, searched: str | None
) -> None:
    page = search(typed, index=IndexStore(index_dir))
    if note is None:  # a lone '*' is every article, as it always was
        assert page.total == 200
        return
    assert any(n.startswith(note) and f"searched '{searched}' instead" in n for n in page.notes)


def test_a_wildcard_of_many_stars_is_answered_at_once(index_dir: Path) -> None:
    started = time.process_time()
    page = search("co" + "*a" * 30 + "*", index=IndexStore(index_dir))
    assert time.process_time() - started < 1.0
    assert page.total == 0


def test_a_search_past_its_deadline_is_a_503_with_retry_after(index_dir: Path) -> None:
    app = create_app({"INDEX": str(index_dir), "TESTING": True, "SEARCH_CPU_SECONDS": 1e-9})
    client = app.test_client()
    r = client.get("/api/search", query_string={"q": "common words", "match": "any"})
    body = assert_error(r, 503, "search_timeout")
    assert r.headers["Retry-After"] == "1"
    assert "longer than its limit" in body["error"]["message"]
    page = client.get("/", query_string={"q": "common"})
    assert page.status_code == 503 and page.headers["Retry-After"] == "1"
    # The same app with a deadline it can keep answers.
    app = create_app({"INDEX": str(index_dir), "TESTING": True, "SEARCH_CPU_SECONDS": 5})
    assert app.test_client().get("/api/search?q=common").status_code == 200


def test_the_deadline_ends_the_search_from_inside_the_engine(index_dir: Path) -> None:
    store = IndexStore(index_dir)
    with budget.deadline(cpu_seconds=1e-9), pytest.raises(SearchTimeout):
        search("common words " + " ".join(VOCABULARY[:60]), match="any", index=store)
    # The deadline is the search's own: the next one is not affected.
    assert search("common", index=store).total == 200


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        budget.use_limits(0, 10)


def test_what_the_price_counts_is_the_expanded_query(index_dir: Path) -> None:
    m = find_matches("co* OR st*", index=IndexStore(index_dir))
    leaves = list(_leaves(m.query))
    assert leaves and all(isinstance(q, Term) for q in leaves)
    assert budget.price(m.query, m.snap.searcher.reader()).clauses == len(leaves)


def _leaves(q: Node) -> Iterator[Node]:
    kids = children(q)
    if not kids:
        yield q
    for c in kids:
        yield from _leaves(c)


def test_a_real_server_refuses_the_attack_at_once_and_answers_others(
    index_dir: Path, tmp_path: Path
) -> None:
    server = Server(index_dir, tmp_path / "server.log")
    try:
        attack = " ".join(f"{p}*" for p in PREFIXES) * 4  # 32 wildcards, 104 characters
        started = time.monotonic()
        r = requests.get(server.url + "/api/search", params={"q": attack}, timeout=10)
        assert time.monotonic() - started < 2.0
        assert r.status_code == 400 and r.json()["error"]["code"] == "query_too_costly"
        assert r.headers["X-Request-Id"] == r.json()["error"]["request_id"]
        ok = requests.get(server.url + "/api/search", params={"q": "common"}, timeout=10)
        assert ok.status_code == 200 and ok.json()["total"] == 200
    finally:
        assert server.stop() == 0


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_loading_a_snapshot_or_the_lexicon_is_not_the_searchs_time() -> None:
    with budget.deadline(cpu_seconds=0.05):
        with budget.paused():
            _burn(0.2)
        budget.check()  # 0.2 s spent, none of it the search's
        _burn(0.1)
        with pytest.raises(SearchTimeout):
            budget.check()


@needs_reuters
def test_a_new_generations_first_search_is_not_ended_by_its_loading(
    reuters_index: Path, tmp_path: Path
) -> None:
    # An index written before the columns existed: opening it computes them from the
    # stored fields, which takes far longer than a search.
    older = tmp_path / "index"
    shutil.copytree(reuters_index, older, symlinks=True)
    for folder in older.glob("*/columns-*"):
        shutil.rmtree(folder)
    started = time.thread_time()
    IndexStore(older).snapshot()
    loading = time.thread_time() - started
    warm = IndexStore(older)
    search("cocoa", index=warm)
    started = time.thread_time()
    search("cocoa", index=warm)
    searching = time.thread_time() - started
    assert loading * 0.5 > 3 * searching, (loading, searching)
    # A deadline shorter than opening the index takes: only the search itself counts.
    with budget.deadline(cpu_seconds=loading * 0.5):
        assert search("cocoa", index=IndexStore(older)).total > 0


def test_a_wildcard_cut_short_by_its_scan_says_so(tmp_path: Path) -> None:
    # 20,001 words under 'zq': the scan stops before zq20000, which the pattern matches.
    words = [f"zq{i:05d}" for i in range(MAX_SCAN + 1)]
    record = {"id": "many", "title": "Many words", "published": "2023-01-01", "body": words}
    index = index_from_records(tmp_path, [record])
    page = search("body:zq*0000", index=IndexStore(index))
    assert page.total == 1
    assert page.notes == [
        f"'zq*0000' has too many words under its prefix to read them all; searched what the "
        f"first {MAX_SCAN:,} gave"
    ]
