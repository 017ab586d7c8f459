"""SearchRequest: one value a search is made of, checked once, the same for every caller."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from search.errors import InvalidParameter
from search.request import MAX_FILTER_VALUES, MAX_RESULT_WINDOW, SearchRequest


def test_of_reads_parameters_as_given() -> None:
    r = SearchRequest.of(
        " oil ", "1987-03", "1987", ["Markets", "Markets", ""], "newest", 2, 20,
        tags={"places": ["iran"], "place": "iraq"}, half_life=30, story="s1",
    )  # fmt: skip
    assert r.query == " oil "
    assert (r.date_from, r.date_to) == (date(1987, 3, 1), date(1987, 12, 31))
    assert r.sections == ("Markets",)
    assert dict(r.tags) == {"place": ("iran", "iraq")}
    assert (r.sort, r.page, r.per_page, r.half_life, r.story) == ("newest", 2, 20, 30.0, "s1")


def test_a_request_is_frozen_and_its_tags_cannot_be_changed() -> None:
    r = SearchRequest.of("oil", tags={"topic": "crude"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.sort = "newest"  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.tags["topic"] = ("gold",)  # type: ignore[index]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"sort": "best"}, "sort"),
        ({"page": 0}, "page"),
        ({"per_page": 101}, "per_page"),
        ({"page": MAX_RESULT_WINDOW // 10 + 1}, "page"),
        ({"facet_size": 0}, "facet_size"),
        ({"match": "some"}, "match"),
        ({"half_life": 0.5}, "half_life"),
        ({"half_life": float("nan")}, "half_life"),
        ({"section": [f"s{i}" for i in range(MAX_FILTER_VALUES + 1)]}, "section"),
        ({"tags": {"colour": "red"}}, "colour"),
        ({"date_from": "3/4/1987"}, "from"),
        ({"date_to": "March"}, "to"),
        ({"date_from": "1988", "date_to": "1987"}, "from"),
        ({"query": "x" * 100_000}, "q"),
    ],
)  # fmt: skip
def test_every_bad_parameter_is_named(params: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidParameter) as e:
        SearchRequest.of(**params)  # type: ignore[arg-type]
    assert e.value.name == name


def test_the_page_is_reported_before_the_filters() -> None:
    with pytest.raises(InvalidParameter) as e:
        SearchRequest.of(page=0, date_from="nonsense")
    assert e.value.name == "page"


def test_constructing_directly_checks_the_same() -> None:
    with pytest.raises(InvalidParameter) as e:
        SearchRequest(per_page=0)
    assert e.value.name == "per_page"
    r = SearchRequest(sections=("a", "a", "b"))
    assert r.sections == ("a", "b")


def test_but_changes_a_field_and_checks_again() -> None:
    r = SearchRequest.of("oil")
    assert r.but(match="any").match == "any" and r.match == "all"
    with pytest.raises(InvalidParameter):
        r.but(per_page=1000)
