"""search(): the query language, lenient reading, filters, sorts, facets, snippets."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from markupsafe import Markup

from search.backends.whoosh.parsing import whoosh_query
from search.backends.whoosh.store import IndexStore
from search.errors import InvalidParameter
from search.query_text import MAX_QUERY_CHARS, MAX_QUERY_WORDS, count_words, prepare
from search.querying import search
from tests.conftest import index_from_records

ARTICLES = [
    {"id": "a1", "title": "Oil prices rise", "published": "2023-01-05", "section": "Markets",
     "standfirst": "Markets react, reports Test Wire", "body": "Crude oil prices rose sharply in Asia."},
    {"id": "a2", "title": "Coffee harvest in Brazil", "published": "2023-02-10",
     "section": "Agriculture", "standfirst": "Growers are hopeful.",
     "body": "Brazil coffee growers expect a record crop."},
    {"id": "a3", "title": "Coffee prices fall", "published": "2022-06-01", "section": "Markets",
     "body": "Coffee traders in Vietnam saw prices fall."},
    {"id": "a4", "title": "Election results", "published": "2021-11-11", "section": "Politics",
     "body": "The elections were held on Sunday; petroleum and petrol taxes were debated."},
    {"id": "a5", "title": "Café culture", "published": "2023-03-03", "section": "Culture",
     "body": "A piece about the café scene in Zürich."},
]  # fmt: skip


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> IndexStore:
    return IndexStore(index_from_records(tmp_path_factory.mktemp("small"), ARTICLES))


def ids(store: IndexStore, q: str, **kw: object) -> set[str]:
    return {h.id for h in search(q, index=store, per_page=100, **kw).hits}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("coffee", {"a2", "a3"}),
        ("coffee prices", {"a3"}),
        ("Coffee PRICES", {"a3"}),
        ("coffee OR oil", {"a1", "a2", "a3"}),
        ("coffee -brazil", {"a3"}),
        ("coffee NOT brazil", {"a3"}),
        ("-coffee", {"a1", "a4", "a5"}),
        ('"crude oil"', {"a1"}),
        ('"oil crude"', set()),
        ("title:coffee", {"a2", "a3"}),
        ("title:brazil", {"a2"}),
        ("body:harvest", set()),
        ("petro*", {"a4"}),
        ("cofee~", {"a2", "a3", "a5"}),  # "cafe" is one edit from "cofe" too
        ("cafe", {"a5"}),
        ("zurich", {"a5"}),
        ("price", {"a1", "a3"}),
        ("election", {"a4"}),
        ("date:2023", {"a1", "a2", "a5"}),
        ("coffee date:2022", {"a3"}),
        ("coffee date:[2023-01 to 2023-06]", {"a2"}),
        ("date:[2022 to 2023-01]", {"a1", "a3"}),
        ("(coffee OR oil) AND prices", {"a1", "a3"}),
        ("", {"a1", "a2", "a3", "a4", "a5"}),
    ],
)
def test_query_language(small: IndexStore, query: str, expected: set[str]) -> None:
    assert ids(small, query) == expected


@pytest.mark.parametrize(
    ("query", "expected", "note"),
    [
        ('"coffee prices', {"a3"}, "unclosed quote"),
        ("(coffee OR oil", {"a1", "a2", "a3"}, "unclosed '('"),
        ("coffee)", {"a2", "a3"}, "unmatched ')'"),
        ("AND", {"a1", "a2", "a3", "a4", "a5"}, "'AND' with nothing to join"),
        ("OR OR coffee", {"a2", "a3"}, "'OR' with nothing to join"),
        ("coffee AND", {"a2", "a3"}, "'AND' with nothing to join"),
        ("NOT", {"a1", "a2", "a3", "a4", "a5"}, "'NOT' with nothing to join"),
        ("foo:coffee", {"a2", "a3"}, "there is no field 'foo'"),
        ("section:coffee", {"a2", "a3"}, "there is no field 'section'"),
        ("***", {"a1", "a2", "a3", "a4", "a5"}, "punctuation"),
        ("!@#$%^&*()", {"a1", "a2", "a3", "a4", "a5"}, "punctuation"),
        ("coffee!!! ,,,", {"a2", "a3"}, "punctuation"),
        ("date:notadate coffee", {"a2", "a3"}, "is not a date"),
        ("c* coffee", set(), "too short to expand"),
        ("the", set(), "only very common words"),
    ],
)
def test_malformed_queries_are_answered_with_a_note(
    small: IndexStore, query: str, expected: set[str], note: str
) -> None:
    page = search(query, index=small, per_page=100)
    assert {h.id for h in page.hits} == expected
    assert any(note in n for n in page.notes), page.notes


def test_a_query_within_the_limits_is_searched_whole(small: IndexStore) -> None:
    words = [f"z{i}" for i in range(MAX_QUERY_WORDS - 1)] + ["coffee"]  # only the last matches
    for query, match in ((" OR ".join(words), "all"), (" ".join(words), "any")):
        page = search(query, index=small, match=match)
        assert {h.id for h in page.hits} == {"a2", "a3"} and page.notes == []
    with pytest.raises(InvalidParameter, match=f"searches {MAX_QUERY_WORDS + 1} different words"):
        search(" ".join([*words, "z999"]), index=small, match="any")


def test_repeats_and_stop_words_do_not_count_against_the_limit(small: IndexStore) -> None:
    """A pasted paragraph is long in words but searches few different ones."""
    paragraph = " ".join(["the coffee and the prices of the coffee"] * 60)  # 480 words
    assert count_words(paragraph) == 2
    page = search(paragraph, index=small)
    assert {h.id for h in page.hits} == {"a3"} and page.notes == []


def test_a_query_over_the_character_limit_is_refused(small: IndexStore) -> None:
    at_limit = "coffee" + " " * (MAX_QUERY_CHARS - 12) + "prices"
    assert len(at_limit) == MAX_QUERY_CHARS
    assert {h.id for h in search(at_limit, index=small).hits} == {"a3"}
    with pytest.raises(InvalidParameter, match="is 4,001 characters long; the limit is 4,000"):
        search(at_limit + "x", index=small)


@pytest.mark.parametrize(
    ("query", "words"),
    [("oil OR gas", 2), ('title:"crude oil" -coffee', 3), ("date:2023-04 x", 1),
     ("AND OR NOT ANDNOT ANDMAYBE", 0), ("!!! ???", 0), ("café's", 1), ("prices of the price", 1),
     ("u.s. oil and Oil", 2), ("petro* petrol", 2), ("oil^2 gas~1 opec~", 3),
     ("Reuters’date:2023 oil", 2), ("U.S.date:[2023 to 2024]", 1)],
)  # fmt: skip
def test_words_as_the_limit_counts_them(query: str, words: int) -> None:
    assert count_words(query) == words


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("coffee oil", {"a1", "a2", "a3"}),
        ("coffee prices", {"a1", "a2", "a3"}),
        ("coffee zebra", {"a2", "a3"}),
        ("coffee oil -brazil", {"a1", "a3"}),
        ("coffee oil NOT brazil", {"a1", "a3"}),
        ("coffee oil -(brazil OR crude)", {"a3"}),
        ("(coffee -brazil) oil", {"a1", "a3"}),  # an exclusion applies to the whole query
        ("(coffee oil -crude)^2 zurich", {"a2", "a3", "a5"}),
        ("-coffee", {"a1", "a4", "a5"}),
        ("coffee AND prices zurich", {"a3", "a5"}),
        ('"crude oil" zurich', {"a1", "a5"}),
        ("title:coffee election", {"a2", "a3", "a4"}),
        ("coffee date:2023", {"a2"}),
        ("the of and", set()),
    ],
)
def test_match_any(small: IndexStore, query: str, expected: set[str]) -> None:
    assert ids(small, query, match="any") == expected


def test_match_any_ranks_articles_with_more_of_the_words_first(small: IndexStore) -> None:
    page = search("coffee prices brazil", index=small, match="any")
    assert page.match == "any" and page.to_dict()["match"] == "any"
    assert [h.id for h in page.hits][:2] in (["a2", "a3"], ["a3", "a2"])  # two words each
    assert page.hits[-1].id == "a1"  # "prices" alone
    assert page.hits[0].score > page.hits[-1].score  # type: ignore[operator]


def test_match_must_be_all_or_any(small: IndexStore) -> None:
    with pytest.raises(InvalidParameter, match="must be one of all, any, not 'some'"):
        search("coffee", index=small, match="some")


@pytest.mark.parametrize("query", ['-AND"0', '(NOT"AND', "NOT AND 0", "(NOT AND )", "-OR coffee"])
def test_operator_tangles_found_by_hypothesis_are_answered(small: IndexStore, query: str) -> None:
    """Inputs on which Whoosh's own parser raised IndexError (property tests found them)."""
    page = search(query, index=small)
    assert page.total >= 0
    if query == "-OR coffee":
        assert {h.id for h in page.hits} == {"a2", "a3"}  # "-or" is the word "or": a stop word


def test_query_length_is_capped() -> None:
    prepared = prepare("x" * 10_000)
    assert len(prepared.original) <= MAX_QUERY_CHARS


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"date_from": "2023"}, {"a1", "a2", "a5"}),
        ({"date_to": "2022"}, {"a3", "a4"}),
        ({"date_from": "2023-02", "date_to": "2023-02"}, {"a2"}),
        ({"date_from": date(2023, 1, 5), "date_to": date(2023, 1, 5)}, {"a1"}),
        ({"section": "Markets"}, {"a1", "a3"}),
        ({"section": "Nope"}, set()),
        ({"date_from": "2023", "section": "Markets"}, {"a1"}),
    ],
)
def test_filters(small: IndexStore, kwargs: dict[str, object], expected: set[str]) -> None:
    assert ids(small, "", **kwargs) == expected


def test_sorts(small: IndexStore) -> None:
    newest = [h.id for h in search("", sort="newest", index=small).hits]
    oldest = [h.id for h in search("", sort="oldest", index=small).hits]
    assert newest == ["a5", "a2", "a1", "a3", "a4"]
    assert oldest == list(reversed(newest))
    relevance = search("coffee", index=small).hits
    assert all(h.score is not None for h in relevance)
    assert [h.score for h in relevance] == sorted((h.score or 0 for h in relevance), reverse=True)
    assert search("coffee", sort="newest", index=small).hits[0].id == "a2"


def test_paging(small: IndexStore) -> None:
    pages = [search("", sort="newest", page=p, per_page=2, index=small) for p in (1, 2, 3, 4)]
    assert [[h.id for h in p.hits] for p in pages] == [["a5", "a2"], ["a1", "a3"], ["a4"], []]
    assert all(p.total == 5 and p.pages == 3 for p in pages)


def test_facets_count_every_match_not_the_page(small: IndexStore) -> None:
    page = search("", per_page=1, index=small)
    assert len(page.hits) == 1
    facets = {k: [(c.value, c.count) for c in v] for k, v in page.facets.items()}
    assert facets["year"] == [("2021", 1), ("2022", 1), ("2023", 3)]
    assert facets["month"] == [("2021-11", 1), ("2022-06", 1), ("2023-01", 1), ("2023-02", 1),
                               ("2023-03", 1)]  # fmt: skip
    assert facets["section"][0] == ("Markets", 2)
    assert sorted(facets["section"][1:]) == [("Agriculture", 1), ("Culture", 1), ("Politics", 1)]


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"page": 0}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"page": 1001, "per_page": 10}, "page"),
        ({"sort": "popular"}, "sort"),
        ({"date_from": "yesterday"}, "from"),
        ({"date_to": "2023-13"}, "to"),
        ({"date_from": "2023-05", "date_to": "2023-04"}, "from"),
    ],
)
def test_bad_parameters_raise_invalid_parameter(
    small: IndexStore, kwargs: dict[str, object], param: str
) -> None:
    with pytest.raises(InvalidParameter) as e:
        search("coffee", index=small, **kwargs)  # type: ignore[arg-type]
    assert e.value.name == param
    assert "\n" not in str(e.value)


def test_did_you_mean(small: IndexStore) -> None:
    page = search("cofee", index=small)
    assert page.total == 0
    assert page.suggestion == "coffee"
    assert search("coffee", index=small).suggestion is None
    assert search("cofee harvest date:2023", index=small).suggestion == "coffee harvest date:2023"


def test_did_you_mean_on_the_seed(seed_index: Path) -> None:
    assert search("taliben", index=seed_index).suggestion == "taliban"


# ---------------------------------------------------------------------- snippets


def test_snippet_marks_stemmed_matches(small: IndexStore) -> None:
    hit = search("price", index=small).hits
    snippet = {h.id: str(h.snippet) for h in hit}
    assert "<mark>prices</mark>" in snippet["a1"]
    assert isinstance(hit[0].snippet, Markup)


def test_title_only_match_uses_the_standfirst(small: IndexStore) -> None:
    (hit,) = search("harvest", index=small).hits
    assert str(hit.snippet) == "Growers are hopeful."


def test_snippet_found_beyond_32k_characters(make_index: Callable[..., Path]) -> None:
    filler = " ".join(["Ordinary filler words about nothing in particular."] * 1200)
    assert len(filler) > 40_000
    location = make_index(records=[{
        "id": "long", "title": "A very long report", "published": "2023-01-01",
        "body": filler + " At the very end the aardvark appears.",
    }])  # fmt: skip
    (hit,) = search("aardvark", index=location).hits
    assert "<mark>aardvark</mark>" in str(hit.snippet)
    assert len(str(hit.snippet)) < 600


PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    'O\'Brien & "friends"',
]


def test_snippets_and_fields_are_escaped(make_index: Callable[..., Path]) -> None:
    body = "Hostile text follows: " + " ".join(PAYLOADS) + " then the keyword zebra."
    location = make_index(records=[{
        "id": "evil", "title": "Zebra <script>alert(1)</script>", "published": "2023-01-01",
        "body": body, "standfirst": PAYLOADS[1],
    }])  # fmt: skip
    for q in ("zebra", "script", "alert", "onerror", "O'Brien"):
        (hit,) = search(q, index=location).hits
        html = str(hit.snippet)
        without_marks = re.sub(r"</?mark>", "", html)
        assert "<" not in without_marks and ">" not in without_marks, html
        assert '"' not in without_marks and "'" not in without_marks, html
    (hit,) = search("o'brien", index=location).hits
    assert "<mark>O&#39;Brien</mark> &amp; &#34;friends&#34;" in str(hit.snippet)
    # A title-only match shows the standfirst, escaped too.
    (hit,) = search("title:zebra", index=location).hits
    assert "&lt;script&gt;" in str(hit.snippet) or "&lt;img" in str(hit.snippet)


# ------------------------------------------------------- facets against Reuters

FACET_QUERIES = [
    "oil", "oil prices", "coffee -brazil", '"crude oil"', "petro*", "title:cocoa",
    "opec OR saudi", "bank NOT japan", "wheat", "gold", "dollar yen", "interest rates",
    "merger", "acquisition", "strike", "ship*", "sugar", '"trade deficit"',
    "grain AND (corn OR wheat)", "earnings", "said",
]  # fmt: skip


@pytest.mark.parametrize("query", FACET_QUERIES)
def test_facets_equal_an_independent_count(reuters_index: Path, query: str) -> None:
    """Totals and month counts against Whoosh's own matching and the stored dates."""
    store = IndexStore(reuters_index)
    page = search(query, index=store)
    snap = store.snapshot()
    q = whoosh_query(prepare(query).text)
    results = snap.searcher.search(q, limit=None, scored=False, sortedby=None)
    months: Counter[str] = Counter()
    for docnum in results.docs():
        published = snap.searcher.stored_fields(docnum)["published"]
        months[published.strftime("%Y-%m")] += 1
    assert page.total == len(results.docs()) > 0
    assert {c.value: c.count for c in page.facets["month"]} == dict(months)
    years: Counter[str] = Counter()
    for m, n in months.items():
        years[m[:4]] += n
    assert {c.value: c.count for c in page.facets["year"]} == dict(years)


@pytest.mark.parametrize("query", ["oil", "wheat", "dollar yen", "bank NOT japan", ""])
def test_date_filter_total_equals_the_month_bucket(reuters_index: Path, query: str) -> None:
    store = IndexStore(reuters_index)
    unfiltered = search(query, index=store)
    for bucket in unfiltered.facets["month"]:
        filtered = search(query, date_from=bucket.value, date_to=bucket.value, index=store)
        assert filtered.total == bucket.count, bucket.value
        inline = search(f"{query} date:{bucket.value}", index=store)
        assert inline.total == bucket.count, bucket.value


# ------------------------------------------------------------------- recency


@pytest.fixture(scope="module")
def floods(tmp_path_factory: pytest.TempPathFactory) -> IndexStore:
    records = [
        {"id": "old", "title": "Flood warning as flood waters rise", "published": "2020-01-01",
         "body": "The flood reached the town. Flood defences held against the flood."},
        {"id": "new", "title": "Rain in the valley", "published": "2023-01-01",
         "body": "A flood reached the valley and the defences held."},
        {"id": "other", "title": "Markets", "published": "2022-06-01", "body": "Prices fell."},
    ] + [{"id": f"filler{i}", "title": f"Markets {i}", "published": "2021-06-01",
          "body": "Prices fell."} for i in range(8)]  # fmt: skip
    return IndexStore(index_from_records(tmp_path_factory.mktemp("floods"), records))


def test_recent_lets_a_slightly_less_relevant_new_article_overtake(floods: IndexStore) -> None:
    by_relevance = search("flood", index=floods).hits
    assert [h.id for h in by_relevance] == ["old", "new"]
    old, new = (h.score for h in by_relevance)
    assert old is not None and new is not None
    ratio = old / new
    assert 1 < ratio < 2**3  # less relevant, but not 3 half-lives (3 years) less
    page = search("flood", sort="recent", index=floods)
    assert [h.id for h in page.hits] == ["new", "old"]  # the default half-life: 1 year
    assert page.half_life == 365.0 and page.to_dict()["half_life"] == 365.0
    # The age of "old" is 1,096 days before the newest article; it keeps the lead
    # exactly while 2 ** (1096 / half_life) < ratio.
    crossover = 1096 / math.log2(ratio)
    for half_life, first in [(crossover * 1.02, "old"), (crossover * 0.98, "new"),
                             (36_500, "old"), (30, "new")]:  # fmt: skip
        hits = search("flood", sort="recent", half_life=half_life, index=floods).hits
        assert hits[0].id == first, (half_life, first)
    (top, _) = search("flood", sort="recent", half_life=30, index=floods).hits
    assert top.score == pytest.approx(new)  # the newest article is not decayed at all


@pytest.mark.parametrize("half_life", [0, -1, 0.5, float("nan"), float("inf"), 1e9, True])
def test_half_life_must_be_a_sensible_number_of_days(floods: IndexStore, half_life: float) -> None:
    with pytest.raises(InvalidParameter, match="half_life: must be a number of days"):
        search("flood", sort="recent", half_life=half_life, index=floods)


def test_recent_without_words_is_newest_first(floods: IndexStore) -> None:
    newest_first = [h.id for h in search("", sort="recent", per_page=20, index=floods).hits]
    assert newest_first[:2] == ["new", "other"] and newest_first[-1] == "old"
