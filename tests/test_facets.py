"""Several values of one facet (OR), several facets (AND), and what the counts say.

An archive of generated articles with random sections, places, topics and people; every
selection hypothesis makes is checked against the records themselves: the results are
the articles with any chosen value of each facet and all facets, and each facet's counts
are what choosing one more of its values would give (the other facets' filters apply,
its own does not), as Elasticsearch's post_filter and Algolia's disjunctive facets do.
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from search.request import MAX_FILTER_VALUES
from tests.conftest import assert_error, index_from_records
from web import create_app

SECTIONS = ["Markets", "World", "Energy"]
PLACES = ["iran", "iraq", "usa", "uk", "japan"]
TOPICS = ["crude", "gold", "ship"]
PEOPLE = [f"person-{i:02d}" for i in range(15)]  # more than the page shows at first
WORDS = ["barrel", "output", "quota", "tanker", "refinery", "pipeline", "gulf", "embargo", "futures", "contract", "supply", "demand", "minister", "meeting", "pricing", "export", "import", "reserve", "field", "drilling", "storage", "freight", "cargo", "port", "strike", "surplus", "deficit", "index"]  # fmt: skip
FIELDS = {"section": "section", "place": "places", "topic": "topics", "person": "people"}
NAMES = {"section": "section", "place": "places", "topic": "topics", "person": "people"}
CHOICES = {"section": SECTIONS, "place": PLACES, "topic": TOPICS, "person": PEOPLE}


def _records() -> list[dict[str, Any]]:
    rng = random.Random(12)
    out = []
    for i in range(90):
        out.append({
            "id": f"d{i:02d}", "title": f"Oil report {i}", "published": f"1987-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "section": rng.choice(SECTIONS),
            # Random words: no two articles are copies of one story (none is folded).
            "body": "Oil " + " ".join(rng.sample(WORDS, 14)) + f" item{i}.",
            "places": rng.sample(PLACES, rng.randint(0, 3)),
            "topics": rng.sample(TOPICS, rng.randint(0, 2)),
            "people": rng.sample(PEOPLE, rng.randint(0, 2)),
        })  # fmt: skip
    return out


RECORDS = _records()


def _has(record: dict[str, Any], kind: str, values: list[str]) -> bool:
    got = record[FIELDS[kind]]
    return (got in values) if isinstance(got, str) else any(v in got for v in values)


def _expected(selection: dict[str, list[str]], leave_out: str = "") -> list[dict[str, Any]]:
    return [
        r
        for r in RECORDS
        if all(_has(r, kind, values) for kind, values in selection.items() if kind != leave_out)
    ]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    index = index_from_records(tmp_path_factory.mktemp("facets"), RECORDS)
    return create_app({"TESTING": True, "INDEX": str(index)})


def _get(client: FlaskClient, path: str, selection: dict[str, list[str]], **more: Any) -> Any:
    pairs = [(kind, v) for kind, values in selection.items() for v in values]
    return client.get(f"{path}?{urlencode([*pairs, *more.items()])}")


selections = st.fixed_dictionaries(
    {},
    optional={
        kind: st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)
        for kind, values in CHOICES.items()
    },
)


@settings(max_examples=120, deadline=None)
@given(selection=selections)
def test_any_value_of_a_facet_and_every_facet(app: Flask, selection: dict[str, list[str]]) -> None:
    with app.test_client() as client:
        data = _get(client, "/api/search", selection, q="oil", per_page=100,
                    facet_size=50).get_json()  # fmt: skip
    want = _expected(selection)
    assert data["collapsed"] == 0
    assert data["total"] == len(want)
    assert sorted(h["id"] for h in data["results"]) == sorted(r["id"] for r in want)
    for kind in CHOICES:
        name = NAMES[kind]  # the JSON names a facet by its field: "places"
        assert data["filters"][name] == selection.get(kind, [])
        # What this facet counts: every other facet's filter, not its own.
        base = _expected(selection, leave_out=kind)
        counts = {c["value"]: c["count"] for c in data["facets"][name]}
        for value in CHOICES[kind]:
            n = sum(_has(r, kind, [value]) for r in base)
            if n or value in selection.get(kind, []):
                assert counts.get(value) == n, (kind, value)
            else:
                assert value not in counts


def test_a_chosen_value_is_listed_even_past_the_facet_size(client: FlaskClient) -> None:
    everyone = client.get("/api/search?q=oil&facet_size=50").get_json()["facets"]["people"]
    rarest = everyone[-1]["value"]
    data = client.get(f"/api/search?q=oil&facet_size=1&person={rarest}").get_json()
    listed = [c["value"] for c in data["facets"]["people"]]
    assert listed[0] == everyone[0]["value"] and listed[-1] == rarest and len(listed) == 2


def test_repeats_and_empty_values_are_ignored(client: FlaskClient) -> None:
    once = client.get("/api/search?q=oil&place=iran").get_json()
    again = client.get("/api/search?q=oil&place=iran&place=iran&place=&place=%20").get_json()
    assert again["total"] == once["total"] and again["filters"]["places"] == ["iran"]
    # The field's name and the kind's are one filter.
    both = client.get("/api/search?q=oil&places=iran&place=iran&places=iraq").get_json()
    assert both["filters"]["places"] == ["iran", "iraq"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("&".join(f"place=p{i}" for i in range(MAX_FILTER_VALUES + 1)),
         f"place: takes at most {MAX_FILTER_VALUES} values, not {MAX_FILTER_VALUES + 1}"),
        ("&".join("section=a" for _ in range(201)), "section: is given 201 times; at most 200"),
        ("facet_size=0", "facet_size: must be a whole number from 1 to 500"),
        ("facet_size=501", "facet_size: must be a whole number from 1 to 500"),
    ],
)  # fmt: skip
def test_too_many_values_is_a_400(client: FlaskClient, query: str, message: str) -> None:
    body = assert_error(client.get(f"/api/search?q=oil&{query}"), 400, "invalid_parameter")
    assert body["error"]["message"] == message


def test_the_page_marks_chosen_values_and_toggles_them(client: FlaskClient) -> None:
    html = client.get("/?q=oil&places=iran&place=iraq&topic=gold").get_data(as_text=True)
    # Chosen values: marked, and their link removes only them.
    assert ('<a class="facet-place" href="/?q=oil&amp;topics=gold&amp;places=iraq" '
            'aria-current="true" aria-label="iran (chosen; remove it)">✓ iran</a>') in html  # fmt: skip
    # Another value of the same facet is one more alternative.
    assert (
        'href="/?q=oil&amp;topics=gold&amp;places=iran&amp;places=iraq&amp;places=usa">usa</a>'
        in html
    )
    # One chip per value, each removable alone.
    assert 'aria-label="Remove place: iraq"' in html and 'aria-label="Remove topic: gold"' in html
    # The form keeps every value when the query changes.
    for kind, value in (("place", "iran"), ("place", "iraq"), ("topic", "gold")):
        assert f'<input type="hidden" name="{NAMES[kind]}" value="{value}">' in html
    # Past the first ten values, the rest of a facet is behind "more…" (no script).
    html = client.get("/?q=oil").get_data(as_text=True)
    people = html.split('id="person-h"')[1].split("</nav>")[0]
    shown, more = people.split('<details class="more-values">')
    assert shown.count("<li") == 10 and more.count("<li") == len(PEOPLE) - 10


def test_the_page_leaves_out_a_facet_given_too_many_values_and_says_so(client: FlaskClient) -> None:
    many = "&".join(f"places=p{i}" for i in range(MAX_FILTER_VALUES + 1))
    r = client.get(f"/?q=oil&topics=gold&{many}")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "takes at most 50 values" in html
    assert 'aria-label="Remove topic: gold"' in html  # the other filter is kept
